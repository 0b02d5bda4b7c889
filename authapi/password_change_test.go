package authapi_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

func TestChangePassword(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		b, su := e.signUp("cp@example.com", pw)
		uid := su.str("user", "id")
		other := e.browser()
		other.do("POST", "/api/auth/sign-in", map[string]string{"email": "cp@example.com", "password": pw}).want(t, 200, "")
		api := e.api()
		api.bearer = api.do("POST", "/api/auth/sign-in", map[string]string{"email": "cp@example.com", "password": pw}).want(t, 200, "").str("token")
		oldBearer := api.bearer

		// Open tokens of every kind the user can hold.
		other.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "")
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "cp@example.com"}).want(t, 202, "")
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "cp@example.com"}).want(t, 202, "")
		reset := "/api/auth" + linkIn(t, e.mailTo("cp@example.com", "password", 1), "/password-reset/")
		e.mailTo("cp@example.com", "Sign in", 1)

		e.api().do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "a new password"}).want(t, 401, "UNAUTHORIZED")
		api.do("POST", "/api/auth/password", `{"currentPassword":`).want(t, 400, "INVALID_BODY")
		api.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "short"}).want(t, 400, "PASSWORD_TOO_SHORT")
		api.do("POST", "/api/auth/password", map[string]string{"currentPassword": "wrong password", "newPassword": "a new password"}).want(t, 401, "INVALID_CREDENTIALS")
		api.do("GET", "/api/auth/session", nil).want(t, 200, "") // a refusal changes nothing

		newPW := "a new password"
		r := api.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": newPW}).want(t, 200, "")
		if r.str("token") == "" || r.str("token") == oldBearer || r.str("user", "id") != uid {
			t.Fatalf("change: %s", r.raw)
		}
		api.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		api.bearer = r.str("token")
		api.do("GET", "/api/auth/session", nil).want(t, 200, "")
		b.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		other.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		if n := len(listSessions(t, e, uid)); n != 1 {
			t.Errorf("%d sessions after the change, want 1", n)
		}
		for _, kind := range []string{"password-reset", "magic-link", "one-time-token", "email-verification", "email-verification-link"} {
			if toks, err := e.store.ListTokens(context.Background(), uid, kind); err != nil || len(toks) != 0 {
				t.Errorf("%s tokens after the change: %d, %v", kind, len(toks), err)
			}
		}
		e.api().do("POST", reset, map[string]string{"password": "reset password"}).want(t, 400, "INVALID_TOKEN")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "cp@example.com", "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "cp@example.com", "password": newPW}).want(t, 200, "")
		if m := e.mailTo("cp@example.com", "password was changed", 1); !strings.Contains(m, "every other session") {
			t.Errorf("notice: %q", m)
		}

		// A browser gets a new cookie, never the token.
		c := e.browser()
		c.do("POST", "/api/auth/sign-in", map[string]string{"email": "cp@example.com", "password": newPW}).want(t, 200, "")
		r = c.do("POST", "/api/auth/password", map[string]string{"currentPassword": newPW, "newPassword": pw}).want(t, 200, "")
		if r.str("token") != "" || cookie(r, "auth_session") == nil {
			t.Errorf("browser change: %s, cookie %v", r.raw, cookie(r, "auth_session"))
		}
		c.do("GET", "/api/auth/session", nil).want(t, 200, "")
	})
}

// TestChangePasswordThrottle: wrong current passwords count against the
// address's sign-in throttle, which then refuses sign-ins too.
func TestChangePasswordThrottle(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	b, _ := e.signUp("cpt@example.com", pw)
	var r *response
	for i := 0; i < 20; i++ {
		r = b.do("POST", "/api/auth/password", map[string]string{"currentPassword": "wrong password", "newPassword": "a new password"})
		if r.status == http.StatusTooManyRequests {
			break
		}
		r.want(t, 401, "INVALID_CREDENTIALS")
	}
	r.want(t, 429, "TOO_MANY_REQUESTS")
	b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "a new password"}).want(t, 429, "TOO_MANY_REQUESTS")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "cpt@example.com", "password": pw}).want(t, 429, "TOO_MANY_REQUESTS")
}

// TestChangePasswordNoPassword: an account without a password (OAuth) is
// told to set one by a reset.
func TestChangePasswordNoPassword(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	b, su := e.signUp("nopw@example.com", pw)
	if err := e.auth.DeleteKey(context.Background(), "email", "nopw@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.CreateKey(context.Background(), su.str("user", "id"), latchKey("github", "42")); err != nil {
		t.Fatal(err)
	}
	b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "a new password"}).want(t, http.StatusConflict, "NO_PASSWORD")
}

func latchKey(provider, id string) latch.KeyOptions {
	return latch.KeyOptions{ProviderID: provider, ProviderUserID: id}
}

func listSessions(t *testing.T, e *env, userID string) []latch.Session {
	t.Helper()
	list, err := e.auth.GetAllUserSessions(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestChangePasswordPage: the form on /account changes the password,
// keeps this browser signed in with a new cookie and shows errors.
func TestChangePasswordPage(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	b, _ := e.signUp("cpp@example.com", pw)
	if r := b.do("GET", "/account", nil); !strings.Contains(r.html(), `action="/account/password"`) {
		t.Fatalf("no password form on /account: %.500s", r.raw)
	}
	wantRedirect(t, b.form("/account/password", url.Values{"current_password": {"wrong password"}, "new_password": {"a new password"}}), "/account?e=INVALID_CREDENTIALS")
	if r := b.do("GET", "/account?e=INVALID_CREDENTIALS", nil); !strings.Contains(r.html(), "Wrong email or password.") {
		t.Errorf("error not shown: %.500s", r.raw)
	}
	r := b.form("/account/password", url.Values{"current_password": {pw}, "new_password": {"a new password"}})
	wantRedirect(t, r, "/account?m=password-changed")
	if cookie(r, "auth_session") == nil {
		t.Error("no new cookie")
	}
	b.do("GET", "/api/auth/session", nil).want(t, 200, "")
	evil := e.browser()
	evil.origin = "https://evil.example"
	evil.hc.Jar = b.hc.Jar
	if r := evil.form("/account/password", url.Values{"current_password": {"a new password"}, "new_password": {pw}}); r.status != 403 {
		t.Errorf("cross-origin form: %d", r.status)
	}
}

// TestChangePasswordAtomic fails the last write of a change (the new
// session) and checks that nothing of it remains: the old password, the
// other sessions and the open tokens are all still there.
func TestChangePasswordAtomic(t *testing.T) {
	t.Parallel()
	inner, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	if err := inner.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	store := &faultyStore{Store: inner}
	e := newEnv(t, store, nil)
	b, su := e.signUp("cpa@example.com", pw)
	uid := su.str("user", "id")
	other := e.browser()
	other.do("POST", "/api/auth/sign-in", map[string]string{"email": "cpa@example.com", "password": pw}).want(t, 200, "")
	other.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "")

	store.fail.Store(true)
	r := b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "a new password"})
	if r.status != http.StatusInternalServerError || cookie(r, "auth_session") != nil {
		t.Fatalf("change with a failing store: %d %s", r.status, r.raw)
	}
	store.fail.Store(false)
	other.do("GET", "/api/auth/session", nil).want(t, 200, "")
	b.do("GET", "/api/auth/session", nil).want(t, 200, "")
	if toks, _ := e.store.ListTokens(t.Context(), uid, "one-time-token"); len(toks) != 1 {
		t.Errorf("one-time tokens after a failed change: %d, want 1", len(toks))
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "cpa@example.com", "password": pw}).want(t, 200, "")
}
