package authapi_test

import (
	"net/http"
	"testing"

	"github.com/latchauth/latch/authapi"
)

// TestOTTDisableSetSessionCookie: with better-auth's
// disableSetSessionCookie, verify answers the session (with its token,
// even to a browser) and sets no cookie; without it, the cookie is set.
func TestOTTDisableSetSessionCookie(t *testing.T) {
	for _, disable := range []bool{false, true} {
		e := newEnv(t, stores[0].open(t), func(c *authapi.Config) { c.OTTDisableSetSessionCookie = disable })
		a, s := e.signUp("nocookie@example.com", pw)
		tok := a.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "").str("token")
		b := e.browser()
		r := b.do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": tok}).want(t, 200, "")
		if r.str("session", "id") != s.str("session", "id") {
			t.Errorf("disable=%v: verify answered %s", disable, r.raw)
		}
		if got := cookie(r, "auth_session") != nil; got == disable {
			t.Errorf("disable=%v: cookie set %v: %v", disable, got, r.header["Set-Cookie"])
		}
		if disable {
			// The body carries the token, which works as a bearer token.
			if r.str("token") == "" {
				t.Fatalf("no token in the body: %s", r.raw)
			}
			b.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
			c := e.api()
			c.bearer = r.str("token")
			c.do("GET", "/api/auth/session", nil).want(t, 200, "")
		} else {
			b.do("GET", "/api/auth/session", nil).want(t, 200, "")
		}
	}
}

// TestSetOTTHeaderOnNewSession: every response that creates a session
// carries set-ott with a fresh one-time token for that very session;
// responses that create none do not, and nothing does when the option is
// off.
func TestSetOTTHeaderOnNewSession(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e = newEnv(t, e.store, func(c *authapi.Config) { c.SetOTTHeaderOnNewSession = true })
		seen := map[string]bool{}
		check := func(what string, r *response) {
			t.Helper()
			ott := r.header.Get(authapi.SetOTTHeader)
			if ott == "" || seen[ott] {
				t.Fatalf("%s: set-ott %q (fresh each time?) headers %v", what, ott, r.header)
			}
			seen[ott] = true
			v := e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": ott}).want(t, 200, "")
			if v.str("session", "id") == "" || v.str("session", "id") != r.str("session", "id") {
				t.Fatalf("%s: set-ott verified to %s, want session %s", what, v.raw, r.str("session", "id"))
			}
			e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": ott}).want(t, 400, "INVALID_TOKEN")
		}
		a, r := e.signUp("ott-header@example.com", pw)
		check("sign-up", r)
		check("sign-in", e.browser().do("POST", "/api/auth/sign-in", map[string]string{"email": "ott-header@example.com", "password": pw}).want(t, 200, ""))

		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "ott-header@example.com"}).want(t, http.StatusAccepted, "")
		link := linkIn(t, e.mailTo("ott-header@example.com", "password", 1), "/password-reset/")
		check("password reset", e.api().do("POST", "/api/auth"+link, map[string]string{"password": "another password"}).want(t, 200, ""))

		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "ott-header@example.com"}).want(t, http.StatusAccepted, "")
		ml := linkIn(t, e.mailTo("ott-header@example.com", "Sign in", 1), "/magic-link/")
		r = e.browser().clickMagicLink(ml)
		if ott := r.header.Get(authapi.SetOTTHeader); ott == "" || cookie(r, "auth_session") == nil {
			t.Errorf("magic link: set-ott %q, headers %v", ott, r.header)
		} else {
			v := e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": ott}).want(t, 200, "")
			c := e.api()
			c.bearer = cookie(r, "auth_session").Value
			if own := c.do("GET", "/api/auth/session", nil).want(t, 200, "").str("session", "id"); v.str("session", "id") != own {
				t.Errorf("magic link set-ott names session %q, the link made %q", v.str("session", "id"), own)
			}
		}

		// Responses that create no session carry none.
		for _, r := range []*response{
			a.do("GET", "/api/auth/session", nil),
			e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "ott-header@example.com", "password": "wrong password"}),
		} {
			if v := r.header.Get(authapi.SetOTTHeader); v != "" {
				t.Errorf("set-ott on a response that made no session (%d): %q", r.status, v)
			}
		}
		// A one-time token's own verify hands over a session, makes none.
		b, _ := e.signUp("second@example.com", pw)
		tok := b.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "").str("token")
		if v := e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": tok}).want(t, 200, "").header.Get(authapi.SetOTTHeader); v != "" {
			t.Errorf("set-ott on verify: %q", v)
		}
	})

	e := newEnv(t, stores[0].open(t), nil)
	if _, r := e.signUp("off@example.com", pw); r.header.Get(authapi.SetOTTHeader) != "" {
		t.Errorf("set-ott without the option: %v", r.header)
	}
}
