package outbox

import (
	"context"
	"crypto/rand"
	"errors"
	"time"
)

// Job is one piece of queued work.
type Job struct {
	// ID identifies the job; NewID makes one. Enqueueing an ID that is
	// already queued returns ErrDuplicate and changes nothing, which makes
	// enqueueing from a retried job idempotent.
	ID string
	// Kind selects the Runner's handler ("mail", "webhook", …).
	Kind string
	// Payload is the handler's input, typically JSON.
	Payload []byte
	// RunAt is when the job is due; the zero time means now.
	RunAt time.Time
	// Attempts counts the claims so far, this one included, when the job
	// comes from Claim.
	Attempts int
	// LastError is the error of the last failed attempt.
	LastError string
}

// State is where a job is in its life.
type State int

// The states of a job.
const (
	Pending   State = 0 // waiting to be due, or claimed by a worker
	Delivered State = 1 // done; the payload is gone, the row waits for Purge
	Dead      State = 2 // failed MaxAttempts times, or failed permanently
)

// Stats counts the jobs of a queue by state.
type Stats struct {
	Pending   int64
	Delivered int64
	Dead      int64
}

// Queue stores jobs. Every method is safe for concurrent use, also from
// several processes for the SQL queues. Times are stored in milliseconds.
type Queue interface {
	// Enqueue stores a pending job. An ID already in the queue (in any
	// state) returns ErrDuplicate.
	Enqueue(ctx context.Context, j Job) error
	// Claim returns up to limit pending jobs due at now, oldest first,
	// with Attempts counted up, and moves each one's RunAt to now+lease so
	// that no other claim returns it while it runs. A job claimed by a
	// worker that died is claimed again when its lease ends.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// Complete marks the job delivered and forgets its payload.
	Complete(ctx context.Context, id string, now time.Time) error
	// Retry makes the job due again at runAt and records why it failed.
	Retry(ctx context.Context, id string, runAt time.Time, lastError string) error
	// Bury marks the job dead and records why.
	Bury(ctx context.Context, id string, now time.Time, lastError string) error
	// Purge removes the delivered jobs completed before the given time and
	// returns how many.
	Purge(ctx context.Context, before time.Time) (int64, error)
	// Stats counts the jobs by state.
	Stats(ctx context.Context) (Stats, error)
	// Get returns a job and its state, for tests and administration;
	// ErrNotFound when there is none.
	Get(ctx context.Context, id string) (Job, State, error)
}

var (
	// ErrDuplicate is returned by Enqueue for an ID already queued.
	ErrDuplicate = errors.New("outbox: duplicate job id")
	// ErrNotFound is returned for a job that is not in the queue.
	ErrNotFound = errors.New("outbox: job not found")
)

// NewID returns a new random job id: 26 base32 characters (128 bits)
// from crypto/rand.
func NewID() string { return rand.Text() }

// maxErrorLen bounds the LastError kept in the queue.
const maxErrorLen = 1000

func truncate(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	return s[:maxErrorLen]
}

func validate(j Job) error {
	if j.ID == "" || len(j.ID) > 100 {
		return errors.New("outbox: job id must be 1 to 100 bytes")
	}
	if j.Kind == "" || len(j.Kind) > 100 {
		return errors.New("outbox: job kind must be 1 to 100 bytes")
	}
	return nil
}
