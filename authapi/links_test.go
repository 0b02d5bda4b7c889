package authapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
)

// clickMagicLink opens a mailed magic link's page with c, as a person
// does, and presses its button (the form's POST to the same path, with the
// callbackURL the page carries). The page's answer is not checked here: a
// used link's page says so, and the POST answers for itself.
func (c *client) clickMagicLink(link string) *response {
	c.e.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		c.e.t.Fatal(err)
	}
	c.do("GET", link, nil)
	v := url.Values{}
	if cb := u.Query().Get("callbackURL"); cb != "" {
		v.Set("callbackURL", cb)
	}
	return c.form(u.Path, v)
}

// sessionCount is the number of live sessions of the user.
func sessionCount(t *testing.T, e *env, userID string) int {
	t.Helper()
	ss, err := e.auth.GetAllUserSessions(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return len(ss)
}

// scan plays a mail scanner on a mailed link: GET, HEAD and GET following
// redirects, with a plain client that keeps no cookies. None of them may
// fail with a 5xx, start a session, or set a session cookie.
func scan(t *testing.T, e *env, userID, link string) {
	t.Helper()
	before := sessionCount(t, e, userID)
	for _, s := range []struct {
		method string
		follow bool
	}{{"GET", false}, {"HEAD", false}, {"GET", true}} {
		hc := &http.Client{}
		if !s.follow {
			hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
		req, err := http.NewRequest(s.method, e.srv.URL+link, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatalf("scanner %s %s: %v", s.method, link, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("scanner %s %s (follow %v): %d", s.method, link, s.follow, res.StatusCode)
		}
		for _, c := range res.Cookies() {
			if c.Name == "auth_session" && c.Value != "" {
				t.Errorf("scanner %s %s (follow %v) got a session cookie", s.method, link, s.follow)
			}
		}
	}
	if after := sessionCount(t, e, userID); after != before {
		t.Errorf("scanning %s: %d sessions, %d before", link, after, before)
	}
}

// TestMagicLinkPage: the mailed magic link opens a page that names the
// account masked and changes nothing; its button signs in once. The link
// of older mails (/api/auth/magic-link/{token}) redirects to the page,
// consuming nothing.
func TestMagicLinkPage(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, r := e.signUp("mia@example.com", pw)
		uid := r.str("user", "id")
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "mia@example.com", "callbackURL": "/after"}).want(t, http.StatusAccepted, "")
		link := linkIn(t, e.mailTo("mia@example.com", "Sign in", 1), "/magic-link/")
		if !strings.HasPrefix(link, "/magic-link/") || !strings.HasSuffix(link, "?callbackURL=%2Fafter") {
			t.Fatalf("mailed link %q, want the page with the callback", link)
		}
		tok := strings.TrimPrefix(link[:strings.IndexByte(link, '?')], "/magic-link/")

		old := e.api().do("GET", "/api/auth/magic-link/"+tok+"?callbackURL=/after", nil)
		wantRedirect(t, old, link)
		b := e.browser()
		page := b.do("GET", link, nil)
		if page.status != http.StatusOK || !strings.Contains(page.html(), "Sign in as m…@example.com") ||
			!strings.Contains(page.html(), `name="callbackURL" value="/after"`) || strings.Contains(page.html(), "mia@") {
			t.Fatalf("link page: %d %.800s", page.status, page.raw)
		}
		if got := page.header.Get("Referrer-Policy"); got != "strict-origin" {
			t.Errorf("link page Referrer-Policy %q, want strict-origin", got)
		}
		if cookie(page, "auth_session") != nil || sessionCount(t, e, uid) != 1 {
			t.Fatal("opening the link page signed in")
		}
		wantRedirect(t, b.form("/magic-link/"+tok, url.Values{"callbackURL": {"/after"}}), "/after")
		b.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")

		// Used: the page asks for a new link at once; the button fails.
		used := e.browser().do("GET", link, nil)
		if used.status != http.StatusBadRequest || !strings.Contains(used.html(), "Ask for a new one") || strings.Contains(used.html(), "/magic-link/"+tok) {
			t.Errorf("used link page: %d %.500s", used.status, used.raw)
		}
		wantRedirect(t, e.browser().form("/magic-link/"+tok, nil), "/magic-link?e=INVALID_TOKEN")
		// A second click from the browser it signed in lands where it would.
		wantRedirect(t, b.form("/magic-link/"+tok, url.Values{"callbackURL": {"/after"}}), "/after")
		// A form post from another site is refused.
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "mia@example.com"}).want(t, http.StatusAccepted, "")
		fresh := linkIn(t, e.mailTo("mia@example.com", "Sign in", 2), "/magic-link/")
		if r := e.browser().withOrigin("https://evil.example").form(fresh, nil); r.status != http.StatusForbidden || cookie(r, "auth_session") != nil {
			t.Errorf("cross-site post: %d", r.status)
		}
		wantRedirect(t, e.browser().clickMagicLink(fresh), "/account")
	})
}

