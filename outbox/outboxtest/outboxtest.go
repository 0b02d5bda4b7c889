// Package outboxtest is the conformance suite of outbox.Queue: every
// queue (memory and each SQL store) runs it against a real backend.
package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/outbox"
)

// Run runs the suite. newQueue returns an empty queue for one subtest;
// subtests run in parallel, each on its own queue.
func Run(t *testing.T, newQueue func(t *testing.T) outbox.Queue) {
	tests := []struct {
		name string
		f    func(t *testing.T, q outbox.Queue)
	}{
		{"EnqueueGet", testEnqueueGet},
		{"Duplicate", testDuplicate},
		{"ClaimDueInOrder", testClaimDueInOrder},
		{"Lease", testLease},
		{"CompleteAndPurge", testCompleteAndPurge},
		{"RetryAndBury", testRetryAndBury},
		{"NotFound", testNotFound},
		{"ConcurrentClaims", testConcurrentClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, newQueue(t))
		})
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustEnqueue(t *testing.T, q outbox.Queue, j outbox.Job) {
	t.Helper()
	if err := q.Enqueue(ctx(t), j); err != nil {
		t.Fatalf("Enqueue(%s): %v", j.ID, err)
	}
}

func claimIDs(t *testing.T, q outbox.Queue, now time.Time, lease time.Duration, limit int) []string {
	t.Helper()
	jobs, err := q.Claim(ctx(t), now, lease, limit)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}

func stats(t *testing.T, q outbox.Queue) outbox.Stats {
	t.Helper()
	s, err := q.Stats(ctx(t))
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

func testEnqueueGet(t *testing.T, q outbox.Queue) {
	payload := []byte(`{"to":"ada@example.com","text":"hé \u0000 bytes"}` + "\x00\xff")
	mustEnqueue(t, q, outbox.Job{ID: "a", Kind: "mail", Payload: payload, RunAt: t0})
	j, st, err := q.Get(ctx(t), "a")
	if err != nil {
		t.Fatal(err)
	}
	if st != outbox.Pending || j.Kind != "mail" || string(j.Payload) != string(payload) || !j.RunAt.Equal(t0) || j.Attempts != 0 || j.LastError != "" {
		t.Errorf("Get = %+v state %d, want the job as enqueued, pending", j, st)
	}
	if got := stats(t, q); got != (outbox.Stats{Pending: 1}) {
		t.Errorf("Stats = %+v, want 1 pending", got)
	}
	if err := q.Enqueue(ctx(t), outbox.Job{ID: "", Kind: "mail"}); err == nil {
		t.Error("Enqueue without an id succeeded")
	}
	if err := q.Enqueue(ctx(t), outbox.Job{ID: "b"}); err == nil {
		t.Error("Enqueue without a kind succeeded")
	}
}

func testDuplicate(t *testing.T, q outbox.Queue) {
	mustEnqueue(t, q, outbox.Job{ID: "a", Kind: "mail", Payload: []byte("first"), RunAt: t0})
	if err := q.Enqueue(ctx(t), outbox.Job{ID: "a", Kind: "other", Payload: []byte("second"), RunAt: t0}); !errors.Is(err, outbox.ErrDuplicate) {
		t.Fatalf("second Enqueue = %v, want ErrDuplicate", err)
	}
	j, _, err := q.Get(ctx(t), "a")
	if err != nil || string(j.Payload) != "first" || j.Kind != "mail" {
		t.Errorf("after a duplicate: %+v, %v; want the first job unchanged", j, err)
	}
	// A delivered job's id stays taken until it is purged.
	if err := q.Complete(ctx(t), "a", t0); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx(t), outbox.Job{ID: "a", Kind: "mail", RunAt: t0}); !errors.Is(err, outbox.ErrDuplicate) {
		t.Errorf("Enqueue of a delivered id = %v, want ErrDuplicate", err)
	}
}

