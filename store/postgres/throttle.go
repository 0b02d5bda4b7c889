package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latchauth/latch/store/internal/sqlthrottle"
	"github.com/latchauth/latch/throttle"
)

// ThrottleStore returns the throttle counts in the store's latch_throttle
// table (created by Migrate), on its pool: every process on the database
// shares them, so a limit holds across the instances of a service. It also
// takes back hits (throttle.HitUndoer). Windows run on now (time.Now when
// nil), the clock the service's latch.Config.Now gives. Its calls run on
// their own, outside any transaction of InTx their context carries: a
// count stands whether or not the caller's transaction commits. Call it
// once and keep the store.
func (s *Store) ThrottleStore(now func() time.Time) throttle.Store {
	return sqlthrottle.New(throttleDB{s}, sqlthrottle.Dialect{Name: "postgres", Flavor: sqlthrottle.Postgres, Wrap: wrap}, now)
}

// throttleDB runs the throttle statements on the pool (pgx prepares and
// caches each on every connection).
type throttleDB struct{ s *Store }

func (db throttleDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := db.s.pool.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (db throttleDB) QueryRow(ctx context.Context, _ bool, query string, args []any, dest ...any) (bool, error) {
	err := db.s.pool.QueryRow(ctx, query, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