// TestMagicLinkVerifyAPI: JSON clients consume a magic link with POST
// /api/auth/magic-link/verify {token}: once, with the session in the body
// (its token only without Origin) and the cookie set.
func TestMagicLinkVerifyAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.signUp("jay@example.com", pw)
		mailed := func(n int) string {
			e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "jay@example.com"}).want(t, http.StatusAccepted, "")
			l := linkIn(t, e.mailTo("jay@example.com", "Sign in", n), "/magic-link/")
			return strings.TrimPrefix(l, "/magic-link/")
		}
		tok := mailed(1)
		r := e.api().do("POST", "/api/auth/magic-link/verify", map[string]string{"token": tok}).want(t, http.StatusOK, "")
		if r.str("user", "email") != "jay@example.com" || r.str("session", "id") == "" || r.str("token") == "" || cookie(r, "auth_session") == nil {
			t.Fatalf("verify: %s", r.raw)
		}
		c := e.api()
		c.bearer = r.str("token")
		if got := c.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").val("user", "emailVerified"); got != true {
			t.Errorf("the link did not verify the address")
		}
		e.api().do("POST", "/api/auth/magic-link/verify", map[string]string{"token": tok}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
		e.api().do("POST", "/api/auth/magic-link/verify", map[string]string{"token": ""}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
		e.api().do("POST", "/api/auth/magic-link/verify", map[string]string{"token": strings.Repeat("x", 5000)}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
		e.api().do("GET", "/api/auth/magic-link/verify", nil).want(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")

		// From a page of the site: cookie, no token in the body.
		b := e.browser()
		r = b.do("POST", "/api/auth/magic-link/verify", map[string]string{"token": mailed(2)}).want(t, http.StatusOK, "")
		if r.str("token") != "" || cookie(r, "auth_session") == nil {
			t.Errorf("browser verify: token %q, cookie %v", r.str("token"), cookie(r, "auth_session"))
		}
		b.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	})
}

// TestMagicLinkPagesOff: with the pages off, the mail carries the API path
// (or Links.MagicLink), and its GET signs nobody in.
func TestMagicLinkPagesOff(t *testing.T) {
	for _, target := range []string{"", "https://app.example/magic?t={token}"} {
		e := newEnv(t, memory.New(), func(c *authapi.Config) {
			c.DisablePages = true
			c.Links = authapi.Links{PasswordReset: "/reset/{token}", VerifyEmail: "/verify/{token}", MagicLink: target}
		})
		_, r := e.signUp("off@example.com", pw)
		uid := r.str("user", "id")
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "off@example.com", "callbackURL": "/x"}).want(t, http.StatusAccepted, "")
		m := e.mailTo("off@example.com", "Sign in", 1)
		var tok string
		if target == "" {
			link := linkIn(t, m, "/api/auth/magic-link/")
			tok = strings.TrimPrefix(link[:strings.IndexByte(link, '?')], "/api/auth/magic-link/")
			scan(t, e, uid, link)
			g := e.api().do("GET", link, nil).want(t, http.StatusOK, "")
			if !strings.Contains(string(g.raw), "POST /api/auth/magic-link/verify") {
				t.Errorf("API GET with pages off: %s", g.raw)
			}
		} else {
			l := linkPattern.FindString(m)
			if !strings.HasPrefix(l, "https://app.example/magic?t=") || !strings.HasSuffix(l, "&callbackURL=%2Fx") {
				t.Fatalf("mailed link %q", l)
			}
			tok = strings.TrimSuffix(strings.TrimPrefix(l, "https://app.example/magic?t="), "&callbackURL=%2Fx")
			wantRedirect(t, e.api().do("GET", "/api/auth/magic-link/"+tok+"?callbackURL=/x", nil), "https://app.example/magic?t="+tok+"&callbackURL=%2Fx")
		}
		if sessionCount(t, e, uid) != 1 {
			t.Fatal("the link's GET signed in")
		}
		e.api().do("POST", "/api/auth/magic-link/verify", map[string]string{"token": tok}).want(t, http.StatusOK, "")
	}
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	_, err = authapi.New(authapi.Config{Auth: auth, BaseURL: "http://localhost", Dev: true, DisablePages: true,
		Links: authapi.Links{PasswordReset: "/r/{token}", VerifyEmail: "/v/{token}", MagicLink: "/m"}})
	if err == nil || !strings.Contains(err.Error(), "Links.MagicLink") {
		t.Errorf("Links.MagicLink without {token}: %v", err)
	}
}

