// Package mysql is Latch's MySQL and MariaDB store: users, keys, sessions,
// single-use tokens and attempt counters in InnoDB tables, through
// github.com/go-sql-driver/mysql.
//
// Open a database, Migrate it, and give the store to latch.New:
//
//	store, err := mysql.Open(ctx, "app:secret@tcp(127.0.0.1:3306)/app")
//	...
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { ... }
//	auth, err := latch.New(latch.Config{Store: store})
//
// New wraps a pool the application opened itself instead.
//
// # Schema
//
// Migrate applies the embedded, versioned SQL files under migrations/ that
// the latch_schema_migrations table does not yet record, holding the
// advisory lock GET_LOCK('latch_migrate') so that several processes
// starting at once take turns; it is safe to run on every start. The
// tables are latch_user, latch_key, latch_session, latch_token,
// latch_token_attempt, latch_activity, latch_outbox, latch_factor
// (second factors and passkeys, latch.FactorStore) and latch_throttle
// (ThrottleStore's counts, by SHA-256 of the key). Ids are VARBINARY(255), compared byte for byte:
// case, accents and trailing spaces all count, whatever the database's
// collation. Expiries are BIGINT Unix milliseconds, attributes the JSON
// that latch.MarshalAttributes writes, in a utf8mb4 LONGTEXT column. Keys,
// sessions, tokens, attempt counters, activity and factors reference their
// user with ON DELETE CASCADE, so DeleteUser is one statement.
//
// # Concurrency
//
// Every statement is prepared once per Store and then once per
// connection. Attribute merges lock the row (SELECT … FOR UPDATE) for a
// read-merge-write transaction; TakeToken locks the token's row, deletes
// it and commits, so of concurrent takers one gets the token and the others
// latch.ErrNotFound; AddAttempt upserts the counter (INSERT … ON DUPLICATE
// KEY UPDATE) and reads it back under the same row lock. A transaction or
// write that the server rolls back as a deadlock victim (error 1213) is run
// again, a few times, after a short random wait.
//
// InTx (latch.Transactor) runs several calls in one transaction: the calls
// made with its function's context join it, each call of several
// statements between a savepoint and its release.
//
// # Errors
//
// Duplicate keys (error 1062) are latch.ErrDuplicate, rows that refer to a
// missing user (1452) and missing rows are latch.ErrNotFound; every error
// names the operation ("mysql: get session: …") and keeps the driver's
// error wrapped.
package mysql
