package authapi_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
)

// form posts a form as a browser does.
func (c *client) form(path string, v url.Values) *response {
	c.e.t.Helper()
	return c.do("POST", path, strings.NewReader(v.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func (r *response) html() string { return html.UnescapeString(string(r.raw)) }

func wantRedirect(t *testing.T, r *response, prefix string) {
	t.Helper()
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), prefix) {
		t.Fatalf("got %d Location %q, want 303 to %s…; body %.300s", r.status, r.header.Get("Location"), prefix, r.raw)
	}
}

func TestPagesRender(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	for _, p := range []struct{ path, text string }{
		{"/", "Sign in"}, {"/sign-up", "Create an account"}, {"/sign-in", "Sign in"},
		{"/password-reset", "Reset your password"},
		{"/magic-link", "Sign in with a link"}, {"/dev/outbox", "Dev outbox"},
	} {
		r := e.browser().do("GET", p.path, nil)
		if r.status != 200 || !strings.Contains(r.html(), p.text) || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %q", p.path, r.status, r.header.Get("Content-Type"))
		}
		if !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", p.path, r.header.Get("Content-Security-Policy"))
		}
	}
	// The mailed reset link keeps its token out of Referer and of the form's URL.
	// (A real token: a dead one gets the request form at once, see
	// TestLinkPagesTellTheTruth.)
	e.signUp("reset@example.com", "correct horse battery staple")
	e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "reset@example.com"}).want(t, http.StatusAccepted, "")
	resetPath := strings.TrimPrefix(linkIn(t, e.mailTo("reset@example.com", "Reset", 1), "/password-reset/"), e.srv.URL)
	sometoken := resetPath[strings.LastIndex(resetPath, "/")+1:]
	b := e.browser()
	r := b.do("GET", resetPath, nil)
	wantRedirect(t, r, "/password-reset/new")
	if rp := r.header.Get("Referrer-Policy"); rp != "strict-origin" {
		t.Errorf("reset link Referrer-Policy %q", rp)
	}
	if r := b.do("GET", "/password-reset/new", nil); r.status != 200 || !strings.Contains(r.html(), "Set a new password") || strings.Contains(r.html(), sometoken) {
		t.Errorf("reset form: %d", r.status)
	}
	if r := e.browser().do("GET", "/password-reset/new", nil); r.status != 400 || !strings.Contains(r.html(), "Ask for a new one") {
		t.Errorf("reset form without the link: %d", r.status)
	}
	if r := e.browser().do("GET", "/no/such/page", nil); r.status != 404 || !strings.Contains(r.html(), "There is no page here") {
		t.Errorf("unknown page: %d", r.status)
	}
	if r := e.browser().do("GET", "/static/style.css", nil); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %q", r.status, r.header.Get("Content-Type"))
	}
	wantRedirect(t, e.browser().do("GET", "/account", nil), "/sign-in?e=UNAUTHORIZED")
	wantRedirect(t, e.browser().do("GET", "/verify-email", nil), "/sign-in?e=UNAUTHORIZED")
}

func TestOutboxOnlyInDev(t *testing.T) {
	e := newEnv(t, memory.New(), func(c *authapi.Config) { c.Dev = false })
	e.browser().do("GET", "/dev/outbox", nil).want(t, 404, "")
	e.api().do("GET", "/api/dev/outbox", nil).want(t, 404, "NOT_FOUND")
	if strings.Contains(e.browser().do("GET", "/", nil).html(), "Outbox") {
		t.Error("the home page links the outbox outside dev")
	}
}