// TestScannerCannotBurnLinks plays a mail scanner on every link Latch
// mails (magic link, verification link, reset link, email change): GET,
// HEAD and GET following redirects. Afterwards the person's click works,
// exactly once.
func TestScannerCannotBurnLinks(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		owner, r := e.signUp("scan@example.com", pw)
		uid := r.str("user", "id")

		// Verification link: the signed-in owner presses the page's button.
		vlink := linkIn(t, e.mailTo("scan@example.com", "", 1), "/api/auth/email-verification/")
		vtok := vlink[strings.LastIndexByte(vlink, '/')+1:]
		scan(t, e, uid, vlink)
		scan(t, e, uid, "/verify-email/"+vtok)
		wantRedirect(t, owner.do("GET", vlink, nil), "/verify-email/"+vtok)
		owner.do("GET", "/verify-email/"+vtok, nil).want(t, http.StatusOK, "")
		wantRedirect(t, owner.form("/verify-email/"+vtok, nil), "/account?m=email-verified")
		wantRedirect(t, owner.form("/verify-email/"+vtok, nil), "/verify-email?e=INVALID_TOKEN")

		// Magic link: the page's button signs in once.
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "scan@example.com"}).want(t, http.StatusAccepted, "")
		mlink := linkIn(t, e.mailTo("scan@example.com", "Sign in", 1), "/magic-link/")
		mtok := strings.TrimPrefix(mlink, "/magic-link/")
		scan(t, e, uid, mlink)
		scan(t, e, uid, "/api/auth/magic-link/"+mtok)
		wantRedirect(t, e.browser().clickMagicLink(mlink), "/account")
		wantRedirect(t, e.browser().clickMagicLink(mlink), "/magic-link?e=INVALID_TOKEN")
		// And with JSON.
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "scan@example.com"}).want(t, http.StatusAccepted, "")
		mlink = linkIn(t, e.mailTo("scan@example.com", "Sign in", 2), "/magic-link/")
		scan(t, e, uid, mlink)
		e.api().do("POST", "/api/auth/magic-link/verify", map[string]string{"token": strings.TrimPrefix(mlink, "/magic-link/")}).want(t, http.StatusOK, "")
		e.api().do("POST", "/api/auth/magic-link/verify", map[string]string{"token": strings.TrimPrefix(mlink, "/magic-link/")}).want(t, http.StatusBadRequest, "INVALID_TOKEN")

		// Email change: the signed-in owner confirms on the page.
		owner.do("POST", "/api/auth/email", map[string]string{"newEmail": "scanned@example.com", "password": pw}).want(t, http.StatusAccepted, "")
		clink := linkIn(t, e.mailTo("scanned@example.com", "Confirm", 1), "/email-change/")
		scan(t, e, uid, clink)
		if u, _ := e.auth.GetUser(context.Background(), uid); u.Attributes.String("email") != "scan@example.com" {
			t.Fatalf("scanning changed the email to %q", u.Attributes.String("email"))
		}
		owner.do("GET", clink, nil).want(t, http.StatusOK, "")
		if r := owner.form(clink, nil); r.status != http.StatusOK || !strings.Contains(r.html(), "now uses scanned@example.com") {
			t.Fatalf("confirming: %d %.300s", r.status, r.raw)
		}
		if r := owner.form(clink, nil); r.status != http.StatusBadRequest {
			t.Errorf("confirming twice: %d", r.status)
		}

		// Reset link: the page's form sets the password once.
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "scanned@example.com"}).want(t, http.StatusAccepted, "")
		rlink := linkIn(t, e.mailTo("scanned@example.com", "password", 1), "/password-reset/")
		scan(t, e, uid, rlink)
		b := e.browser()
		wantRedirect(t, b.do("GET", rlink, nil), "/password-reset/new")
		b.do("GET", "/password-reset/new", nil).want(t, http.StatusOK, "")
		wantRedirect(t, b.form("/password-reset/new", url.Values{"password": {"a scanned new password"}}), "/account?m=password-changed")
		again := e.browser()
		if r := again.do("GET", rlink, nil); r.status != http.StatusBadRequest {
			t.Errorf("reset link after use: %d", r.status)
		}
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "scanned@example.com", "password": "a scanned new password"}).want(t, http.StatusOK, "")

		// Undo link of the email change, mailed to the old address: the
		// page's button reverts once.
		ulink := linkIn(t, e.mailTo("scan@example.com", "email of your", 1), "/undo/")
		scan(t, e, uid, ulink)
		if u, _ := e.auth.GetUser(context.Background(), uid); u.Attributes.String("email") != "scanned@example.com" {
			t.Fatalf("scanning the undo link changed the email to %q", u.Attributes.String("email"))
		}
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "scanned@example.com", "password": "a scanned new password"}).want(t, http.StatusOK, "")
		person := e.browser()
		if r := person.do("GET", ulink, nil); r.status != http.StatusOK || !strings.Contains(r.html(), `action="/undo/`) {
			t.Fatalf("undo page: %d %.300s", r.status, r.raw)
		}
		if r := person.form(ulink, nil); r.status != http.StatusOK || !strings.Contains(r.html(), "scan@example.com") {
			t.Fatalf("undoing: %d %.300s", r.status, r.raw)
		}
		if r := person.form(ulink, nil); r.status != http.StatusBadRequest {
			t.Errorf("undoing twice: %d", r.status)
		}
		if u, _ := e.auth.GetUser(context.Background(), uid); u.Attributes.String("email") != "scan@example.com" {
			t.Errorf("after the undo the email is %q", u.Attributes.String("email"))
		}
	})
}

