package redis

import (
	"context"
	"testing"
	"time"

	"github.com/latchauth/latch/throttle"
)

var _ throttle.Store = (*Store)(nil)

func TestPeek(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	if n, ttl, err := s.Peek(ctx, "k"); n != 0 || ttl != 0 || err != nil {
		t.Fatalf("Peek of a missing key = %d, %v, %v", n, ttl, err)
	}
	for i := int64(1); i <= 3; i++ {
		n, left, err := s.Hit(ctx, "k", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		pn, pleft, err := s.Peek(ctx, "k")
		if err != nil || pn != n || pleft > left || pleft < left-time.Second {
			t.Fatalf("hit %d (%d, %v): Peek = %d, %v, %v", i, n, left, pn, pleft, err)
		}
	}
	if err := s.ResetHits(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n, ttl, _ := s.Peek(ctx, "k"); n != 0 || ttl != 0 {
		t.Fatalf("Peek after ResetHits = %d, %v", n, ttl)
	}
	// A window that ended reads as none.
	if _, _, err := s.Hit(ctx, "short", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(80 * time.Millisecond)
	if n, ttl, _ := s.Peek(ctx, "short"); n != 0 || ttl != 0 {
		t.Fatalf("Peek after the window = %d, %v", n, ttl)
	}
}

// TestLimiter runs the throttle package's Limiter on this store, as
// several latchd processes would share it.
func TestLimiter(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	// Two limiters on one store stand for two processes.
	opts := throttle.Options{Free: 2, Base: time.Minute, Window: time.Hour, Prefix: "signin:"}
	a, err := throttle.New(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := throttle.New(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	const key = "ada@example.com"
	for _, l := range []*throttle.Limiter{a, b} { // the free failures, one per process
		if err := l.Fail(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := b.Check(ctx, key); err != nil || d != 0 {
		t.Fatalf("Check after the free failures = %v, %v; want 0", d, err)
	}
	if err := a.Fail(ctx, key); err != nil {
		t.Fatal(err)
	}
	if d, err := b.Check(ctx, key); err != nil || d <= 50*time.Second || d > time.Minute {
		t.Fatalf("Check after a third failure in another process = %v, %v; want about 1m", d, err)
	}
	if err := b.Reset(ctx, key); err != nil {
		t.Fatal(err)
	}
	if d, err := a.Check(ctx, key); err != nil || d != 0 {
		t.Fatalf("Check after Reset = %v, %v; want 0", d, err)
	}
}
