package lucia2

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// querier runs statements: a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txKey is the context key of a transaction of one Store.
type txKey struct{ s *Store }

// txState is a transaction of InTx, as its context carries it.
type txState struct {
	tx *sql.Tx

	mu   sync.Mutex
	lost error // MySQL: the server rolled the whole transaction back
}

// InTx runs fn in one transaction (latch.Transactor): the store's calls made
// with fn's context, or a context derived from it, join it, one at a time
// (not from several goroutines at once), and see its own writes. InTx
// commits when fn returns nil and rolls back when fn returns an error, which
// it returns as it is, or panics. Called with a context that already
// carries a transaction of this store, InTx joins it.
//
// A write refused inside the transaction (latch.ErrDuplicate or
// latch.ErrNotFound from a create, an invalid attribute) is undone alone,
// through a savepoint, and the transaction goes on; fn decides whether the
// error ends it. On SQLite the store has one writer connection: calls made
// with another context than fn's wait until the transaction ends. On MySQL a
// deadlock makes the server roll back the whole transaction: later calls in
// fn then fail and InTx returns an error even if fn swallowed the first.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap("begin transaction", err)
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
		return s.wrap("transaction rolled back by the server", err)
	}
	return s.wrap("commit transaction", tx.Commit())
}

// txFrom returns the transaction of this store that ctx carries, or nil.
func (s *Store) txFrom(ctx context.Context) *txState {
	t, _ := ctx.Value(txKey{s}).(*txState)
	return t
}

func (t *txState) failed() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lost
}

var errLost = errors.New("the transaction was rolled back by the server after an earlier error")

// note records err when it means that the server rolled the whole
// transaction back (a MySQL deadlock), and returns it.
func (s *Store) note(t *txState, err error) error {
	if err != nil && s.d == dMySQL && s.retryable(err) {
		t.mu.Lock()
		if t.lost == nil {
			t.lost = err
		}
		t.mu.Unlock()
	}
	return err
}

// savepoint runs f in the transaction so that its statements take effect
// together or not at all, and a failure leaves the transaction usable
// (PostgreSQL otherwise refuses every statement after a failed one).
func (s *Store) savepoint(ctx context.Context, t *txState, f func(q querier) error) error {
	if err := t.failed(); err != nil {
		return fmt.Errorf("%w: %w", errLost, err)
	}
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT latch_call"); err != nil {
		return s.note(t, err)
	}
	if err := f(t.tx); err != nil {
		if s.note(t, err); s.d == dMySQL && s.retryable(err) {
			return err // the savepoint went with the transaction
		}
		if _, rerr := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT latch_call"); rerr != nil {
			return errors.Join(err, s.note(t, rerr))
		}
		_, _ = t.tx.ExecContext(ctx, "RELEASE SAVEPOINT latch_call")
		return err
	}
	_, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT latch_call")
	return s.note(t, err)
}

// single runs f, which runs one statement that writes: on the writer, again
// after a deadlock; in the transaction ctx carries, through a savepoint on
// PostgreSQL.
func (s *Store) single(ctx context.Context, f func(q querier) error) error {
	if t := s.txFrom(ctx); t != nil {
		if s.d == dPostgres {
			return s.savepoint(ctx, t, f)
		}
		if err := t.failed(); err != nil {
			return fmt.Errorf("%w: %w", errLost, err)
		}
		return s.note(t, f(t.tx))
	}
	return s.retry(ctx, func() error { return f(s.writer) })
}

// atomic runs f, which runs several statements, so that they take effect
// together or not at all: in a transaction of its own on the writer, run
// again after a deadlock (f must leave its results only in variables it
// sets on every run); in the transaction ctx carries, through a savepoint.
func (s *Store) atomic(ctx context.Context, f func(q querier) error) error {
	if t := s.txFrom(ctx); t != nil {
		return s.savepoint(ctx, t, f)
	}
	return s.retry(ctx, func() (err error) {
		tx, err := s.writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() {
			if p := recover(); p != nil {
				_ = tx.Rollback()
				panic(p)
			}
		}()
		if err := f(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// exec runs one writing statement and returns the rows it matched.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.single(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// rowScanner is a row to scan, or the error that kept it from being read.
type rowScanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// readRow runs a query returning at most one row: in the transaction ctx
// carries, or on the reader pool. A PostgreSQL id that no text column can
// hold finds no row without asking the server.
func (s *Store) readRow(ctx context.Context, query string, args ...any) rowScanner {
	if !s.storable(args) {
		return errRow{sql.ErrNoRows}
	}
	if t := s.txFrom(ctx); t != nil {
		if err := t.failed(); err != nil {
			return errRow{fmt.Errorf("%w: %w", errLost, err)}
		}
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return s.reader.QueryRowContext(ctx, query, args...)
}

// readRows runs a query: in the transaction ctx carries, or on the reader
// pool. The caller checks s.storable first.
func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t := s.txFrom(ctx); t != nil {
		if err := t.failed(); err != nil {
			return nil, fmt.Errorf("%w: %w", errLost, err)
		}
		return t.tx.QueryContext(ctx, query, args...)
	}
	return s.reader.QueryContext(ctx, query, args...)
}

// storable reports whether the string arguments can be compared with a
// text column: PostgreSQL refuses invalid UTF-8 and NUL bytes (and would
// abort a transaction of InTx over it). No stored id is otherwise, so a
// statement by such an id matches nothing.
func (s *Store) storable(args []any) bool {
	if s.d != dPostgres {
		return true
	}
	for _, a := range args {
		if str, ok := a.(string); ok && (strings.IndexByte(str, 0) >= 0 || !utf8.ValidString(str)) {
			return false
		}
	}
	return true
}

// maxTries bounds how often a statement or transaction that keeps losing
// deadlocks is run.
const maxTries = 5

// retry runs f until it succeeds, fails otherwise than by a deadlock or
// serialization failure, or has been tried maxTries times, waiting a little
// longer, at random, after each.
func (s *Store) retry(ctx context.Context, f func() error) error {
	for try := 1; ; try++ {
		err := f()
		if err == nil || try == maxTries || !s.retryable(err) {
			return err
		}
		wait := time.Duration(try) * (time.Millisecond + rand.N(4*time.Millisecond))
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			return err
		case <-tm.C:
		}
	}
}
