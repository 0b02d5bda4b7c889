package postgres

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/latchauth/latch/outbox"
)

// Outbox returns the durable queue of mail and webhooks in the store's
// latch_outbox table (created by Migrate), on the store's pool. Several
// processes on one database share it: claims use FOR UPDATE SKIP LOCKED.
// Enqueue called with the context of the store's InTx writes in that
// transaction. Call it once and keep the queue.
func (s *Store) Outbox() *outbox.SQLQueue {
	return outbox.NewSQLQueue(stdlib.OpenDBFromPool(s.pool), outbox.PostgresDialect).WithTx(func(ctx context.Context) outbox.Execer {
		if tx := s.txFrom(ctx); tx != nil {
			return txExecer{tx}
		}
		return nil
	})
}

// txExecer runs the queue's statements on a pgx transaction.
type txExecer struct{ tx pgx.Tx }

func (e txExecer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tag, err := e.tx.Exec(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rowsAffected(tag.RowsAffected()), nil
}

// rowsAffected is the sql.Result of a pgx Exec.
type rowsAffected int64

func (n rowsAffected) LastInsertId() (int64, error) { return 0, nil }
func (n rowsAffected) RowsAffected() (int64, error) { return int64(n), nil }
