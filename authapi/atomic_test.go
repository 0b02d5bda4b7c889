package authapi_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// faultyStore is a SQLite store whose CreateSession fails on demand: the
// last write of a password reset. It keeps the store's InTx (embedded), so
// Auth still runs the reset in one transaction.
type faultyStore struct {
	*sqlite.Store
	fail atomic.Bool
}

var errInjected = errors.New("injected fault")

func (s *faultyStore) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	if s.fail.Load() {
		return errInjected
	}
	return s.Store.CreateSession(ctx, r)
}

// TestPasswordResetAtomic fails the last write of a reset and checks that
// nothing of it remains: the link still works, the old password still
// signs in, the old session is alive and the email is still unverified.
// Then the same link succeeds.
func TestPasswordResetAtomic(t *testing.T) {
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
	if !e.auth.Atomic() {
		t.Fatal("Auth over one SQLite store is not Atomic")
	}

	a, _ := e.signUp("tx@example.com", pw)
	e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "tx@example.com"}).want(t, http.StatusAccepted, "")
	tokenPath := "/api/auth" + linkIn(t, e.mailTo("tx@example.com", "password", 1), "/password-reset/")

	store.fail.Store(true)
	r := e.api().do("POST", tokenPath, map[string]string{"password": "a new password"})
	if r.status != http.StatusInternalServerError || cookie(r, "auth_session") != nil {
		t.Fatalf("reset with a failing store: %d %s, cookie %v", r.status, r.raw, cookie(r, "auth_session"))
	}
	store.fail.Store(false)

	a.do("GET", "/api/auth/session", nil).want(t, 200, "")
	if v := a.do("GET", "/api/auth/session", nil).val("user", "emailVerified"); v != false {
		t.Errorf("emailVerified after the failed reset = %v, want false", v)
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "tx@example.com", "password": "a new password"}).want(t, 401, "INVALID_CREDENTIALS")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "tx@example.com", "password": pw}).want(t, 200, "")

	// The link was not used up: it works now, once.
	e.api().do("POST", tokenPath, map[string]string{"password": "a new password"}).want(t, 200, "")
	a.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "tx@example.com", "password": "a new password"}).want(t, 200, "")
	e.api().do("POST", tokenPath, map[string]string{"password": "third password"}).want(t, 400, "INVALID_TOKEN")
}
