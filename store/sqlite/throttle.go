package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchauth/latch/store/internal/sqlthrottle"
	"github.com/latchauth/latch/throttle"
)

// ThrottleStore returns the throttle counts in the store's latch_throttle
// table (created by Migrate): every process on the file shares them. It
// also takes back hits (throttle.HitUndoer). Windows run on now (time.Now
// when nil), the clock the service's latch.Config.Now gives. A hit is one
// statement on the writer; inside a transaction of InTx, which holds the
// writer, the calls join it. Call it once and keep the store.
func (s *Store) ThrottleStore(now func() time.Time) throttle.Store {
	return sqlthrottle.New(throttleDB{s}, sqlthrottle.Dialect{Name: "sqlite", Flavor: sqlthrottle.SQLite, Wrap: wrap}, now)
}

// throttleDB runs the throttle statements as the store runs its own:
// reads on the reader pool, writes on the writer, both prepared on first
// use.
type throttleDB struct{ s *Store }

func (db throttleDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return db.s.stmtFor(db.s.writer, query).exec(ctx, args...)
}

func (db throttleDB) QueryRow(ctx context.Context, write bool, query string, args []any, dest ...any) (bool, error) {
	pool := db.s.reader
	if write {
		pool = db.s.writer
	}
	err := db.s.stmtFor(pool, query).row(ctx, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
