package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// Stores is what a backend provides. Sessions and Tokens may come from
// another backend than Users and Keys (Redis beside SQL); Tokens may be nil
// for a store without tokens, and then the token subtests are skipped.
// Users and Keys must be one backend, since CreateUser writes the first key.
type Stores struct {
	Users    latch.UserStore
	Keys     latch.KeyStore
	Sessions latch.SessionStore
	Tokens   latch.TokenStore
}

// Open returns the stores for one test. It may return the same instances
// for every call (server-backed stores do): tests use fresh random ids so
// they never interfere, and run with t.Parallel().
type Open func(t *testing.T) Stores

// Run runs the whole suite against the stores open returns, the token
// handlers' suite (RunTokenHandlers) included.
func Run(t *testing.T, open Open) {
	t.Helper()
	groups := []struct {
		name string
		run  func(t *testing.T, open Open)
	}{
		{"users", testUsers},
		{"attributes", testAttributes},
		{"keys", testKeys},
		{"sessions", testSessions},
		{"tokens", testTokens},
		{"concurrency", testConcurrency},
		{"auth", testAuth},
		{"transactions", testTx},
		{"activity", testActivity},
		{"factors", testFactors},
		{"user-list", testUserList},
		{"disable", testDisable},
		{"factor-scan", testFactorScan},
		{"events", testEvents},
		{"token-handlers", RunTokenHandlers},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open)
		})
	}
}

// RunStore runs the whole suite with one Store serving users, keys,
// sessions and tokens.
func RunStore(t *testing.T, open func(t *testing.T) latch.Store) {
	t.Helper()
	Run(t, func(t *testing.T) Stores {
		s := open(t)
		return Stores{Users: s, Keys: s, Sessions: s, Tokens: s}
	})
}

// fixture is one subtest's view of the stores.
type fixture struct {
	Stores
	t   *testing.T
	ctx context.Context
}

// setup marks the subtest parallel and opens its stores.
func setup(t *testing.T, open Open) *fixture {
	t.Helper()
	t.Parallel()
	s := open(t)
	if s.Users == nil || s.Keys == nil || s.Sessions == nil {
		t.Fatal("storetest: Open returned nil Users, Keys or Sessions")
	}
	return &fixture{Stores: s, t: t, ctx: t.Context()}
}

// needTokens skips the subtest when there is no token store.
func (f *fixture) needTokens() {
	f.t.Helper()
	if f.Tokens == nil {
		f.t.Skip("Stores.Tokens is nil")
	}
}

// sessionsWithUsers reports whether sessions live with users, so that the
// store can refuse a session of a missing user and cascade DeleteUser.
func (f *fixture) sessionsWithUsers() bool { return sameBackend(f.Sessions, f.Users) }

// tokensWithUsers is sessionsWithUsers for tokens and attempt counters.
func (f *fixture) tokensWithUsers() bool { return f.Tokens != nil && sameBackend(f.Tokens, f.Users) }

// sameBackend reports whether two interface values hold the same comparable
// value, as latch.New decides whether one store serves both.
func sameBackend(x, y any) bool {
	if x == nil || y == nil {
		return false
	}
	tx, ty := reflect.TypeOf(x), reflect.TypeOf(y)
	if tx != ty || !tx.Comparable() {
		return false
	}
	return x == y
}

// Fixed points in time. Every subtest but the purge ones writes expiries
// around base; the purge ones use purgeNow, far below it (see the package
// documentation).
var (
	base   = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	baseMS = base.UnixMilli()
)

const (
	purgeNow = int64(500_000) // ms; expiries <= 1e9 are the purge subtests' own
	minute   = int64(60_000)
	hour     = 60 * minute
)

// newID returns prefix followed by random characters, unique per call.
func newID(t *testing.T, prefix string) string {
	t.Helper()
	s, err := latch.RandomString(16, latch.AlphabetLowerNumeric)
	if err != nil {
		t.Fatalf("random id: %v", err)
	}
	return prefix + s
}

// newKeyID returns a fresh email key id.
func newKeyID(t *testing.T) string { return "email:" + newID(t, "k") + "@example.com" }

// newSessionID returns a fresh session id in the default profile's form.
func newSessionID(t *testing.T) string { return latch.HashToken(newID(t, "s")) }

// newTokenID returns a fresh token id in its stored (digest) form.
func newTokenID(t *testing.T) string { return latch.HashToken(newID(t, "t")) }

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// user creates a user with the given attributes and returns its id.
func (f *fixture) user(attrs latch.Attributes) string {
	f.t.Helper()
	id := newID(f.t, "u")
	if err := f.Users.CreateUser(f.ctx, latch.UserRecord{ID: id, Attributes: attrs}, nil); err != nil {
		f.t.Fatalf("CreateUser(%q): %v", id, err)
	}
	return id
}

// key creates a key for the user and returns it.
func (f *fixture) key(userID string, hash *string) latch.KeyRecord {
	f.t.Helper()
	k := latch.KeyRecord{ID: newKeyID(f.t), UserID: userID, HashedPassword: hash}
	if err := f.Keys.CreateKey(f.ctx, k); err != nil {
		f.t.Fatalf("CreateKey(%q): %v", k.ID, err)
	}
	return k
}

// session creates a session for the user, idle-expiring at idle, active
// expiry one hour before that (half-way there for the purge range).
func (f *fixture) session(userID string, idle int64, attrs latch.Attributes) latch.SessionRecord {
	f.t.Helper()
	active := idle - hour
	if idle < 2*hour {
		active = idle / 2
	}
	s := latch.SessionRecord{ID: newSessionID(f.t), UserID: userID, ActiveExpires: active, IdleExpires: idle, Attributes: attrs}
	if err := f.Sessions.CreateSession(f.ctx, s); err != nil {
		f.t.Fatalf("CreateSession: %v", err)
	}
	return s
}

// token puts a token of the kind for the user, expiring at expires.
func (f *fixture) token(userID, kind string, expires int64) latch.TokenRecord {
	f.t.Helper()
	tok := latch.TokenRecord{ID: newTokenID(f.t), Kind: kind, UserID: userID, Expires: expires}
	if err := f.Tokens.PutToken(f.ctx, tok); err != nil {
		f.t.Fatalf("PutToken: %v", err)
	}
	return tok
}

// must fails the test when err is not nil.
func must(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", op, err)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one matching %v (errors.Is)", op, err, target)
	}
}

// wantNotFound is wantErr with latch.ErrNotFound.
func wantNotFound(t *testing.T, op string, err error) {
	t.Helper()
	wantErr(t, op, err, latch.ErrNotFound)
}
