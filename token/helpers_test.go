package token_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
)

// start is where every test clock starts.
var start = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// clock is the injected latch.Config.Now; tests move it instead of sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// backend is a store the tests run on.
type backend struct {
	name string
	open func(t testing.TB) latch.Store
}

var backends = []backend{
	{"memory", func(testing.TB) latch.Store { return memory.New() }},
	{"sqlite", func(t testing.TB) latch.Store { return openSQLite(t) }},
}

// openSQLite opens a migrated SQLite store in a temporary directory.
func openSQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// env is one test's Auth over one store.
type env struct {
	t     testing.TB
	ctx   context.Context
	store latch.Store
	spy   *spy // the Auth's token store
	auth  *latch.Auth
	clock *clock
}

func newEnv(t testing.TB, store latch.Store) *env {
	t.Helper()
	c := &clock{now: start}
	sp := &spy{TokenStore: store}
	a, err := latch.New(latch.Config{Store: store, Tokens: sp, Now: c.Now})
	if err != nil {
		t.Fatalf("latch.New: %v", err)
	}
	return &env{t: t, ctx: context.Background(), store: store, spy: sp, auth: a, clock: c}
}

// eachBackend runs f on every backend, in parallel subtests.
func eachBackend(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, newEnv(t, b.open(t)))
		})
	}
}

// user creates a user and returns its id.
func (e *env) user() string {
	e.t.Helper()
	u, err := e.auth.CreateUser(e.ctx, latch.CreateUserOptions{})
	if err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	return u.ID
}

// session creates a session for the user.
func (e *env) session(userID string) latch.Session {
	e.t.Helper()
	s, err := e.auth.CreateSession(e.ctx, latch.CreateSessionOptions{UserID: userID})
	if err != nil {
		e.t.Fatalf("CreateSession: %v", err)
	}
	return s
}

// spy is a token store that counts the calls made to it and can fail them.
type spy struct {
	latch.TokenStore
	calls atomic.Int64 // every method
	takes atomic.Int64 // TakeToken
	puts  atomic.Int64 // PutToken
	fail  atomic.Pointer[error]
}

var errBoom = errors.New("store is down")

func (s *spy) failing() error {
	if p := s.fail.Load(); p != nil {
		return *p
	}
	return nil
}

// failWith makes every later call return err (nil: none).
func (s *spy) failWith(err error) {
	if err == nil {
		s.fail.Store(nil)
		return
	}
	s.fail.Store(&err)
}

func (s *spy) PutToken(ctx context.Context, t latch.TokenRecord) error {
	s.calls.Add(1)
	s.puts.Add(1)
	if err := s.failing(); err != nil {
		return err
	}
	return s.TokenStore.PutToken(ctx, t)
}

func (s *spy) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	s.calls.Add(1)
	s.takes.Add(1)
	if err := s.failing(); err != nil {
		return latch.TokenRecord{}, err
	}
	return s.TokenStore.TakeToken(ctx, kind, id, userID)
}

func (s *spy) GetToken(ctx context.Context, kind, id string) (latch.TokenRecord, error) {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return latch.TokenRecord{}, err
	}
	return s.TokenStore.GetToken(ctx, kind, id)
}

func (s *spy) ListTokens(ctx context.Context, userID, kind string) ([]latch.TokenRecord, error) {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return nil, err
	}
	return s.TokenStore.ListTokens(ctx, userID, kind)
}

func (s *spy) DeleteToken(ctx context.Context, kind, id string) error {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return err
	}
	return s.TokenStore.DeleteToken(ctx, kind, id)
}

func (s *spy) DeleteUserTokens(ctx context.Context, userID, kind string) error {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return err
	}
	return s.TokenStore.DeleteUserTokens(ctx, userID, kind)
}

func (s *spy) DeleteExpiredTokens(ctx context.Context, now int64) (int64, error) {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return 0, err
	}
	return s.TokenStore.DeleteExpiredTokens(ctx, now)
}

func (s *spy) AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error) {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return 0, err
	}
	return s.TokenStore.AddAttempt(ctx, kind, userID, now, expires)
}

func (s *spy) Attempts(ctx context.Context, kind, userID string, now int64) (int, error) {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return 0, err
	}
	return s.TokenStore.Attempts(ctx, kind, userID, now)
}

func (s *spy) ResetAttempts(ctx context.Context, kind, userID string) error {
	s.calls.Add(1)
	if err := s.failing(); err != nil {
		return err
	}
	return s.TokenStore.ResetAttempts(ctx, kind, userID)
}

// must returns a check of a call's results: v := must(f())(t, "f").
func must[T any](v T, err error) func(t testing.TB, op string) T {
	return func(t testing.TB, op string) T {
		t.Helper()
		noErr(t, op, err)
		return v
	}
}

func noErr(t testing.TB, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", op, err)
	}
}

func wantErr(t testing.TB, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one matching %v", op, err, target)
	}
}
