package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sqlfactor"
)

// Second factors and passkeys live in the latch_factor table (migration
// 0004), through the SQL stores' shared implementation, which Store embeds:
// CreateFactor, GetFactor, ListFactors, UpdateFactor, DeleteFactor,
// DeleteFactorsByUser and ScanFactors are its. A user's factors go with the
// user (ON DELETE CASCADE), and InTx covers their writes.

var (
	_ latch.FactorStore   = (*Store)(nil)
	_ latch.FactorScanner = (*Store)(nil)
)

// factorStore is the shared factor store under a name of this package, so
// that the embedded field is not part of Store's API.
type factorStore = sqlfactor.Store

func (s *Store) newFactors() *factorStore {
	return sqlfactor.New(factorDB{s}, sqlfactor.Postgres("postgres", wrap))
}

// factorDB runs the factor statements on the transaction ctx carries, or
// the pool. Inside a transaction a write goes between a savepoint and its
// release (see Store.batch), so that a refused create leaves the
// transaction usable.
type factorDB struct{ s *Store }

func (db factorDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if db.s.txFrom(ctx) == nil {
		tag, err := db.s.pool.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	b := &pgx.Batch{}
	b.Queue(query, args...)
	var n int64
	err := db.s.batch(ctx, b, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

func (db factorDB) Query(ctx context.Context, query string, args ...any) (sqlfactor.Rows, error) {
	rows, err := db.s.db(ctx).Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows}, nil
}

// pgRows gives pgx's rows the Close of database/sql.
type pgRows struct{ pgx.Rows }

func (r pgRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}
