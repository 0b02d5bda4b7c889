// Package sqlite is Latch's embedded default store: users, keys, sessions,
// single-use tokens and attempt counters in one SQLite file, through
// modernc.org/sqlite (pure Go, no cgo).
//
// Open a file, Migrate it, and give the store to latch.New:
//
//	store, err := sqlite.Open("latch.db")
//	...
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { ... }
//	auth, err := latch.New(latch.Config{Store: store})
//
// # Schema
//
// Migrate applies the embedded, versioned SQL files under migrations/ that
// the latch_migration table does not yet record, each in its own
// transaction; it is safe to run on every start and from several processes.
// The tables are latch_user, latch_key, latch_session, latch_token,
// latch_token_attempt, latch_activity, latch_outbox, latch_factor (second
// factors and passkeys, latch.FactorStore) and latch_throttle
// (ThrottleStore's counts, by SHA-256 of the key). Ids are TEXT compared byte for byte (SQLite's BINARY
// collation), expiries are INTEGER Unix milliseconds, attributes are the
// JSON that latch.MarshalAttributes writes. Keys, sessions, tokens,
// attempt counters, activity and factors reference their user with ON
// DELETE CASCADE.
//
// # Concurrency
//
// The database runs in WAL mode, so reads do not wait for writes. A Store
// keeps two pools on the file: a writer of exactly one connection, through
// which every write and write transaction (BEGIN IMMEDIATE) goes, and a pool
// of read-only connections (PRAGMA query_only) for reads. Concurrent writers
// therefore queue in Go for the one connection rather than failing with
// "database is locked"; the 10 s busy_timeout is left for other processes
// on the same file. Hot statements are prepared once per connection.
//
// TakeToken is one DELETE … RETURNING, AddAttempt one upsert, and attribute
// updates one read-merge-write transaction, so each is atomic.
package sqlite
