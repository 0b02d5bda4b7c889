package throttle_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/throttle"
)

// TestLimiterSharedThroughRedis: two limiters on two connections to one
// Redis, as two processes of a service behind a load balancer, see each
// other's failures. Redis keeps time itself, so the test reads the locks
// it sets rather than waiting for them to end.
func TestLimiterSharedThroughRedis(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.Redis(t)
	open := func() throttle.Store {
		t.Helper()
		s, err := redis.Open(url, redis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ts, ok := any(s).(throttle.Store)
		if !ok {
			t.Skip("store/redis does not implement throttle.Store yet (no Peek)")
		}
		return ts
	}
	opts := throttle.Options{Free: 2, Base: 30 * time.Second, Max: time.Minute, Window: time.Minute, Prefix: "signin:"}
	a, err := throttle.New(open(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := throttle.New(open(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const key = "ada@example.com"
	t.Cleanup(func() { _ = a.Reset(context.Background(), key) })

	between := func(step string, l *throttle.Limiter, lo, hi time.Duration) {
		t.Helper()
		got, err := l.Check(ctx, key)
		if err != nil {
			t.Fatalf("%s: Check: %v", step, err)
		}
		if got < lo || got > hi {
			t.Fatalf("%s: Check = %v, want between %v and %v", step, got, lo, hi)
		}
	}
	fail := func(l *throttle.Limiter) {
		t.Helper()
		if err := l.Fail(ctx, key); err != nil {
			t.Fatal(err)
		}
	}

	fail(a)
	fail(a)
	between("after the free failures on A, seen from B", b, 0, 0)
	fail(b)
	between("third failure on B, seen from A", a, 25*time.Second, 30*time.Second)
	fail(a)
	between("fourth failure on A, seen from B", b, 55*time.Second, time.Minute)
	fail(b)
	between("capped at Max", a, 55*time.Second, time.Minute)
	if err := a.Reset(ctx, key); err != nil {
		t.Fatal(err)
	}
	between("reset on A, seen from B", b, 0, 0)
}
