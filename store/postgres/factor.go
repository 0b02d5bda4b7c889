package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sqlfactor"
)

// Second factors and passkeys live in the latch_factor table (migration
// 0004), through the SQL stores' shared implementation. A user's factors go
// with the user (ON DELETE CASCADE), and InTx covers their writes.

var _ latch.FactorStore = (*Store)(nil)

var factorDialect = sqlfactor.Dialect{
	Name: "postgres", Numbered: true, EmptyBlob: "''::bytea",
	Storable: storable, Wrap: wrap,
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

// CreateFactor stores a factor: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateFactor(ctx context.Context, f latch.FactorRecord) error {
	return s.factors.CreateFactor(ctx, f)
}

// GetFactor returns the factor, or latch.ErrNotFound.
func (s *Store) GetFactor(ctx context.Context, id string) (latch.FactorRecord, error) {
	return s.factors.GetFactor(ctx, id)
}

// ScanFactors returns up to limit factors of the kind whose id is after
// afterID, in id order (latch.FactorScanner).
func (s *Store) ScanFactors(ctx context.Context, kind, afterID string, limit int) ([]latch.FactorRecord, error) {
	return s.factors.ScanFactors(ctx, kind, afterID, limit)
}

// ListFactors returns the user's factors, oldest first (then by id).
func (s *Store) ListFactors(ctx context.Context, userID string) ([]latch.FactorRecord, error) {
	return s.factors.ListFactors(ctx, userID)
}

// UpdateFactor stores the factor's Name, Data and LastUsedAt;
// latch.ErrNotFound when it does not exist.
func (s *Store) UpdateFactor(ctx context.Context, f latch.FactorRecord) error {
	return s.factors.UpdateFactor(ctx, f)
}

// DeleteFactor removes one factor. It succeeds whatever the input.
func (s *Store) DeleteFactor(ctx context.Context, id string) error {
	return s.factors.DeleteFactor(ctx, id)
}

// DeleteFactorsByUser removes all of the user's factors.
func (s *Store) DeleteFactorsByUser(ctx context.Context, userID string) error {
	return s.factors.DeleteFactorsByUser(ctx, userID)
}
