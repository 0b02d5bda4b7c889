package authapi_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch/store/memory"
)

// TestBrowserTwoFactor signs in through the /two-factor page in
// Chromium: the code field has the focus, a wrong code is marked
// aria-invalid, tied to the message and focused again, the right one
// lands on the account page, which marks the session "2-step".
func TestBrowserTwoFactor(t *testing.T) {
	e := newFactorEnv(t, memory.New(), nil)
	_, r := e.signUp("tf@example.com", pw)
	addFactor(t, e, r.str("user", "id"))
	b := newBrowser(t, e.srv.URL)

	b.open("/sign-in")
	b.fill("form[action='/sign-in']", map[string]string{"email": "tf@example.com", "password": pw})
	b.submit("form[action='/sign-in'] button", "/two-factor")
	b.screenshot("two-factor")
	if got := get(b, "focus", chromedp.Evaluate[string](`document.activeElement.name`)); got != "code" {
		t.Errorf("focused %q, want the code field", got)
	}
	b.fill("form[action='/two-factor']", map[string]string{"code": "000000"})
	b.run("submit a wrong code", chromedp.Click(chromedp.CSS("form[action='/two-factor'] button"), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.screenshot("two-factor-wrong")
	got := get(b, "field in error", chromedp.Evaluate[string](`[document.activeElement.name, document.activeElement.getAttribute("aria-invalid"), document.activeElement.getAttribute("aria-describedby")].join(",")`))
	if got != "code,true,form-error" {
		t.Errorf("focused field, aria-invalid, aria-describedby = %q, want code,true,form-error", got)
	}
	b.fill("form[action='/two-factor']", map[string]string{"code": factorCode})
	b.submit("form[action='/two-factor'] button", "/account")
	if s := b.text("table.sessions"); !strings.Contains(s, "2-step") {
		t.Errorf("the session is not marked 2-step: %q", s)
	}
	b.screenshot("two-factor-account")
}
