package sqlite

import (
	"context"
	"database/sql"

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

func (s *Store) newFactors() *factorStore {
	return sqlfactor.New(factorDB{s}, sqlfactor.SQLite("sqlite", wrap))
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
