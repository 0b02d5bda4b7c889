package authapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSessionFixation: a session token planted in the browser before
// sign-in (by an attacker who knows it) is never adopted: sign-in and
// sign-up set a new token, and the planted one stays invalid.
func TestSessionFixation(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.signUp("fix@example.com", pw)
		const planted = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // 40 chars of a-z0-9, as a real token
		for _, flow := range []struct {
			path string
			body map[string]string
		}{
			{"/api/auth/sign-in", map[string]string{"email": "fix@example.com", "password": pw}},
			{"/api/auth/sign-up", map[string]string{"email": "fix2@example.com", "password": pw}},
		} {
			c := e.browser()
			u, _ := url.Parse(e.srv.URL)
			c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "auth_session", Value: planted, Path: "/"}})
			r := c.do("POST", flow.path, flow.body)
			if r.status >= 300 {
				t.Fatalf("%s: %d %s", flow.path, r.status, r.raw)
			}
			ck := cookie(r, "auth_session")
			if ck == nil || ck.Value == planted || ck.Value == "" {
				t.Fatalf("%s with a planted cookie: new cookie %+v, want a fresh token", flow.path, ck)
			}
			e.api().do("GET", "/api/auth/session", nil, "Authorization", "Bearer "+planted).want(t, 401, "UNAUTHORIZED")
			c.do("GET", "/api/auth/session", nil).want(t, 200, "")
		}
	})
}

// TestDeletedUser: the cookie, bearer token and open links of a user who is
// deleted stop working at once, with the ordinary answers.
func TestDeletedUser(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, r := e.signUp("gone@example.com", pw)
		userID := r.str("user", "id")
		api := e.api()
		tok := api.do("POST", "/api/auth/sign-in", map[string]string{"email": "gone@example.com", "password": pw}).want(t, 200, "").str("token")
		api.bearer = tok
		code := codeIn(t, e.mailTo("gone@example.com", "", 1))
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "gone@example.com"}).want(t, 202, "")
		magic := linkIn(t, e.mailTo("gone@example.com", "Sign in", 1), "/magic-link/")
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "gone@example.com"}).want(t, 202, "")
		reset := "/api/auth" + linkIn(t, e.mailTo("gone@example.com", "password", 1), "/password-reset/")

		if err := e.auth.DeleteUser(t.Context(), userID); err != nil {
			t.Fatal(err)
		}
		c.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		api.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		c.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": code}).want(t, 401, "UNAUTHORIZED")
		e.api().do("POST", reset, map[string]string{"password": "a new password"}).want(t, 400, "INVALID_TOKEN")
		mr := e.browser().clickMagicLink(magic)
		if mr.status != http.StatusSeeOther || cookie(mr, "auth_session") != nil {
			t.Errorf("magic link of a deleted user: %d, cookie %v", mr.status, cookie(mr, "auth_session"))
		}
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "gone@example.com", "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
	})
}

// TestHostileFields sends SQL metacharacters, NUL bytes, control and
// oversized strings in every field of every JSON endpoint: each gets a
// 4xx with a JSON error code (or the endpoint's uniform 202), never a 5xx,
// and nothing is created.
func TestHostileFields(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, _ := e.signUp("victim@example.com", pw)
		values := []string{
			"' OR '1'='1", `"; DROP TABLE latch_user; --`, "victim@example.com' --", "a\x00b@example.com",
			"victim@example.com\x00", "\x00", "\r\n", strings.Repeat("a", 10_000) + "@example.com",
			strings.Repeat("é", 5_000), "%00", "${jndi:ldap://x}", "<script>alert(1)</script>@example.com",
		}
		endpoints := []struct {
			method, path string
			fields       []string
			signedIn     bool
		}{
			{"POST", "/api/auth/sign-up", []string{"email", "password", "name"}, false},
			{"POST", "/api/auth/sign-in", []string{"email", "password"}, false},
			{"POST", "/api/auth/password-reset", []string{"email"}, false},
			{"POST", "/api/auth/magic-link", []string{"email", "callbackURL"}, false},
			{"POST", "/api/auth/email-verification/verify", []string{"code"}, true},
			{"POST", "/api/auth/one-time-token/verify", []string{"token"}, false},
		}
		for _, ep := range endpoints {
			for _, f := range ep.fields {
				for _, v := range values {
					body := map[string]string{"email": "victim@example.com", "password": pw}
					body[f] = v
					cl := e.api()
					if ep.signedIn {
						cl = c
					}
					r := cl.do(ep.method, ep.path, body)
					if r.status >= 500 || (r.status >= 400 && r.code() == "") {
						t.Errorf("%s %s with %s=%.40q: %d %.200s", ep.method, ep.path, f, v, r.status, r.raw)
					}
					if ep.path == "/api/auth/sign-up" && r.status == http.StatusCreated {
						t.Errorf("sign-up accepted %s=%.40q", f, v)
					}
				}
			}
		}
		// Path parameters too.
		for _, v := range []string{"' OR 1=1 --", "%00", "a%00b", strings.Repeat("z", 10_000)} {
			e.api().do("POST", "/api/auth/password-reset/"+v, map[string]string{"password": "a new password"}).want(t, 400, "INVALID_TOKEN")
			e.api().do("DELETE", "/api/auth/sessions/"+v, nil).want(t, 401, "UNAUTHORIZED")
		}
		// The victim is intact (once the throttles the failures set off have
		// run out).
		e.clock.Advance(2 * time.Hour)
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "victim@example.com", "password": pw}).want(t, 200, "")
	})
}