// TestTokenPagesReferrerPolicy: every page whose URL holds a token sends
// Referrer-Policy strict-origin: the token never leaves in a Referer, and
// its form posts keep a real Origin.
func TestTokenPagesReferrerPolicy(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	for _, p := range []string{"/magic-link/x", "/verify-email/x", "/password-reset/x", "/email-change/x", "/undo/x"} {
		if got := e.browser().do("GET", p, nil).header.Get("Referrer-Policy"); got != "strict-origin" {
			t.Errorf("GET %s: Referrer-Policy %q, want strict-origin", p, got)
		}
	}
}

// TestBrowserScannerMagicLink: a headless Chromium that loads a magic
// link's page and runs its scripts (as link checkers do) signs nobody in
// and leaves the link working; the person's click then signs in.
func TestBrowserScannerMagicLink(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	_, r := e.signUp("chrome-scan@example.com", pw)
	uid := r.str("user", "id")
	e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "chrome-scan@example.com"}).want(t, http.StatusAccepted, "")
	link := linkIn(t, e.mailTo("chrome-scan@example.com", "Sign in", 1), "/magic-link/")

	scanner := newBrowser(t, e.srv.URL)
	scanner.open(link)
	scanner.run("scripts ran", chromedp.WaitReady(chromedp.CSS("main form button")))
	if n := get(scanner, "cookies", chromedp.Evaluate[string](`document.cookie`)); n != "" {
		t.Errorf("the scanner got cookies: %q", n)
	}
	if sessionCount(t, e, uid) != 1 {
		t.Fatal("loading the page signed in")
	}

	person := newBrowser(t, e.srv.URL)
	person.open(link)
	if txt := person.text("main"); !strings.Contains(txt, "Sign in as c…@example.com") {
		t.Errorf("page: %q", txt)
	}
	person.submit("main form button", "/account?m=signed-in")
	if txt := person.text("main"); !strings.Contains(txt, "chrome-scan@example.com") {
		t.Errorf("account page after the click: %q", txt)
	}
}

