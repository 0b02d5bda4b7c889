package throttle_test

import (
	"context"
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
// attempts, on a MemoryStore and through Redis from two limiters (two
// processes of one service).
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
}
