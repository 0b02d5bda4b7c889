package throttle

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source shared by a test and the code under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestDelay(t *testing.T) {
	t.Parallel()
	l, err := New(nil, Options{}) // defaults: 5 free, 1s doubling, 15m cap
	if err != nil {
		t.Fatal(err)
	}
	strict, err := New(nil, Options{Free: -1, Base: 100 * time.Millisecond, Max: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	huge, err := New(nil, Options{Free: 1, Base: time.Hour, Max: math.MaxInt64})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		l    *Limiter
		n    int64
		want time.Duration
	}{
		{l, 0, 0},
		{l, 1, 0},
		{l, 5, 0},
		{l, 6, time.Second},
		{l, 7, 2 * time.Second},
		{l, 8, 4 * time.Second},
		{l, 14, 256 * time.Second},
		{l, 15, 512 * time.Second},
		{l, 16, 15 * time.Minute}, // 1024 s capped
		{l, 1000, 15 * time.Minute},
		{l, math.MaxInt64, 15 * time.Minute},
		{strict, 1, 100 * time.Millisecond},
		{strict, 2, 200 * time.Millisecond},
		{strict, 4, 800 * time.Millisecond},
		{strict, 5, time.Second},
		{huge, 2, time.Hour},
		{huge, 200, math.MaxInt64}, // doubling stops at Max without overflowing
	}
	for _, tt := range tests {
		if got := tt.l.Delay(tt.n); got != tt.want {
			t.Errorf("Delay(%d) with free=%d base=%v max=%v = %v, want %v", tt.n, tt.l.free, tt.l.base, tt.l.max, got, tt.want)
		}
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	bad := []struct {
		opts  Options
		field string
	}{
		{Options{Base: -time.Second}, "Base"},
		{Options{Base: time.Microsecond}, "Base"},
		{Options{Base: time.Minute, Max: time.Second}, "Max"},
		{Options{Window: -1}, "Window"},
	}
	for _, tt := range bad {
		_, err := New(nil, tt.opts)
		if err == nil || !strings.Contains(err.Error(), "Options."+tt.field) {
			t.Errorf("New(%+v) = %v, want an error naming Options.%s", tt.opts, err, tt.field)
		}
	}
}

// TestLimiterBackoff walks a key through its free failures, the doubling
// locks (each counted from the last failure), the cap, and a reset.
func TestLimiterBackoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	l, err := New(NewMemoryStore(c.Now), Options{Free: 3, Base: time.Second, Max: 8 * time.Second, Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, want time.Duration) {
		t.Helper()
		got, err := l.Check(ctx, "a@example.com")
		if err != nil {
			t.Fatalf("%s: Check: %v", step, err)
		}
		if got != want {
			t.Fatalf("%s: Check = %v, want %v", step, got, want)
		}
	}
	fail := func() {
		t.Helper()
		if err := l.Fail(ctx, "a@example.com"); err != nil {
			t.Fatalf("Fail: %v", err)
		}
	}

	check("new key", 0)
	for i := 1; i <= 3; i++ {
		fail()
		check(fmt.Sprintf("after free failure %d", i), 0)
	}
	steps := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, d := range steps {
		fail()
		check(fmt.Sprintf("right after failure %d", i+4), d)
		c.Advance(d / 2)
		check(fmt.Sprintf("half-way through lock %d", i+4), d-d/2)
		c.Advance(d - d/2)
		check(fmt.Sprintf("when lock %d ends", i+4), 0)
	}
	// Another key is not affected.
	if got, err := l.Check(ctx, "b@example.com"); err != nil || got != 0 {
		t.Fatalf("other key: Check = %v, %v", got, err)
	}

	if err := l.Reset(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	check("after reset", 0)
	for range 3 {
		fail()
	}
	check("free failures again after reset", 0)
	fail()
	check("first lock again after reset", time.Second)
	if err := l.Reset(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	check("reset lifts the lock", 0)
}

// TestLimiterWindow: failures are forgotten when the window that started
// with the first one ends.
func TestLimiterWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	l, err := New(nil, Options{Free: 2, Window: time.Minute, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := l.Fail(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(time.Minute) // the window ends
	if err := l.Fail(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Check(ctx, "k"); got != 0 {
		t.Fatalf("a failure after the window counts as the first: Check = %v, want 0", got)
	}
	if err := l.Fail(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := l.Fail(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Check(ctx, "k"); got != time.Second {
		t.Fatalf("third failure in the new window: Check = %v, want 1s", got)
	}
}

// TestLimiterPrefixAndLongKeys: limiters on one store keep separate counts,
// and a key of a megabyte is stored as a short digest.
func TestLimiterPrefixAndLongKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := NewMemoryStore(newClock().Now)
	signIn, _ := New(store, Options{Free: -1, Prefix: "signin:"})
	codes, _ := New(store, Options{Free: -1, Prefix: "code:"})
	long := strings.Repeat("x", 1<<20)
	if err := signIn.Fail(ctx, long); err != nil {
		t.Fatal(err)
	}
	if got, _ := signIn.Check(ctx, long); got != time.Second {
		t.Fatalf("signIn.Check(long) = %v, want 1s", got)
	}
	if got, _ := codes.Check(ctx, long); got != 0 {
		t.Fatalf("codes.Check(long) = %v, want 0: prefixes must separate limiters", got)
	}
	store.mu.Lock()
	for k := range store.windows {
		if len(k) > 100 {
			t.Errorf("stored key of %d bytes; want long keys hashed", len(k))
		}
	}
	store.mu.Unlock()
}

type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Hit(context.Context, string, time.Duration) (int64, time.Duration, error) {
	return 0, 0, errDown
}
func (failingStore) Peek(context.Context, string) (int64, time.Duration, error) { return 0, 0, errDown }
func (failingStore) ResetHits(context.Context, string) error                    { return errDown }

func TestLimiterStoreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, _ := New(failingStore{}, Options{})
	if _, err := l.Check(ctx, "k"); !errors.Is(err, errDown) {
		t.Errorf("Check: %v, want the store's error", err)
	}
	if err := l.Fail(ctx, "k"); !errors.Is(err, errDown) {
		t.Errorf("Fail: %v, want the store's error", err)
	}
	if err := l.Reset(ctx, "k"); !errors.Is(err, errDown) {
		t.Errorf("Reset: %v, want the store's error", err)
	}
}

// TestMemoryStoreSweep: keys that are never read again are dropped by the
// sweep that runs on each Hit, a bounded number at a time.
func TestMemoryStoreSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	s := NewMemoryStore(c.Now)
	for i := range 1000 {
		if _, _, err := s.Hit(ctx, fmt.Sprint("old", i), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 1000 {
		t.Fatalf("Len = %d, want 1000", s.Len())
	}
	c.Advance(time.Minute)
	for i := range 200 {
		if _, _, err := s.Hit(ctx, fmt.Sprint("new", i%5), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// 200 hits sweep up to 200·16 entries; the 1000 expired ones are gone
	// and the 5 live ones stay.
	if s.Len() != 5 {
		t.Fatalf("Len after sweeping = %d, want 5", s.Len())
	}
}

// TestMemoryStoreConcurrent: hits from many goroutines are all counted.
func TestMemoryStoreConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewMemoryStore(newClock().Now)
	l, _ := New(s, Options{Free: 1000})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if err := l.Fail(ctx, "k"); err != nil {
					t.Error(err)
					return
				}
				if _, err := l.Check(ctx, "k"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n, _, _ := s.Peek(ctx, "fail:k"); n != 800 {
		t.Fatalf("count = %d, want 800", n)
	}
}