// TestBrowserScannerUndoLink: a headless Chromium that loads an undo
// link's page and runs its scripts undoes nothing and leaves the link
// working; the person's click then undoes, once.
func TestBrowserScannerUndoLink(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b, r := e.signUp("chrome-undo@example.com", pw)
	uid := r.str("user", "id")
	b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "another good password"}).want(t, http.StatusOK, "")
	link := linkIn(t, e.mailTo("chrome-undo@example.com", "password was changed", 1), "/undo/")

	scanner := newBrowser(t, e.srv.URL)
	scanner.open(link)
	scanner.run("scripts ran", chromedp.WaitReady(chromedp.CSS("main form button")))
	if sessionCount(t, e, uid) != 1 {
		t.Fatal("loading the page ended the sessions")
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "chrome-undo@example.com", "password": "another good password"}).want(t, http.StatusOK, "")

	person := newBrowser(t, e.srv.URL)
	person.open(link)
	if txt := person.text("main"); !strings.Contains(txt, "Undo the change") {
		t.Errorf("page: %q", txt)
	}
	person.submit("main form button", link) // the answer is rendered at the same path
	if txt := person.text("main"); !strings.Contains(txt, "undone") {
		t.Errorf("page after the click: %q", txt)
	}
	if n := sessionCount(t, e, uid); n != 0 {
		t.Errorf("%d sessions after the undo", n)
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "chrome-undo@example.com", "password": "another good password"}).want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
}

// TestBrowserVerifyLinkSignedIn: the owner's signed-in browser opens the
// mailed verification link and presses the button. Under a no-referrer
// page Chromium would post with "Origin: null", refused for a browser
// with a session cookie; under strict-origin it verifies.
func TestBrowserVerifyLinkSignedIn(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b := newBrowser(t, e.srv.URL)
	b.open("/sign-up")
	b.fill("form[action='/sign-up']", map[string]string{"email": "vlink@example.com", "password": pw})
	b.submit("form[action='/sign-up'] button", "/verify-email")
	link := linkIn(t, e.mailTo("vlink@example.com", "", 1), "/api/auth/email-verification/")
	b.open(link)
	b.waitPath("/verify-email/")
	b.screenshot("verify-link-signed-in")
	b.submit("main form button", "/account?m=email-verified")
	k, err := e.auth.GetKey(context.Background(), "email", "vlink@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := e.auth.GetUser(context.Background(), k.UserID); err != nil || !u.Attributes.Bool("email_verified") {
		t.Error("the address is not verified")
	}
}
