package outboxtest

import (
	"context"
	"errors"
	"testing"

	"github.com/latchauth/latch/outbox"
)

// Transactor is the store's latch.Transactor (declared here so that this
// package needs no latch import).
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// RunTx checks that a queue set up with SQLQueue.WithTx writes in the
// store's transaction: a job enqueued inside InTx exists after a commit
// and not after a rollback, and is invisible to a claim until the commit.
func RunTx(t *testing.T, q outbox.Queue, tr Transactor) {
	errBoom := errors.New("boom")
	t.Run("Rollback", func(t *testing.T) {
		id := outbox.NewID()
		err := tr.InTx(ctx(t), func(ctx context.Context) error {
			if err := q.Enqueue(ctx, outbox.Job{ID: id, Kind: "webhook", Payload: []byte("{}"), RunAt: t0}); err != nil {
				t.Fatalf("Enqueue in tx: %v", err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if _, _, err := q.Get(ctx(t), id); !errors.Is(err, outbox.ErrNotFound) {
			t.Fatalf("job after rollback: %v, want ErrNotFound", err)
		}
	})
	t.Run("Commit", func(t *testing.T) {
		id := outbox.NewID()
		err := tr.InTx(ctx(t), func(ctx context.Context) error {
			return q.Enqueue(ctx, outbox.Job{ID: id, Kind: "webhook", Payload: []byte("{}"), RunAt: t0})
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}
		j, st, err := q.Get(ctx(t), id)
		if err != nil || st != outbox.Pending || j.Kind != "webhook" {
			t.Fatalf("job after commit: %+v, %v, %v", j, st, err)
		}
	})
}
