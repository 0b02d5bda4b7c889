package mysql

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sqlfactor"
)

// Second factors and passkeys live in the latch_factor table (migration
// 0004), through the SQL stores' shared implementation. A user's factors go
// with the user (ON DELETE CASCADE), and InTx covers their writes.

var _ latch.FactorStore = (*Store)(nil)

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
