package sqlite

import (
	"context"
	"database/sql"
)

// txKey is the context key of a transaction of one Store.
type txKey struct{ s *Store }

// InTx runs fn in one write transaction (latch.Transactor): the store's
// calls made with fn's context join it. SQLite has one writer, so other
// writes wait until fn returns.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	var fnErr error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		fnErr = fn(context.WithValue(ctx, txKey{s}, tx))
		return fnErr
	})
	if fnErr != nil {
		return fnErr // fn's own error, rolled back, as fn returned it
	}
	return wrap("transaction", err)
}

// txFrom returns the transaction of this store that ctx carries, or nil.
func (s *Store) txFrom(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(txKey{s}).(*sql.Tx)
	return tx
}
