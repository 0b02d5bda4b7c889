package authapi_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/store/memory"
)

// TestBrowserTwoFactor walks the two-factor section of /account in
// Chromium, forms only: set up an authenticator (the QR code loads under
// the page's CSP), confirm with a first code, see the recovery codes once,
// make new ones with a recovery code, turn it off with a code.
func TestBrowserTOTPEnrolment(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b := newBrowser(t, e.srv.URL)
	b.open("/sign-up")
	b.fill("form[action='/sign-up']", map[string]string{"email": "2fa@example.com", "password": pw})
	b.submit("form[action='/sign-up'] button", "/verify-email")
	b.open("/account")
	if s := b.text("#two-factor"); !strings.Contains(s, "Two-factor") {
		t.Fatalf("no two-factor section: %q", s)
	}
	b.fill("form[action='/account/two-factor/totp']", map[string]string{"password": pw})
	b.submit("form[action='/account/two-factor/totp'] button", "/account/two-factor/totp")
	b.run("QR code", chromedp.WaitVisible(chromedp.CSS("#totp-qr")))
	// Loaded means the CSP let the data: URL through: a blocked image has
	// no natural size.
	var loaded bool
	for range 100 {
		if loaded = get(b, "QR loaded", chromedp.Evaluate[bool](`(() => { const i = document.getElementById("totp-qr"); return i.complete && i.naturalWidth > 0 })()`)); loaded {
			break
		}
		b.run("wait", chromedp.Sleep(20e6))
	}
	if !loaded {
		t.Fatal("the QR code image did not load")
	}
	b.screenshot("two-factor-enrol")
	secret := b.text("#totp-secret")
	b.fill("form[action='/account/two-factor/totp/confirm']", map[string]string{"code": totpAt(t, secret, e.clock.Now())})
	b.submit("form[action='/account/two-factor/totp/confirm'] button", "/account/two-factor/totp/confirm")
	codes := strings.Fields(b.text("#recovery-codes"))
	if len(codes) != 10 {
		t.Fatalf("recovery codes on the page: %q", codes)
	}
	b.screenshot("two-factor-recovery-codes")

	b.open("/account")
	if s := b.text("#two-factor + p"); !strings.Contains(s, "10 recovery codes left") {
		t.Fatalf("section after enrolment: %q", s)
	}
	// New recovery codes, proven with a recovery code.
	b.fill("form[action='/account/two-factor/recovery-codes']", map[string]string{"code": codes[0]})
	b.submit("form[action='/account/two-factor/recovery-codes'] button", "/account/two-factor/recovery-codes")
	fresh := strings.Fields(b.text("#recovery-codes"))
	if len(fresh) != 10 || fresh[0] == codes[1] {
		t.Fatalf("new recovery codes: %q", fresh)
	}
	// A wrong code is an error on the account page, and nothing changes.
	b.open("/account")
	b.fill("form[action='/account/two-factor/totp/disable']", map[string]string{"code": codes[1]})
	b.submit("form[action='/account/two-factor/totp/disable'] button", "/account?e=INVALID_TWO_FACTOR_CODE")
	e.clock.Advance(mfa.TOTPPeriod)
	b.fill("form[action='/account/two-factor/totp/disable']", map[string]string{"code": totpAt(t, secret, e.clock.Now())})
	b.submit("form[action='/account/two-factor/totp/disable'] button", "/account?m=two-factor-off")
	b.screenshot("two-factor-off")
	if s := b.text("#two-factor + p"); !strings.Contains(s, "Add a second step") {
		t.Fatalf("section after disabling: %q", s)
	}
}

// TestTwoFactorPagesCSP: only the enrolment page lets data: images in.
func TestTwoFactorPagesCSP(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	c, _ := e.signUp("csp@example.com", pw)
	acct := c.do("GET", "/account", nil)
	if csp := acct.header.Get("Content-Security-Policy"); strings.Contains(csp, "data:") {
		t.Fatalf("/account CSP allows data: %q", csp)
	}
	r := c.do("POST", "/account/two-factor/totp", url.Values{"password": {pw}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 200 || !strings.Contains(string(r.raw), "data:image/png;base64,") {
		t.Fatalf("enrolment page: %d %s", r.status, r.raw)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("enrolment page CSP %q", csp)
	}
}
