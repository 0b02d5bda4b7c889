package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"
)

// Handler does one job. An error makes the job retried later, or buried
// when it wraps ErrPermanent or the job has had MaxAttempts tries.
type Handler func(ctx context.Context, j Job) error

// ErrPermanent marks a failure that no retry can mend (a malformed
// payload, an address the mail server refuses for good): wrap it with
// Permanent and the job goes to the dead letters at once.
var ErrPermanent = errors.New("outbox: permanent failure")

// Permanent wraps err so that it matches ErrPermanent.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// Outcome is what became of one attempt, for Runner.Observe.
type Outcome string

// The outcomes of an attempt.
const (
	OutcomeDelivered Outcome = "delivered"
	OutcomeRetried   Outcome = "retried"
	OutcomeDead      Outcome = "dead"
)

// Runner runs the jobs of a Queue on a few goroutines. Set its fields,
// then call Start; Close stops it. Zero fields get the defaults named.
type Runner struct {
	// Queue holds the jobs. Required.
	Queue Queue
	// Handlers maps each Kind to its Handler. A job of a kind without one
	// is buried.
	Handlers map[string]Handler
	// Workers is how many jobs run at once. Default 4.
	Workers int
	// MaxAttempts is how many times a job is tried before it is buried.
	// Default 10.
	MaxAttempts int
	// Backoff is the wait before the first retry; it doubles with each
	// further try, up to MaxBackoff, and each wait is drawn at random
	// between half of it and all of it (jitter), so that the retries of
	// many jobs that failed together spread out. Defaults 10 s and 1 hour:
	// 10 tries span about 1.5 hours.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Timeout bounds one attempt. Default 30 s.
	Timeout time.Duration
	// Lease is how long a claimed job stays hidden from other workers;
	// after it, a job whose worker died is claimed again. It must be
	// longer than Timeout. Default Timeout + 30 s.
	Lease time.Duration
	// PollInterval is how often an idle worker looks for due jobs. Notify
	// wakes them sooner. Default 1 s.
	PollInterval time.Duration
	// KeepDelivered is how long delivered rows are kept before a purge,
	// which runs every PurgeInterval. Defaults 24 hours and 10 minutes.
	KeepDelivered time.Duration
	PurgeInterval time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives failures (never a payload). Default slog.Default().
	Logger *slog.Logger
	// Observe, when set, is called after each attempt, for metrics.
	Observe func(kind string, o Outcome)

	mu      sync.Mutex
	started bool
	stop    chan struct{} // closed by Close: drain, then exit
	wake    chan struct{}
	wg      sync.WaitGroup
}

// Start validates the fields, fills in the defaults and starts the
// workers and the purge.
func (r *Runner) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("outbox: Runner started twice")
	}
	if r.Queue == nil {
		return errors.New("outbox: Runner.Queue is required")
	}
	if r.Workers < 0 || r.MaxAttempts < 0 || r.Backoff < 0 || r.MaxBackoff < 0 || r.Timeout < 0 || r.Lease < 0 || r.PollInterval < 0 || r.KeepDelivered < 0 || r.PurgeInterval < 0 {
		return errors.New("outbox: Runner fields must not be negative")
	}
	r.Workers = orDefault(r.Workers, 4)
	r.MaxAttempts = orDefault(r.MaxAttempts, 10)
	r.Backoff = orDefault(r.Backoff, 10*time.Second)
	r.MaxBackoff = max(orDefault(r.MaxBackoff, time.Hour), r.Backoff)
	r.Timeout = orDefault(r.Timeout, 30*time.Second)
	r.Lease = orDefault(r.Lease, r.Timeout+30*time.Second)
	if r.Lease <= r.Timeout {
		return fmt.Errorf("outbox: Runner.Lease %v must be longer than Timeout %v", r.Lease, r.Timeout)
	}
	r.PollInterval = orDefault(r.PollInterval, time.Second)
	r.KeepDelivered = orDefault(r.KeepDelivered, 24*time.Hour)
	r.PurgeInterval = orDefault(r.PurgeInterval, 10*time.Minute)
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	r.started = true
	r.stop = make(chan struct{})
	r.wake = make(chan struct{}, r.Workers)
	r.wg.Add(r.Workers + 1)
	for range r.Workers {
		go r.work()
	}
	go r.purgeLoop()
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Notify wakes the idle workers to look for due jobs now, e.g. after an
// Enqueue. It never blocks.
func (r *Runner) Notify() {
	r.mu.Lock()
	wake := r.wake
	r.mu.Unlock()
	for range cap(wake) {
		select {
		case wake <- struct{}{}:
		default:
			return
		}
	}
}

