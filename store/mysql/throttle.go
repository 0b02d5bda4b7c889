package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/latchauth/latch/store/internal/sqlthrottle"
	"github.com/latchauth/latch/throttle"
)

// ThrottleStore returns the throttle counts in the store's latch_throttle
// table (created by Migrate), on its pool: every process on the database
// shares them, so a limit holds across the instances of a service. It also
// takes back hits (throttle.HitUndoer). Windows run on now (time.Now when
// nil), the clock the service's latch.Config.Now gives. A hit is an
// INSERT … ON DUPLICATE KEY UPDATE and a read of its row in one
// transaction, run again after a deadlock. The calls run on their own,
// outside any transaction of InTx their context carries: a count stands
// whether or not the caller's transaction commits. Call it once and keep
// the store.
func (s *Store) ThrottleStore(now func() time.Time) throttle.Store {
	return sqlthrottle.New(throttleDB{s: s}, sqlthrottle.Dialect{Name: "mysql", Flavor: sqlthrottle.MySQL, Wrap: wrap}, now)
}

// throttleDB runs the throttle statements, prepared with the store's own,
// on the pool (again after a deadlock) or, within InTx, on tx.
type throttleDB struct {
	s  *Store
	tx *sql.Tx
}

func (db throttleDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	q, err := db.s.stmts(ctx)
	if err != nil {
		return nil, err
	}
	st := q.shared[query]
	if st == nil {
		return nil, fmt.Errorf("statement not prepared: %s", query)
	}
	if db.tx != nil {
		st = db.tx.StmtContext(ctx, st)
	}
	return st, nil
}

func (db throttleDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	run := func() (int64, error) {
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	if db.tx != nil { // a deadlock ends the transaction: InTx runs it again
		return run()
	}
	var n int64
	err = retry(ctx, func() (err error) {
		n, err = run()
		return err
	})
	return n, err
}

func (db throttleDB) QueryRow(ctx context.Context, _ bool, query string, args []any, dest ...any) (bool, error) {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return false, err
	}
	err = st.QueryRowContext(ctx, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// InTx runs f in a transaction of its own on the pool, again after a
// deadlock.
func (db throttleDB) InTx(ctx context.Context, f func(tx sqlthrottle.DB) error) error {
	if _, err := db.s.stmts(ctx); err != nil { // prepared before the transaction holds a connection
		return err
	}
	return retry(ctx, func() error {
		tx, err := db.s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := f(throttleDB{s: db.s, tx: tx}); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}
