package authapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/latchauth/latch/store/memory"
)

// TestBrowserNoHorizontalScroll: at 320, 400 and 1280 px no page is wider
// than the viewport — signed out, and signed in with a long address (the
// header wraps), sessions with dates, and the outbox's long links.
func TestBrowserNoHorizontalScroll(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b := newBrowser(t, e.srv.URL)
	long := "a.rather.long.address.for.testing@subdomain.example-company.example.com"
	pw := "correct horse battery staple"

	signedOut := []string{"/", "/sign-up", "/sign-in", "/password-reset", "/magic-link", "/dev/outbox", "/no-such-page"}
	signedIn := []string{"/", "/account", "/verify-email", "/dev/outbox", "/sign-up", "/password-reset", "/magic-link"}

	check := func(width int64, paths []string) {
		t.Helper()
		b.run("viewport", chromedp.EmulateViewport(width, 800))
		for _, p := range paths {
			b.open(p)
			sw := get(b, "scroll width", chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
			if sw > width {
				t.Errorf("%s at %d px: the page is %d px wide", p, width, sw)
				b.screenshot(strings.Trim(strings.ReplaceAll(p, "/", "-"), "-") + "-too-wide")
			}
		}
	}
	widths := []int64{320, 400, 1280}
	for _, w := range widths {
		check(w, signedOut)
	}
	// A second session, so the account page lists two with their dates.
	e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": long, "password": pw}).want(t, http.StatusCreated, "")
	b.run("viewport", chromedp.EmulateViewport(1280, 800))
	b.open("/sign-in")
	b.fill("form[action='/sign-in']", map[string]string{"email": long, "password": pw})
	b.submit("form[action='/sign-in'] button", "/account")
	for _, w := range widths {
		check(w, signedIn)
	}
}

// TestBrowserFieldInError: after a wrong password the password field is
// marked aria-invalid, tied to the message and focused; its "Show
// password" box reveals and hides it.
func TestBrowserFieldInError(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	e.signUp("ada@example.com", "correct horse battery staple")
	b := newBrowser(t, e.srv.URL)
	b.open("/sign-in")
	b.fill("form[action='/sign-in']", map[string]string{"email": "ada@example.com", "password": "not the password"})
	b.submit("form[action='/sign-in'] button", "/sign-in")
	b.run("page scripts", chromedp.WaitVisible(chromedp.CSS(".toggle-password input")))
	got := get(b, "field in error", chromedp.Evaluate[string](`[document.activeElement.name, document.activeElement.getAttribute("aria-invalid"), document.activeElement.getAttribute("aria-describedby")].join(",")`))
	if got != "password,true,form-error" {
		t.Errorf("focused field, aria-invalid, aria-describedby = %q, want password,true,form-error", got)
	}
	b.run("show password", chromedp.Click(chromedp.CSS(".toggle-password input")))
	if typ := get(b, "type", chromedp.Evaluate[string](`document.querySelector('input[name="password"]').type`)); typ != "text" {
		t.Errorf("after Show the field is %q, want text", typ)
	}
	b.run("hide password", chromedp.Click(chromedp.CSS(".toggle-password input")))
	if typ := get(b, "type", chromedp.Evaluate[string](`document.querySelector('input[name="password"]').type`)); typ != "password" {
		t.Errorf("after Hide the field is %q, want password", typ)
	}
}
