package sqlite

import (
	"context"

	"github.com/latchauth/latch/outbox"
)

// Outbox returns the durable queue of mail and webhooks in the store's
// latch_outbox table (created by Migrate), on the store's single writer
// connection: a claim is an immediate transaction, so claims exclude each
// other, also across processes on one file. Enqueue called with the
// context of the store's InTx writes in that transaction.
func (s *Store) Outbox() *outbox.SQLQueue {
	return outbox.NewSQLQueue(s.writer, outbox.SQLiteDialect).WithTx(func(ctx context.Context) outbox.Execer {
		if tx := s.txFrom(ctx); tx != nil {
			return tx
		}
		return nil
	})
}