// Close stops the Runner gracefully: the workers run the jobs due now
// until none is left, then exit; Close waits for them or for ctx. Jobs
// not done by then stay in the queue (a running one is retried after its
// lease), for the next start.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.started {
		r.mu.Unlock()
		return nil
	}
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Runner) stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

func (r *Runner) work() {
	defer r.wg.Done()
	timer := time.NewTimer(r.PollInterval)
	defer timer.Stop()
	for {
		ran, err := r.runOne()
		if err != nil {
			r.Logger.Warn("outbox: claiming a job", "err", err)
		}
		if ran {
			continue
		}
		if r.stopping() {
			return // drained
		}
		timer.Reset(r.PollInterval)
		select {
		case <-r.wake:
		case <-timer.C:
		case <-r.stop:
		}
	}
}

// runOne claims and runs one due job; ran is false when none was due.
func (r *Runner) runOne() (ran bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
	defer cancel()
	jobs, err := r.Queue.Claim(ctx, r.Now(), r.Lease, 1)
	if err != nil || len(jobs) == 0 {
		return false, err
	}
	r.run(jobs[0])
	return true, nil
}

func (r *Runner) run(j Job) {
	ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
	err := r.call(ctx, j)
	cancel()
	// The bookkeeping gets its own deadline: the attempt may have used up
	// the first.
	ctx, cancel = context.WithTimeout(context.Background(), r.Timeout)
	defer cancel()
	log := r.Logger.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	var outcome Outcome
	switch {
	case err == nil:
		outcome = OutcomeDelivered
		err = r.Queue.Complete(ctx, j.ID, r.Now())
	case errors.Is(err, ErrPermanent) || j.Attempts >= r.MaxAttempts:
		outcome = OutcomeDead
		log.Error("outbox: job failed for good: dead letter", "err", err)
		err = r.Queue.Bury(ctx, j.ID, r.Now(), err.Error())
	default:
		outcome = OutcomeRetried
		wait := r.backoff(j.Attempts)
		log.Warn("outbox: job failed: will retry", "err", err, "in", wait)
		err = r.Queue.Retry(ctx, j.ID, r.Now().Add(wait), err.Error())
	}
	if err != nil {
		// The job stays claimed and comes back after its lease.
		log.Error("outbox: recording the outcome of a job", "outcome", outcome, "err", err)
	}
	if r.Observe != nil {
		r.Observe(j.Kind, outcome)
	}
}

// call runs the job's handler, turning a panic into a permanent failure.
func (r *Runner) call(ctx context.Context, j Job) (err error) {
	h, ok := r.Handlers[j.Kind]
	if !ok {
		return Permanent(fmt.Errorf("no handler for kind %q", j.Kind))
	}
	defer func() {
		if v := recover(); v != nil {
			r.Logger.Error("outbox: job panicked", "job", j.ID, "kind", j.Kind, "panic", v, "stack", string(debug.Stack()))
			err = Permanent(fmt.Errorf("panic: %v", v))
		}
	}()
	return h(ctx, j)
}

// backoff is the wait after the given number of failed attempts:
// Backoff·2^(attempts-1), at most MaxBackoff, with jitter down to half.
func (r *Runner) backoff(attempts int) time.Duration {
	d := r.Backoff
	for i := 1; i < attempts && d < r.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.MaxBackoff)
	half := d / 2
	return half + rand.N(d-half+1)
}

func (r *Runner) purgeLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
			if n, err := r.Queue.Purge(ctx, r.Now().Add(-r.KeepDelivered)); err != nil {
				r.Logger.Warn("outbox: purging delivered jobs", "err", err)
			} else if n > 0 {
				r.Logger.Debug("outbox: purged delivered jobs", "count", n)
			}
			cancel()
		}
	}
}
