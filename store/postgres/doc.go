// Package postgres is Latch's PostgreSQL store: users, keys, sessions,
// single-use tokens and attempt counters in five tables, through
// github.com/jackc/pgx/v5 and its pool.
//
// Open a pool, Migrate, and give the store to latch.New:
//
//	store, err := postgres.Open(ctx, "postgres://app@db.internal:5432/app")
//	...
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { ... }
//	auth, err := latch.New(latch.Config{Store: store})
//
// New wraps a pool the application already has instead.
//
// # Schema
//
// Migrate applies the embedded, versioned SQL files under migrations/ that
// the latch_schema_migrations table does not yet record, in one transaction
// under an advisory lock (pg_advisory_xact_lock); it is safe to run on
// every start and from several processes at once. The tables are
// latch_user, latch_key, latch_session, latch_token, latch_token_attempt,
// latch_activity, latch_outbox, latch_factor (second factors and
// passkeys, latch.FactorStore) and latch_throttle (ThrottleStore's counts,
// by SHA-256 of the key), in the first schema of the search_path. Ids are TEXT
// with COLLATE "C", so compared byte for byte; expiries are BIGINT Unix
// milliseconds; attributes are TEXT holding the JSON that
// latch.MarshalAttributes writes. Keys, sessions, tokens, attempt
// counters, activity and factors reference their user with ON DELETE
// CASCADE, and every user_id
// and expiry column is indexed. The database must use the UTF8 encoding;
// a string PostgreSQL cannot store (invalid UTF-8, or with a NUL byte) is
// never an id of a stored row, so lookups of one find nothing and deletes
// of one do nothing, without a round trip.
//
// # Queries
//
// Each method is one statement, run on the pool (or one round trip of
// several statements, pipelined), and each statement is a constant that
// pgx prepares once per connection and caches. Errors name the operation
// ("postgres: get session: …") and wrap latch.ErrNotFound for a missing row
// or referenced user (SQLSTATE 23503), latch.ErrDuplicate for a taken id
// (23505), and otherwise pgx's error.
//
// ValidateSession's lookup (GetSessionAndUser) is one join. TakeToken is
// one DELETE … RETURNING and AddAttempt one INSERT … ON CONFLICT DO UPDATE,
// so each is atomic under concurrency. CreateUser writes the user and its
// key as one implicit transaction. Attribute updates read the row with
// SELECT … FOR UPDATE, merge in Go and write it back, in a transaction.
//
// # Transactions
//
// InTx (latch.Transactor) runs a function in one transaction: the store's
// calls made with the context it passes run on that transaction. A write
// refused inside it (a taken id, a missing user) is rolled back alone to a
// savepoint, so the transaction stays usable, as it would on SQLite.
package postgres
