package lucia2

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sqlfactor"
)

// Second factors and passkeys live in Latch's own latch_factor table,
// which Migrate creates beside Lucia's (never in Lucia's tables), through
// the SQL stores' shared implementation. Its user_id references the Lucia
// user table ON DELETE CASCADE: deleting a user, by Latch or by Lucia,
// removes its factors too. InTx covers their writes.

var _ latch.FactorStore = (*Store)(nil)

func (s *Store) newFactors() *sqlfactor.Store {
	d := sqlfactor.Dialect{
		Name: "lucia2", Table: FactorTable, EmptyBlob: "X''", Wrap: s.wrap,
		// Lucia's user id may have a case-insensitive collation on
		// MySQL: compare the bytes too, as the token queries do.
		UserIDMatch: s.eq(s.users, "id", "user_id"), UserIDArgs: len(s.idArgs("")),
	}
	if s.d == dPostgres {
		d.Numbered, d.EmptyBlob = true, "''::bytea"
		d.Storable = func(v string) bool { return strings.IndexByte(v, 0) < 0 && utf8.ValidString(v) }
	}
	return sqlfactor.New(factorDB{s}, d)
}

// factorDB runs the factor statements as the store runs its own: writes on
// the writer (through a savepoint inside a transaction on PostgreSQL, again
// after a deadlock outside one), reads on the reader, and both on the
// transaction ctx carries.
type factorDB struct{ s *Store }

func (db factorDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return db.s.exec(ctx, query, args...)
}

func (db factorDB) Query(ctx context.Context, query string, args ...any) (sqlfactor.Rows, error) {
	return db.s.readRows(ctx, query, args...)
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
