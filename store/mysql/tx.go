package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// txKey is the context key of a transaction of one Store.
type txKey struct{ s *Store }

// txState is a transaction of InTx, as its context carries it.
type txState struct {
	tx *sql.Tx

	mu   sync.Mutex
	lost error // the server rolled the transaction back (a deadlock)
}

// InTx runs fn in one transaction (latch.Transactor): the store's calls
// made with fn's context, or a context derived from it, run on the
// transaction's connection, one at a time (not from several goroutines at
// once), and see the transaction's own writes. InTx commits when fn
// returns nil and rolls back when fn returns an error, which InTx returns
// as it is, or panics. Called with a context that already carries a
// transaction of this store, InTx joins it.
//
// A statement refused inside the transaction (latch.ErrDuplicate, or
// latch.ErrNotFound from a create) is undone alone, as MySQL does, and so
// is a store call of several statements (CreateUser with its key,
// TakeToken, AddAttempt, attribute merges: each runs between a savepoint
// and its release); the transaction goes on, and fn decides whether the
// error ends it. A deadlock, though, makes the server roll back the whole
// transaction: the call that met it returns the driver's error 1213, every
// later write in fn fails, and InTx returns an error even if fn swallowed
// it. InTx does not run fn again; the caller may.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	// Prepared before the transaction holds a connection: preparing takes
	// one from the pool.
	if _, err := s.stmts(ctx); err != nil {
		return wrap("begin transaction", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin transaction", err)
	}
	t := &txState{tx: tx}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{s}, t)); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := t.failed(); err != nil {
		_ = tx.Rollback()
		return wrap("transaction rolled back by the server", err)
	}
	return wrap("commit transaction", tx.Commit())
}

// txFrom returns the transaction of this store that ctx carries, or nil.
func (s *Store) txFrom(ctx context.Context) *txState {
	t, _ := ctx.Value(txKey{s}).(*txState)
	return t
}

// failed returns the error with which the server rolled the transaction
// back, or nil.
func (t *txState) failed() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lost
}

// check notes err when it means that the server rolled the whole
// transaction back, and returns it.
func (t *txState) check(err error) error {
	if err != nil && retryable(err) {
		t.mu.Lock()
		if t.lost == nil {
			t.lost = err
		}
		t.mu.Unlock()
	}
	return err
}

var errLost = errors.New("the transaction was rolled back by the server after an earlier error")

// exec runs a prepared write in the transaction.
func (t *txState) exec(ctx context.Context, st *sql.Stmt, args ...any) (int64, error) {
	if err := t.failed(); err != nil {
		return 0, fmt.Errorf("%w: %w", errLost, err)
	}
	res, err := t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	if err != nil {
		return 0, t.check(err)
	}
	return res.RowsAffected()
}

// savepoint runs f in the transaction so that its statements take effect
// together or not at all: after SAVEPOINT, released when f succeeds,
// rolled back to when it fails.
func (t *txState) savepoint(ctx context.Context, f func(tx *sql.Tx) error) error {
	if err := t.failed(); err != nil {
		return fmt.Errorf("%w: %w", errLost, err)
	}
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT latch_call"); err != nil {
		return t.check(err)
	}
	if err := f(t.tx); err != nil {
		if t.check(err); retryable(err) {
			return err // the savepoint went with the transaction
		}
		if _, rerr := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT latch_call"); rerr != nil {
			return errors.Join(err, t.check(rerr))
		}
		return err
	}
	_, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT latch_call")
	return t.check(err)
}
