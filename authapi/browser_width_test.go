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
