package authapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch/store/memory"
)

// TestBrowserAccountChanges walks the account page's forms in Chromium:
// change the email (the mailed link's page changes nothing until its
// button), change the password, see the sign-in methods, delete the
// account.
func TestBrowserAccountChanges(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b := newBrowser(t, e.srv.URL)
	oldPW, newPW := "first password 1", "second password 2"

	b.open("/sign-up")
	b.fill("form[action='/sign-up']", map[string]string{"email": "acct@example.com", "password": oldPW})
	b.submit("form[action='/sign-up'] button", "/verify-email")
	b.open("/account")
	b.screenshot("account-forms")
	if m := b.text("table.methods"); !strings.Contains(m, "email") || !strings.Contains(m, "acct@example.com") {
		t.Fatalf("sign-in methods: %q", m)
	}

	b.fill("form[action='/account/email']", map[string]string{"new_email": "moved@example.com", "password": oldPW})
	b.submit("form[action='/account/email'] button", "/account?m=email-change-sent")
	link := linkPattern.FindString(b.newestMail("Confirm your new email"))
	if !strings.Contains(link, "/email-change/") {
		t.Fatalf("email-change link %q", link)
	}
	b.run("open the email-change link", chromedp.Navigate(link))
	b.screenshot("email-change-page")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "acct@example.com", "password": oldPW}).want(t, http.StatusOK, "")
	// The answer is on the same path: wait for its message, not the path.
	b.run("confirm", chromedp.Click(chromedp.CSS("main form button"), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if f := b.text("p.flash"); !strings.Contains(f, "now uses moved@example.com") {
		t.Fatalf("after confirming: %s", f)
	}
	b.screenshot("email-changed")

	b.open("/account")
	b.fill("form[action='/account/password']", map[string]string{"current_password": oldPW, "new_password": newPW})
	b.submit("form[action='/account/password'] button", "/account?m=password-changed")
	b.screenshot("account-password-changed")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "moved@example.com", "password": newPW}).want(t, http.StatusOK, "")

	b.fill("form[action='/account/delete']", map[string]string{"password": newPW})
	b.run("tick the confirmation", chromedp.Click(chromedp.CSS(`form[action='/account/delete'] input[name="confirm"]`), chromedp.NodeVisible))
	b.submit("form[action='/account/delete'] button", "/?m=account-deleted")
	b.screenshot("account-deleted")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "moved@example.com", "password": newPW}).want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
}
