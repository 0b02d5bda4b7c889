package authapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

func TestDeleteAccount(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, su := e.signUp("del@example.com", pw)
		uid := su.str("user", "id")
		// A password change leaves an undo link, which delete removes too.
		b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": pw + "!"}).want(t, 200, "")
		b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw + "!", "newPassword": pw}).want(t, 200, "")
		e.mailTo("del@example.com", "password was changed", 2)
		if toks, _ := e.store.ListTokens(ctx, uid, "undo-password"); len(toks) != 1 {
			t.Fatalf("undo-password tokens before delete: %d", len(toks))
		}
		if evs, _, _ := e.auth.ListActivity(ctx, uid, "", 10); len(evs) == 0 {
			t.Fatal("no activity before delete")
		}

		other := e.browser()
		other.do("POST", "/api/auth/sign-in", map[string]string{"email": "del@example.com", "password": pw}).want(t, 200, "")
		other.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "")
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "del@example.com"}).want(t, 202, "")
		e.mailTo("del@example.com", "password", 3) // after the two notices
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("github", "del-42")); err != nil {
			t.Fatal(err)
		}

		e.api().do("DELETE", "/api/auth/account", map[string]string{"password": pw}).want(t, 401, "UNAUTHORIZED")
		b.do("DELETE", "/api/auth/account", `[]`).want(t, 400, "INVALID_BODY")
		b.do("DELETE", "/api/auth/account", map[string]string{"password": "wrong password"}).want(t, 401, "INVALID_CREDENTIALS")
		b.do("GET", "/api/auth/session", nil).want(t, 200, "")

		r := b.do("DELETE", "/api/auth/account", map[string]string{"password": pw}).want(t, http.StatusNoContent, "")
		if c := cookie(r, "auth_session"); c == nil || c.MaxAge >= 0 {
			t.Errorf("cookie not cleared: %v", c)
		}
		other.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		if _, err := e.store.GetUser(ctx, uid); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("user after delete: %v", err)
		}
		if keys, err := e.store.ListKeys(ctx, uid); err != nil || len(keys) != 0 {
			t.Errorf("keys after delete: %v %v", keys, err)
		}
		if s, err := e.store.ListSessions(ctx, uid); err != nil || len(s) != 0 {
			t.Errorf("sessions after delete: %v %v", s, err)
		}
		if evs, _, err := e.auth.ListActivity(ctx, uid, "", 10); err != nil || len(evs) != 0 {
			t.Errorf("activity after delete: %v %v", evs, err)
		}
		for _, kind := range []string{"password-reset", "one-time-token", "email-verification", "email-verification-link", "undo-password"} {
			if toks, err := e.store.ListTokens(ctx, uid, kind); err != nil || len(toks) != 0 {
				t.Errorf("%s tokens after delete: %d %v", kind, len(toks), err)
			}
		}
		if m := e.mailTo("del@example.com", "account was deleted", 1); !strings.Contains(m, "Goodbye") {
			t.Errorf("goodbye: %q", m)
		}
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "del@example.com", "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
		e.signUp("del@example.com", pw) // the address is free again
	})
}

func TestDeleteAccountNoPassword(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	b, su := e.signUp("delnp@example.com", pw)
	ctx := context.Background()
	if err := e.auth.DeleteKey(ctx, "email", "delnp@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.CreateKey(ctx, su.str("user", "id"), latchKey("github", "7")); err != nil {
		t.Fatal(err)
	}
	b.do("DELETE", "/api/auth/account", map[string]string{"password": pw}).want(t, http.StatusConflict, "NO_PASSWORD")
	b.do("GET", "/api/auth/session", nil).want(t, 200, "")
}

func TestDeleteAccountPage(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	b, _ := e.signUp("delp@example.com", pw)
	if r := b.do("GET", "/account", nil); !strings.Contains(r.html(), `action="/account/delete"`) {
		t.Fatalf("no delete form on /account")
	}
	wantRedirect(t, b.form("/account/delete", url.Values{"password": {pw}}), "/account?e=CONFIRMATION_REQUIRED")
	wantRedirect(t, b.form("/account/delete", url.Values{"password": {"wrong password"}, "confirm": {"yes"}}), "/account?e=INVALID_CREDENTIALS")
	b.do("GET", "/api/auth/session", nil).want(t, 200, "")
	wantRedirect(t, b.form("/account/delete", url.Values{"password": {pw}, "confirm": {"yes"}}), "/?m=account-deleted")
	b.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "delp@example.com", "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
}
