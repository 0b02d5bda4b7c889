package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/outbox"
)

// fakeClock is the injected clock; tests move it instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// waitFor polls cond (the workers run on their own goroutines) without
// asserting on how long it takes; the test's own deadline bounds it.
func waitFor(t *testing.T, r *outbox.Runner, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("waiting for %s", what)
		}
		r.Notify()
		time.Sleep(time.Millisecond)
	}
}

func state(t *testing.T, q outbox.Queue, id string) (outbox.Job, outbox.State) {
	t.Helper()
	j, st, err := q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j, st
}

func TestRunnerRetriesWithBackoffThenBuries(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	q := outbox.NewMemoryQueue()
	var (
		mu       sync.Mutex
		attempts int
		outcomes []outbox.Outcome
	)
	r := &outbox.Runner{
		Queue: q, Now: clock.Now, Workers: 2, MaxAttempts: 3,
		Backoff: 10 * time.Second, MaxBackoff: 15 * time.Second, PollInterval: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handlers: map[string]outbox.Handler{"k": func(context.Context, outbox.Job) error {
			mu.Lock()
			attempts++
			mu.Unlock()
			return errors.New("smtp down")
		}},
		Observe: func(_ string, o outbox.Outcome) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() },
	}
	if err := q.Enqueue(context.Background(), outbox.Job{ID: "a", Kind: "k", RunAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	tries := func() int { mu.Lock(); defer mu.Unlock(); return attempts }

	waitFor(t, r, "the first attempt", func() bool {
		_, st := state(t, q, "a")
		j, _ := state(t, q, "a")
		return st == outbox.Pending && j.LastError != ""
	})
	j, _ := state(t, q, "a")
	wait := j.RunAt.Sub(clock.Now())
	if wait < 5*time.Second || wait > 10*time.Second {
		t.Errorf("first retry in %v, want 5 to 10 s (10 s with jitter down to half)", wait)
	}
	clock.Add(wait - time.Millisecond)
	r.Notify()
	if n := tries(); n != 1 {
		t.Fatalf("%d attempts before the retry is due, want 1", n)
	}
	clock.Add(time.Millisecond)
	waitFor(t, r, "the second attempt", func() bool { return tries() == 2 })
	waitFor(t, r, "the second retry", func() bool { j, _ := state(t, q, "a"); return j.RunAt.Before(clock.Now().Add(time.Minute)) })
	j, _ = state(t, q, "a")
	if wait := j.RunAt.Sub(clock.Now()); wait < 7500*time.Millisecond || wait > 15*time.Second {
		t.Errorf("second retry in %v, want 7.5 to 15 s (20 s capped at MaxBackoff 15 s, jitter)", wait)
	}
	clock.Add(15 * time.Second)
	waitFor(t, r, "the dead letter", func() bool { _, st := state(t, q, "a"); return st == outbox.Dead })
	j, _ = state(t, q, "a")
	if j.Attempts != 3 || j.LastError != "smtp down" {
		t.Errorf("dead letter after %d attempts with %q, want 3 with the last error", j.Attempts, j.LastError)
	}
	clock.Add(time.Hour)
	r.Notify()
	mu.Lock()
	defer mu.Unlock()
	if attempts != 3 || len(outcomes) != 3 || outcomes[0] != outbox.OutcomeRetried || outcomes[2] != outbox.OutcomeDead {
		t.Errorf("attempts %d, outcomes %v; want 3: retried, retried, dead", attempts, outcomes)
	}
}

func TestRunnerPermanentFailureAndUnknownKind(t *testing.T) {
	t.Parallel()
	q := outbox.NewMemoryQueue()
	r := &outbox.Runner{
		Queue: q, PollInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handlers: map[string]outbox.Handler{
			"bad":   func(context.Context, outbox.Job) error { return outbox.Permanent(errors.New("no such mailbox")) },
			"panic": func(context.Context, outbox.Job) error { panic("boom") },
		},
	}
	for _, id := range []string{"bad", "panic", "unknown"} {
		if err := q.Enqueue(context.Background(), outbox.Job{ID: id, Kind: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	for _, id := range []string{"bad", "panic", "unknown"} {
		waitFor(t, r, id+" buried", func() bool { _, st := state(t, q, id); return st == outbox.Dead })
		if j, _ := state(t, q, id); j.Attempts != 1 {
			t.Errorf("%s buried after %d attempts, want 1", id, j.Attempts)
		}
	}
}

// TestRunnerCloseDrains: Close delivers what is due before it returns.
func TestRunnerCloseDrains(t *testing.T) {
	t.Parallel()
	q := outbox.NewMemoryQueue()
	var mu sync.Mutex
	done := map[string]int{}
	r := &outbox.Runner{
		Queue: q, Workers: 3, PollInterval: time.Hour, // only Close wakes them
		Handlers: map[string]outbox.Handler{"k": func(_ context.Context, j outbox.Job) error {
			mu.Lock()
			done[j.ID]++
			mu.Unlock()
			return nil
		}},
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		if err := q.Enqueue(context.Background(), outbox.Job{ID: outbox.NewID(), Kind: "k"}); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(done) != n {
		t.Errorf("%d jobs done by Close, want %d", len(done), n)
	}
	for id, c := range done {
		if c != 1 {
			t.Errorf("job %s done %d times", id, c)
		}
	}
	s, _ := q.Stats(context.Background())
	if s != (outbox.Stats{Delivered: n}) {
		t.Errorf("Stats = %+v, want %d delivered", s, n)
	}
}

func TestRunnerConfig(t *testing.T) {
	t.Parallel()
	for _, r := range []*outbox.Runner{
		{},
		{Queue: outbox.NewMemoryQueue(), Workers: -1},
		{Queue: outbox.NewMemoryQueue(), Timeout: time.Minute, Lease: time.Minute},
	} {
		if err := r.Start(); err == nil {
			t.Errorf("Start(%+v) succeeded", r)
			r.Close(context.Background())
		}
	}
}
