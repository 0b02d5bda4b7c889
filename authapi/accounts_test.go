package authapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLinkedAccounts(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, su := e.signUp("link@example.com", pw)
		uid := su.str("user", "id")
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("github", "1234")); err != nil {
			t.Fatal(err)
		}
		e.api().do("GET", "/api/auth/accounts", nil).want(t, 401, "UNAUTHORIZED")
		r := b.do("GET", "/api/auth/accounts", nil).want(t, 200, "")
		if got := string(r.raw); !strings.Contains(got, `{"provider":"email","accountId":"link@example.com","password":true}`) ||
			!strings.Contains(got, `{"provider":"github","accountId":"1234","password":false}`) || strings.Contains(got, "s2:") || strings.Contains(got, "$") {
			t.Fatalf("accounts: %s", got)
		}

		other := e.browser()
		other.do("POST", "/api/auth/sign-in", map[string]string{"email": "link@example.com", "password": pw}).want(t, 200, "")
		other.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "")

		b.do("DELETE", "/api/auth/accounts/gitlab", map[string]string{"password": pw}).want(t, 404, "METHOD_NOT_LINKED")
		b.do("DELETE", "/api/auth/accounts/github", map[string]string{"password": "wrong password"}).want(t, 401, "INVALID_CREDENTIALS")
		b.do("DELETE", "/api/auth/accounts/github", nil).want(t, 400, "INVALID_BODY")
		b.do("DELETE", "/api/auth/accounts/github", map[string]string{"password": pw}).want(t, http.StatusNoContent, "")
		if keys, _ := e.store.ListKeys(ctx, uid); len(keys) != 1 {
			t.Errorf("keys after unlink: %v", keys)
		}
		if toks, _ := e.store.ListTokens(ctx, uid, "one-time-token"); len(toks) != 0 {
			t.Errorf("one-time tokens after unlink: %d", len(toks))
		}
		if m := e.mailTo("link@example.com", "sign-in method was removed", 1); !strings.Contains(m, "github") {
			t.Errorf("notice: %q", m)
		}
		// The last way in stays.
		b.do("DELETE", "/api/auth/accounts/email", map[string]string{"password": pw}).want(t, http.StatusConflict, "LAST_SIGN_IN_METHOD")
		b.do("GET", "/api/auth/session", nil).want(t, 200, "")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "link@example.com", "password": pw}).want(t, 200, "")

		// With another way in, the password itself may go.
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("google", "g-1")); err != nil {
			t.Fatal(err)
		}
		b.do("DELETE", "/api/auth/accounts/email", map[string]string{"password": pw}).want(t, http.StatusNoContent, "")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "link@example.com", "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
		b.do("DELETE", "/api/auth/accounts/google", map[string]string{"password": pw}).want(t, http.StatusConflict, "LAST_SIGN_IN_METHOD")
	})
}

func TestLinkedAccountsPage(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	b, su := e.signUp("linkp@example.com", pw)
	if _, err := e.auth.CreateKey(context.Background(), su.str("user", "id"), latchKey("github", "77")); err != nil {
		t.Fatal(err)
	}
	page := b.do("GET", "/account", nil).html()
	if !strings.Contains(page, `action="/account/methods/github/remove"`) || !strings.Contains(page, "linkp@example.com") {
		t.Fatalf("methods not listed: %.2000s", page)
	}
	wantRedirect(t, b.form("/account/methods/github/remove", url.Values{"password": {"wrong password"}}), "/account?e=INVALID_CREDENTIALS")
	wantRedirect(t, b.form("/account/methods/github/remove", url.Values{"password": {pw}}), "/account?m=method-removed")
	if page := b.do("GET", "/account", nil).html(); strings.Contains(page, "/remove\"") && strings.Contains(page, "methods/email/remove") {
		t.Errorf("the last method offers removal")
	}
}
