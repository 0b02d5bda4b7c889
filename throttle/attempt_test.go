package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/throttle"
)

type attemptClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *attemptClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *attemptClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestAttemptSequential: attempts made one after another, all failing,
// get the same backoff as Check followed by Fail; a locked key is refused
// without counting; Reset starts afresh.
func TestAttemptSequential(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &attemptClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	l, err := throttle.New(throttle.NewMemoryStore(c.Now), throttle.Options{Free: 3, Base: time.Second, Max: 8 * time.Second, Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	attempt := func(step string, want time.Duration) {
		t.Helper()
		got, err := l.Attempt(ctx, "a@example.com")
		if err != nil {
			t.Fatalf("%s: Attempt: %v", step, err)
		}
		if got != want {
			t.Fatalf("%s: Attempt = %v, want %v", step, got, want)
		}
	}
	for i := 1; i <= 4; i++ { // 3 free, and the 4th goes ahead holding a 1 s lock
		attempt(fmt.Sprintf("attempt %d", i), 0)
	}
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		// While locked, attempts are refused and do not count.
		for range 3 {
			attempt(fmt.Sprintf("during lock %d", i+1), d)
		}
		c.Advance(d / 2)
		attempt(fmt.Sprintf("half-way through lock %d", i+1), d-d/2)
		c.Advance(d - d/2)
		attempt(fmt.Sprintf("when lock %d ends", i+1), 0)
	}
	if err := l.Reset(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		attempt(fmt.Sprintf("after reset, attempt %d", i), 0)
	}
	attempt("after reset, locked again", time.Second)
}

// attemptBurst fires n simultaneous attempts on one key and returns how
// many went ahead.
func attemptBurst(t *testing.T, l *throttle.Limiter, key string, n int) int64 {
	t.Helper()
	var ahead atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			wait, err := l.Attempt(context.Background(), key)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				ahead.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return ahead.Load()
}

// TestAttemptBurst: 200 simultaneous guesses at one key get Free+1
// attempts, on a MemoryStore, and through Redis and each SQL store from
// two limiters (two processes of one service).
func TestAttemptBurst(t *testing.T) {
	t.Parallel()
	opts := throttle.Options{Free: 5, Base: time.Minute, Max: time.Hour, Window: time.Hour}
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		l, err := throttle.New(nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := attemptBurst(t, l, "burst@example.com", 200); got != 6 {
			t.Errorf("200 simultaneous attempts: %d went ahead, want 6 (5 free + 1)", got)
		}
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		url, prefix := testenv.Redis(t)
		var ls []*throttle.Limiter
		for range 2 {
			s, err := redis.Open(url, redis.Options{Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			l, err := throttle.New(s, opts)
			if err != nil {
				t.Fatal(err)
			}
			ls = append(ls, l)
		}
		key := "burst-" + testenv.Suffix() + "@example.com"
		t.Cleanup(func() { _ = ls[0].Reset(context.Background(), key) })
		var total atomic.Int64
		var wg sync.WaitGroup
		for _, l := range ls {
			wg.Go(func() { total.Add(attemptBurst(t, l, key, 100)) })
		}
		wg.Wait()
		if got := total.Load(); got != 6 {
			t.Errorf("200 simultaneous attempts through two limiters: %d went ahead, want 6 (5 free + 1)", got)
		}
	})
	for _, b := range sqlBackends(t, nil) {
		t.Run(b.name, func(t *testing.T) {
			var total atomic.Int64
			var wg sync.WaitGroup
			for range 2 { // two stores with their own pools: two processes
				l, err := throttle.New(b.open(t), opts)
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() { total.Add(attemptBurst(t, l, "burst@example.com", 100)) })
			}
			wg.Wait()
			if got := total.Load(); got != 6 {
				t.Errorf("200 simultaneous attempts through two stores: %d went ahead, want 6 (5 free + 1)", got)
			}
		})
	}
}

// lockStores returns a MemoryStore on the clock, a Redis store and the
// SQL stores on the clock, each a test of its own: LockAfter and Refund
// must hold on every Store.
func lockStores(t *testing.T, now func() time.Time) map[string]throttle.Store {
	t.Helper()
	url, prefix := testenv.Redis(t)
	s, err := redis.Open(url, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	stores := map[string]throttle.Store{"memory": throttle.NewMemoryStore(now), "redis": s}
	for _, b := range sqlBackends(t, now) {
		stores[b.name] = b.open(t)
	}
	return stores
}

// TestAttemptLockAfter: past LockAfter attempts a key is refused with
// ErrLocked however long it waits within its window, a burst cannot pass
// the limit, and Reset lifts the lock.
func TestAttemptLockAfter(t *testing.T) {
	t.Parallel()
	c := &attemptClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for name, store := range lockStores(t, c.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			// Base is tiny so that Redis, which keeps real time, lets the
			// back-off pass within the test without sleeping: the limit
			// under test is the count, not the delay.
			l, err := throttle.New(store, throttle.Options{Free: 1000, Base: time.Millisecond, Max: time.Millisecond, Window: time.Hour, LockAfter: 10, Prefix: "lock-" + testenv.Suffix() + ":"})
			if err != nil {
				t.Fatal(err)
			}
			var ahead, locked atomic.Int64
			var wg sync.WaitGroup
			for range 40 {
				wg.Go(func() {
					wait, err := l.Attempt(ctx, "k")
					switch {
					case errors.Is(err, throttle.ErrLocked):
						if wait <= 0 || wait > time.Hour {
							t.Errorf("locked: retry after %v, want the window's rest", wait)
						}
						locked.Add(1)
					case err != nil:
						t.Error(err)
					case wait == 0:
						ahead.Add(1)
					}
				})
			}
			wg.Wait()
			if ahead.Load() != 10 || locked.Load() != 30 {
				t.Fatalf("40 simultaneous attempts with LockAfter 10: %d ahead, %d locked; want 10 and 30", ahead.Load(), locked.Load())
			}
			c.Advance(30 * time.Minute)
			if _, err := l.Attempt(ctx, "k"); !errors.Is(err, throttle.ErrLocked) {
				t.Fatalf("half a window later: Attempt err = %v, want ErrLocked", err)
			}
			if err := l.Reset(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if wait, err := l.Attempt(ctx, "k"); err != nil || wait != 0 {
				t.Fatalf("after Reset: Attempt = %v, %v; want 0, nil", wait, err)
			}
		})
	}
}

// TestRefund: an attempt given back by Refund does not count towards the
// back-off, and the failures around it still do.
func TestRefund(t *testing.T) {
	t.Parallel()
	c := &attemptClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for name, store := range lockStores(t, c.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			l, err := throttle.New(store, throttle.Options{Free: 3, Base: time.Hour, Max: time.Hour, Window: time.Hour, Prefix: "refund-" + testenv.Suffix() + ":"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 { // ten successes, each refunded
				if wait, err := l.Attempt(ctx, "ip"); err != nil || wait != 0 {
					t.Fatalf("success %d: Attempt = %v, %v", i+1, wait, err)
				}
				if err := l.Refund(ctx, "ip"); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 4 { // 3 free failures and the one that takes the lock
				if wait, err := l.Attempt(ctx, "ip"); err != nil || wait != 0 {
					t.Fatalf("failure %d: Attempt = %v, %v", i+1, wait, err)
				}
			}
			if wait, err := l.Attempt(ctx, "ip"); err != nil || wait == 0 {
				t.Fatalf("after 4 failures: Attempt = %v, %v; want a wait", wait, err)
			}
			if err := l.Refund(ctx, "nothing-counted"); err != nil {
				t.Fatalf("Refund of an unknown key: %v", err)
			}
		})
	}
}
