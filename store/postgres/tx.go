package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// txKey is the context key of a transaction of one Store.
type txKey struct{ s *Store }

// InTx runs fn in one transaction (latch.Transactor): the store's calls
// made with fn's context, or a context derived from it, run on the
// transaction's connection, one at a time (not from several goroutines at
// once). It commits when fn returns nil and rolls back when fn returns an
// error, which InTx returns as it is, or panics. Called with a context that
// already carries a transaction of this store, InTx joins it.
//
// A write refused inside the transaction (latch.ErrDuplicate or
// latch.ErrNotFound from a create) is undone alone, through a savepoint,
// and the transaction goes on as it would on SQLite; fn decides whether the
// error ends it.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrap("begin transaction", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(ctx)
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{s}, tx)); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	return wrap("commit transaction", tx.Commit(ctx))
}

// txFrom returns the transaction of this store that ctx carries, or nil.
func (s *Store) txFrom(ctx context.Context) pgx.Tx {
	tx, _ := ctx.Value(txKey{s}).(pgx.Tx)
	return tx
}
