package authapi

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// jobQueue runs work off the request path (sending mail, and for requests
// that must not reveal whether an email exists, the lookup too) on a few
// goroutines. Each job gets a context detached from its request with its
// own timeout.
type jobQueue struct {
	log     *slog.Logger
	timeout time.Duration

	mu     sync.RWMutex
	closed bool
	jobs   chan job
	wg     sync.WaitGroup
}

type job struct {
	name string
	ctx  context.Context // detached from the request: values kept, no cancel
	fn   func(context.Context) error
}

func newJobQueue(log *slog.Logger, size, workers int, timeout time.Duration) *jobQueue {
	q := &jobQueue{log: log, timeout: timeout, jobs: make(chan job, size)}
	q.wg.Add(workers)
	for range workers {
		go q.work()
	}
	return q
}

// add queues fn; it never blocks. A job that finds the queue full or
// closed is dropped and logged.
func (q *jobQueue) add(ctx context.Context, name string, fn func(context.Context) error) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.log.WarnContext(ctx, "job dropped: shutting down", "job", name)
		return
	}
	select {
	case q.jobs <- job{name: name, ctx: context.WithoutCancel(ctx), fn: fn}:
	default:
		q.log.WarnContext(ctx, "job dropped: queue full", "job", name)
	}
}

func (q *jobQueue) work() {
	defer q.wg.Done()
	for j := range q.jobs {
		q.run(j)
	}
}

func (q *jobQueue) run(j job) {
	ctx, cancel := context.WithTimeout(j.ctx, q.timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			q.log.ErrorContext(ctx, "job panicked", "job", j.name, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	if err := j.fn(ctx); err != nil {
		q.log.WarnContext(ctx, "job failed", "job", j.name, "err", err)
	}
}

// close stops taking jobs and waits for the queued ones, or for ctx.
func (q *jobQueue) close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
