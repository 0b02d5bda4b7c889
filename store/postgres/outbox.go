package postgres

import (
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/latchauth/latch/outbox"
)

// Outbox returns the durable queue of mail and webhooks in the store's
// latch_outbox table (created by Migrate), on the store's pool. Several
// processes on one database share it: claims use FOR UPDATE SKIP LOCKED.
// Call it once and keep the queue.
func (s *Store) Outbox() *outbox.SQLQueue {
	return outbox.NewSQLQueue(stdlib.OpenDBFromPool(s.pool), outbox.PostgresDialect)
}