func testClaimDueInOrder(t *testing.T, q outbox.Queue) {
	mustEnqueue(t, q, outbox.Job{ID: "late", Kind: "k", RunAt: t0.Add(time.Minute)})
	mustEnqueue(t, q, outbox.Job{ID: "second", Kind: "k", RunAt: t0.Add(-time.Second)})
	mustEnqueue(t, q, outbox.Job{ID: "first", Kind: "k", RunAt: t0.Add(-time.Minute)})
	mustEnqueue(t, q, outbox.Job{ID: "third", Kind: "k", RunAt: t0})
	if ids := claimIDs(t, q, t0, time.Minute, 0); len(ids) != 0 {
		t.Errorf("Claim(limit 0) = %v, want none", ids)
	}
	if got := fmt.Sprint(claimIDs(t, q, t0, time.Minute, 2)); got != "[first second]" {
		t.Errorf("Claim(limit 2) = %s, want [first second]", got)
	}
	jobs, err := q.Claim(ctx(t), t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 || jobs[0].ID != "third" || jobs[0].Attempts != 1 || jobs[0].Kind != "k" {
		t.Fatalf("next Claim = %+v, %v; want [third] with Attempts 1 (late is not due)", jobs, err)
	}
	if ids := claimIDs(t, q, t0, time.Minute, 10); len(ids) != 0 {
		t.Errorf("Claim with all due jobs claimed = %v, want none", ids)
	}
	if got := stats(t, q); got != (outbox.Stats{Pending: 4}) {
		t.Errorf("Stats = %+v, want 4 pending (claimed jobs stay pending)", got)
	}
}

func testLease(t *testing.T, q outbox.Queue) {
	mustEnqueue(t, q, outbox.Job{ID: "a", Kind: "k", RunAt: t0})
	if ids := claimIDs(t, q, t0, time.Minute, 1); len(ids) != 1 {
		t.Fatalf("Claim = %v, want [a]", ids)
	}
	if ids := claimIDs(t, q, t0.Add(59*time.Second), time.Minute, 1); len(ids) != 0 {
		t.Errorf("Claim within the lease = %v, want none", ids)
	}
	// The worker died: after the lease the job is claimed again.
	jobs, err := q.Claim(ctx(t), t0.Add(time.Minute), time.Minute, 1)
	if err != nil || len(jobs) != 1 || jobs[0].Attempts != 2 {
		t.Fatalf("Claim after the lease = %+v, %v; want a with Attempts 2", jobs, err)
	}
}

func testCompleteAndPurge(t *testing.T, q outbox.Queue) {
	for _, id := range []string{"a", "b", "c"} {
		mustEnqueue(t, q, outbox.Job{ID: id, Kind: "k", Payload: []byte("secret link"), RunAt: t0})
	}
	claimIDs(t, q, t0, time.Minute, 3)
	if err := q.Complete(ctx(t), "a", t0); err != nil {
		t.Fatal(err)
	}
	if err := q.Complete(ctx(t), "b", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := q.Bury(ctx(t), "c", t0, "boom"); err != nil {
		t.Fatal(err)
	}
	j, st, err := q.Get(ctx(t), "a")
	if err != nil || st != outbox.Delivered || len(j.Payload) != 0 {
		t.Errorf("delivered job = %+v state %d, %v; want Delivered without its payload", j, st, err)
	}
	if ids := claimIDs(t, q, t0.Add(24*time.Hour), time.Minute, 10); len(ids) != 0 {
		t.Errorf("Claim = %v: delivered and dead jobs must not be claimed", ids)
	}
	if got := stats(t, q); got != (outbox.Stats{Delivered: 2, Dead: 1}) {
		t.Errorf("Stats = %+v, want 2 delivered, 1 dead", got)
	}
	n, err := q.Purge(ctx(t), t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 (a; b is newer, c is dead)", n, err)
	}
	if _, _, err := q.Get(ctx(t), "a"); !errors.Is(err, outbox.ErrNotFound) {
		t.Errorf("Get(purged) = %v, want ErrNotFound", err)
	}
	if got := stats(t, q); got != (outbox.Stats{Delivered: 1, Dead: 1}) {
		t.Errorf("Stats after Purge = %+v, want 1 delivered, 1 dead", got)
	}
}

func testRetryAndBury(t *testing.T, q outbox.Queue) {
	mustEnqueue(t, q, outbox.Job{ID: "a", Kind: "k", Payload: []byte("p"), RunAt: t0})
	claimIDs(t, q, t0, time.Minute, 1)
	if err := q.Retry(ctx(t), "a", t0.Add(10*time.Second), "smtp down"); err != nil {
		t.Fatal(err)
	}
	if ids := claimIDs(t, q, t0.Add(9*time.Second), time.Minute, 1); len(ids) != 0 {
		t.Errorf("Claim before the retry is due = %v, want none", ids)
	}
	jobs, err := q.Claim(ctx(t), t0.Add(10*time.Second), time.Minute, 1)
	if err != nil || len(jobs) != 1 || jobs[0].Attempts != 2 || jobs[0].LastError != "smtp down" || string(jobs[0].Payload) != "p" {
		t.Fatalf("Claim when due = %+v, %v; want a, attempt 2, with its last error and payload", jobs, err)
	}
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	if err := q.Bury(ctx(t), "a", t0, string(long)); err != nil {
		t.Fatal(err)
	}
	j, st, err := q.Get(ctx(t), "a")
	if err != nil || st != outbox.Dead || len(j.LastError) == 0 || len(j.LastError) > 1000 || string(j.Payload) != "p" {
		t.Errorf("buried job = state %d, error of %d bytes, payload %q, %v; want Dead, the error cut to at most 1000 bytes, payload kept", st, len(j.LastError), j.Payload, err)
	}
}

func testNotFound(t *testing.T, q outbox.Queue) {
	c := ctx(t)
	for name, err := range map[string]error{
		"Complete": q.Complete(c, "nope", t0),
		"Retry":    q.Retry(c, "nope", t0, "x"),
		"Bury":     q.Bury(c, "nope", t0, "x"),
	} {
		if !errors.Is(err, outbox.ErrNotFound) {
			t.Errorf("%s(unknown id) = %v, want ErrNotFound", name, err)
		}
	}
	if _, _, err := q.Get(c, "nope"); !errors.Is(err, outbox.ErrNotFound) {
		t.Errorf("Get(unknown id) = %v, want ErrNotFound", err)
	}
}

// testConcurrentClaims: many claimers drain one queue; each job is
// claimed exactly once.
func testConcurrentClaims(t *testing.T, q outbox.Queue) {
	const n = 60
	for i := range n {
		mustEnqueue(t, q, outbox.Job{ID: fmt.Sprintf("j%03d", i), Kind: "k", RunAt: t0})
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
		errs = make(chan error, 8)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				jobs, err := q.Claim(context.Background(), t0, time.Hour, 3)
				if err != nil {
					errs <- err
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					seen[j.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Claim: %v", err)
	}
	if len(seen) != n {
		t.Errorf("%d distinct jobs claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("job %s claimed %d times, want once", id, c)
		}
	}
}
