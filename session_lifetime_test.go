package latch_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestSessionMaxLifetime: with an absolute timeout, a session used every
// day is renewed as usual but dies at its deadline; renewals never carry
// the expiries past it; without the option nothing changes.
func TestSessionMaxLifetime(t *testing.T) {
	const day = 24 * time.Hour
	stores := map[string]func(t *testing.T) latch.Store{
		"memory": func(*testing.T) latch.Store { return memory.New() },
		"sqlite": func(t *testing.T) latch.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			created := clock.Now()
			auth, err := latch.New(latch.Config{Store: open(t), Now: clock.Now, ActivePeriod: day, IdlePeriod: 14 * day, SessionMaxLifetime: 30 * day})
			if err != nil {
				t.Fatal(err)
			}
			u, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s, err := auth.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID, Attributes: latch.Attributes{"ua": "test"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Attributes.Time(latch.SessionCreatedAttribute); !got.Equal(created) {
				t.Fatalf("%s = %v, want %v", latch.SessionCreatedAttribute, got, created)
			}
			deadline := created.Add(30 * day)
			for d := 1; d < 30; d++ { // used every 36 hours: idle each time, renewed
				clock.Advance(36 * time.Hour)
				if !clock.Now().Before(deadline) {
					break
				}
				v, err := auth.ValidateSession(t.Context(), s.Token)
				if err != nil {
					t.Fatalf("at %v: %v", clock.Now().Sub(created), err)
				}
				if v.IdleExpires.After(deadline) || v.ActiveExpires.After(deadline) {
					t.Fatalf("at %v: expiries %v / %v pass the deadline %v", clock.Now().Sub(created), v.ActiveExpires, v.IdleExpires, deadline)
				}
			}
			clock.Advance(deadline.Sub(clock.Now()))
			if _, err := auth.ValidateSession(t.Context(), s.Token); !errors.Is(err, latch.ErrInvalidSessionID) {
				t.Errorf("at the deadline: %v, want ErrInvalidSessionID", err)
			}

			// Without the option, the same use keeps a session alive.
			plain, err := latch.New(latch.Config{Store: open(t), Now: clock.Now, ActivePeriod: day, IdlePeriod: 14 * day})
			if err != nil {
				t.Fatal(err)
			}
			u, _ = plain.CreateUser(t.Context(), latch.CreateUserOptions{})
			s, err = plain.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.Attributes[latch.SessionCreatedAttribute]; ok {
				t.Errorf("without SessionMaxLifetime the session has %s", latch.SessionCreatedAttribute)
			}
			for range 30 {
				clock.Advance(36 * time.Hour)
				if _, err := plain.ValidateSession(t.Context(), s.Token); err != nil {
					t.Fatalf("without SessionMaxLifetime, after %v: %v", 36*time.Hour, err)
				}
			}
		})
	}
	if _, err := latch.New(latch.Config{Store: memory.New(), SessionMaxLifetime: -time.Second}); err == nil {
		t.Error("a negative SessionMaxLifetime is accepted")
	}
}
