package sqlite

import (
	"context"
	"database/sql"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sqlfactor"
)

// Second factors and passkeys live in the latch_factor table (migration
// 0004), through the SQL stores' shared implementation. A user's factors go
// with the user (ON DELETE CASCADE), and InTx covers their writes.

var (
	_ latch.FactorStore   = (*Store)(nil)
	_ latch.FactorScanner = (*Store)(nil)
)

func (s *Store) newFactors() *sqlfactor.Store {
	return sqlfactor.New(factorDB{s}, sqlfactor.Dialect{Name: "sqlite", EmptyBlob: "X''", Wrap: wrap})
}

// factorDB runs the factor statements as the store runs its own: reads on
// the reader pool, writes on the writer, both prepared on first use, and
// on the transaction of InTx when the context carries one.
type factorDB struct{ s *Store }

func (db factorDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return db.s.stmtFor(db.s.writer, query).exec(ctx, args...)
}

func (db factorDB) Query(ctx context.Context, query string, args ...any) (sqlfactor.Rows, error) {
	return db.s.stmtFor(db.s.reader, query).query(ctx, args...)
}

type stmtKey struct {
	db   *sql.DB
	text string
}

// stmtFor returns the statement of text on the pool db, made on first use.
func (s *Store) stmtFor(db *sql.DB, text string) *stmt {
	s.stmtsMu.Lock()
	defer s.stmtsMu.Unlock()
	k := stmtKey{db, text}
	if st := s.byText[k]; st != nil {
		return st
	}
	if s.byText == nil {
		s.byText = map[stmtKey]*stmt{}
	}
	st := &stmt{s: s, db: db, text: text}
	s.stmts = append(s.stmts, st)
	s.byText[k] = st
	return st
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
