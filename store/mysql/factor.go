package mysql

import (
	"context"
	"database/sql"
	"fmt"

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

// factorDialect is MySQL's; its statements are prepared with the store's
// own.
var factorDialect = sqlfactor.MySQL("mysql", wrap)

// factorDB runs the factor statements, prepared with the store's own, as
// the store runs those: on the transaction ctx carries, or else on the
// pool, again after a deadlock.
type factorDB struct{ s *Store }

func (db factorDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	q, err := db.s.stmts(ctx)
	if err != nil {
		return nil, err
	}
	st := q.shared[query]
	if st == nil {
		return nil, fmt.Errorf("statement not prepared: %s", query)
	}
	return st, nil
}

func (db factorDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	return db.s.exec(ctx, st, args...)
}

func (db factorDB) Query(ctx context.Context, query string, args ...any) (sqlfactor.Rows, error) {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return db.s.query(ctx, st, args...)
}
