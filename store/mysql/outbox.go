package mysql

import (
	"context"
	"errors"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/latchauth/latch/outbox"
)

// outboxDialect: MySQL has no INSERT … ON CONFLICT DO NOTHING that
// reports the skip (with clientFoundRows, ON DUPLICATE KEY UPDATE counts
// the unchanged row), so a duplicate is recognised by its error, 1062.
var outboxDialect = outbox.Dialect{
	Name:       "mysql",
	LockSuffix: " FOR UPDATE SKIP LOCKED",
	IsDuplicate: func(err error) bool {
		var me *gomysql.MySQLError
		return errors.As(err, &me) && me.Number == 1062
	},
}

// Outbox returns the durable queue of mail and webhooks in the store's
// latch_outbox table (created by Migrate), on the store's pool. Several
// processes on one database share it: claims use FOR UPDATE SKIP LOCKED
// (MariaDB 10.6 and MySQL 8.0 or later). Enqueue called with the context
// of the store's InTx writes in that transaction.
func (s *Store) Outbox() *outbox.SQLQueue {
	return outbox.NewSQLQueue(s.db, outboxDialect).WithTx(func(ctx context.Context) outbox.Execer {
		if t := s.txFrom(ctx); t != nil {
			return t.tx
		}
		return nil
	})
}