func TestPageForms(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b := e.browser()

	// Forms check Origin, signed in or not.
	noOrigin := e.browser()
	noOrigin.origin = ""
	if r := noOrigin.form("/sign-up", url.Values{"email": {"f@example.com"}, "password": {pw}}); r.status != 403 {
		t.Fatalf("form without Origin: %d", r.status)
	}
	evil := e.browser()
	evil.origin = "https://evil.example"
	if r := evil.form("/sign-in", url.Values{"email": {"f@example.com"}, "password": {pw}}); r.status != 403 {
		t.Fatalf("form from another origin: %d", r.status)
	}

	// Sign-up errors show on the form, with the address kept.
	r := b.form("/sign-up", url.Values{"email": {"Form@Example.com"}, "password": {"short"}})
	if r.status != 400 || !strings.Contains(r.html(), "at least 8 characters") || !strings.Contains(r.html(), `value="Form@Example.com"`) {
		t.Fatalf("short password form: %d %.500s", r.status, r.html())
	}
	wantRedirect(t, b.form("/sign-up", url.Values{"email": {"Form@Example.com"}, "password": {pw}, "name": {"Form <b>Person</b>"}}), "/verify-email?m=welcome")
	r = b.do("GET", "/verify-email?m=welcome", nil)
	if !strings.Contains(r.html(), "form@example.com") || !strings.Contains(r.html(), "We sent a code") || !strings.Contains(r.html(), "Your account is made") {
		t.Errorf("verify page: %.800s", r.html())
	}
	code := codeIn(t, e.mailTo("form@example.com", "", 1))
	r = b.form("/verify-email", url.Values{"code": {"12"}})
	if r.status != 400 || !strings.Contains(r.html(), "wrong or expired") {
		t.Errorf("wrong code form: %d", r.status)
	}
	wantRedirect(t, b.form("/verify-email", url.Values{"code": {code}}), "/account?m=email-verified")
	r = b.do("GET", "/account", nil)
	if r.status != 200 || !strings.Contains(r.html(), "verified") || strings.Contains(string(r.raw), "<b>Person</b>") || !strings.Contains(r.html(), "Form <b>Person</b>") {
		t.Errorf("account page: %d %.1500s", r.status, r.raw)
	}

	// Sign in elsewhere, then revoke that session from the account page.
	other := e.browser()
	r = other.form("/sign-in", url.Values{"email": {"form@example.com"}, "password": {"wrong password"}})
	if r.status != 401 || !strings.Contains(r.html(), "Wrong email or password") {
		t.Errorf("wrong password form: %d", r.status)
	}
	wantRedirect(t, other.form("/sign-in", url.Values{"email": {"form@example.com"}, "password": {pw}}), "/account?m=signed-in")
	otherID := other.do("GET", "/api/auth/session", nil).want(t, 200, "").str("session", "id")
	if !strings.Contains(b.do("GET", "/account", nil).html(), otherID) {
		t.Fatal("account page does not list the other session")
	}
	wantRedirect(t, b.form("/account/sessions/"+otherID+"/revoke", nil), "/account?m=session-revoked")
	other.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")

	// Password reset by forms.
	wantRedirect(t, other.form("/password-reset", url.Values{"email": {"form@example.com"}}), "/password-reset?m=link-sent")
	link := linkIn(t, e.mailTo("form@example.com", "password", 1), "/password-reset/")
	wantRedirect(t, other.do("GET", link, nil), "/password-reset/new")
	r = other.form("/password-reset/new", url.Values{"password": {"short"}})
	if r.status != 400 || !strings.Contains(r.html(), "at least 8") {
		t.Errorf("short password on the reset form: %d", r.status)
	}
	wantRedirect(t, other.form("/password-reset/new", url.Values{"password": {"new password 1"}}), "/account?m=password-changed")
	// The used link says so when it opens, before a password is typed.
	r = other.do("GET", link, nil)
	if r.status != 400 || !strings.Contains(r.html(), "already been used") {
		t.Errorf("reset link used twice: %d", r.status)
	}
	b.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")

	// Magic link by form; the mailed link signs a fresh browser in.
	wantRedirect(t, e.browser().form("/magic-link", url.Values{"email": {"form@example.com"}}), "/magic-link?m=link-sent")
	ml := linkIn(t, e.mailTo("form@example.com", "Sign in", 1), "/magic-link/")
	fresh := e.browser()
	wantRedirect(t, fresh.clickMagicLink(ml), "/account")
	fresh.do("GET", "/api/auth/session", nil).want(t, 200, "")

	// Sign out by form.
	wantRedirect(t, fresh.form("/sign-out", nil), "/?m=signed-out")
	fresh.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
}
