package lucia2

import (
	"context"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sqlfactor"
)

// Second factors and passkeys live in Latch's own latch_factor table,
// which Migrate creates beside Lucia's (never in Lucia's tables), through
// the SQL stores' shared implementation, which Store embeds: CreateFactor,
// GetFactor, ListFactors, UpdateFactor, DeleteFactor, DeleteFactorsByUser
// and ScanFactors are its. Its user_id references the Lucia user table ON
// DELETE CASCADE: deleting a user, by Latch or by Lucia, removes its
// factors too. InTx covers their writes.

var (
	_ latch.FactorStore   = (*Store)(nil)
	_ latch.FactorScanner = (*Store)(nil)
)

// factorStore is the shared factor store under a name of this package, so
// that the embedded field is not part of Store's API.
type factorStore = sqlfactor.Store

func (s *Store) newFactors() *factorStore {
	var d sqlfactor.Dialect
	switch s.d {
	case dPostgres:
		d = sqlfactor.Postgres("lucia2", s.wrap)
	case dMySQL:
		d = sqlfactor.MySQL("lucia2", s.wrap)
	default:
		d = sqlfactor.SQLite("lucia2", s.wrap)
	}
	d.Table = FactorTable
	// Lucia's user id may have a case-insensitive collation on MySQL:
	// compare the bytes too, as the token queries do.
	d.UserIDMatch, d.UserIDArgs = s.eq(s.users, "id", "user_id"), len(s.idArgs(""))
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
