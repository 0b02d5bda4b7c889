// Package sqlthrottle is the one throttle.Store (and throttle.HitUndoer)
// that the SQL stores share: fixed-window hit counters in the
// latch_throttle table, written once, with a small Dialect for what
// differs between SQLite, PostgreSQL and MySQL. Every process on the
// database counts in the same rows, so a limit holds across the instances
// of a service as it does with store/redis.
//
// The table, which each store's migration 0005 creates:
//
//	latch_throttle (key_hash PK, hits, window_end)  index on window_end
//
// key_hash is the SHA-256 of the key: any key fits in 32 bytes, whatever
// its length or bytes (PostgreSQL's text refuses NUL and invalid UTF-8),
// and no email or IP address is kept in clear. window_end is Unix
// milliseconds on the clock the Store is given.
package sqlthrottle

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/internal/sqlbind"
)

// DB runs statements for the shared code; each store runs them its own way
// (its pools, its prepared statements).
type DB interface {
	// Exec runs a write and returns the rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// QueryRow runs a statement that returns at most one row and scans it
	// into dest; found is false, with a nil error, when there is no row.
	// write tells a read from a write that returns its row (SQLite runs
	// the one on its readers, the other on its writer).
	QueryRow(ctx context.Context, write bool, query string, args []any, dest ...any) (found bool, err error)
}

// TxDB is a DB that can run statements in one transaction, which a
// dialect without RETURNING (MySQL) needs to read back the row its upsert
// wrote.
type TxDB interface {
	DB
	// InTx runs f on one transaction, committing when f returns nil. It
	// may run f again after a deadlock, so f keeps its results only in
	// variables it sets on every run.
	InTx(ctx context.Context, f func(tx DB) error) error
}

// Flavor is the SQL a database speaks, for the statements that differ.
type Flavor int

const (
	// SQLite: '?' parameters, INSERT … ON CONFLICT … RETURNING.
	SQLite Flavor = iota
	// Postgres: numbered parameters, INSERT … ON CONFLICT … RETURNING,
	// a purge that skips rows other processes hold.
	Postgres
	// MySQL and MariaDB: INSERT … ON DUPLICATE KEY UPDATE and a read of
	// the row in the same transaction (the DB must be a TxDB).
	MySQL
)

// Dialect is what differs between the databases.
type Dialect struct {
	// Name begins the store's errors ("sqlite", "postgres", ...).
	Name   string
	Flavor Flavor
	// Wrap names the operation and maps the driver's errors to Latch's
	// (latch.Unavailable for a lost connection, say).
	Wrap func(op string, err error) error
}

// Purging: every purgeEvery-th Hit of a Store deletes up to purgeBatch
// rows whose window has ended. At most one key is new per hit, so twice
// as many deletions as hits keeps the table at the live windows plus a
// backlog that shrinks, and each purge stays a small indexed delete.
const (
	purgeEvery = 32
	purgeBatch = 2 * purgeEvery
)

// Store implements throttle.Store and throttle.HitUndoer on a DB.
type Store struct {
	db  DB
	tx  TxDB // db, when it runs transactions
	d   Dialect
	now func() time.Time
	q   queries

	hits atomic.Uint64 // Hits made, which decide when to purge
}

type queries struct {
	hit, read, peek, reset, undo, purge string
}

// New returns a Store on db. Windows start and end on now (time.Now when
// nil): every process sharing the table should keep the same time, as
// NTP-synchronised hosts do to within milliseconds. For Flavor MySQL, db
// must be a TxDB (Hit fails otherwise).
func New(db DB, d Dialect, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, d: d, now: now, q: buildQueries(d.Flavor)}
	s.tx, _ = db.(TxDB)
	return s
}

func buildQueries(f Flavor) queries {
	var q queries
	switch f {
	case SQLite, Postgres:
		// All of SET reads the row as it was, so both columns test the
		// old window_end: a live window counts on, an ended one restarts
		// at 1 with the new end (excluded's).
		q.hit = `INSERT INTO latch_throttle AS t (key_hash, hits, window_end) VALUES (?, 1, ?)
			ON CONFLICT (key_hash) DO UPDATE SET
				hits       = CASE WHEN t.window_end > ? THEN t.hits + 1 ELSE 1 END,
				window_end = CASE WHEN t.window_end > ? THEN t.window_end ELSE excluded.window_end END
			RETURNING hits, window_end`
	case MySQL:
		// MySQL assigns left to right, each assignment seeing the ones
		// before: hits goes first, so that both tests read the old
		// window_end.
		q.hit = `INSERT INTO latch_throttle (key_hash, hits, window_end) VALUES (?, 1, ?)
			ON DUPLICATE KEY UPDATE
				hits       = IF(window_end > ?, hits + 1, 1),
				window_end = IF(window_end > ?, window_end, VALUES(window_end))`
		q.read = `SELECT hits, window_end FROM latch_throttle WHERE key_hash = ?`
	}
	q.peek = `SELECT hits, window_end FROM latch_throttle WHERE key_hash = ? AND window_end > ?`
	q.reset = `DELETE FROM latch_throttle WHERE key_hash = ?`
	q.undo = `UPDATE latch_throttle SET hits = hits - 1 WHERE key_hash = ? AND window_end > ? AND hits > 0`
	batch := strconv.Itoa(purgeBatch)
	switch f {
	case SQLite:
		q.purge = `DELETE FROM latch_throttle WHERE key_hash IN
			(SELECT key_hash FROM latch_throttle WHERE window_end <= ? ORDER BY window_end LIMIT ` + batch + `)`
	case Postgres:
		// Rows another purge (or a Hit) holds are skipped, not waited
		// for; the outer test sees a row a Hit restarted meanwhile as
		// live and keeps it.
		q.purge = `DELETE FROM latch_throttle WHERE key_hash IN
			(SELECT key_hash FROM latch_throttle WHERE window_end <= ? ORDER BY window_end LIMIT ` + batch + ` FOR UPDATE SKIP LOCKED)
			AND window_end <= ?`
	case MySQL:
		q.purge = `DELETE FROM latch_throttle WHERE window_end <= ? ORDER BY window_end LIMIT ` + batch
	}
	if f == Postgres {
		for _, p := range []*string{&q.hit, &q.peek, &q.reset, &q.undo, &q.purge} {
			*p = sqlbind.Numbered(*p)
		}
	}
	return q
}

// hashKey is the key's row id.
func hashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// Hit implements throttle.Store: one atomic statement (MySQL: an upsert
// and a read in one transaction), so that hits from any number of
// processes at once are each counted once.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (count int64, retryAfter time.Duration, err error) {
	if window <= 0 {
		return 0, 0, fmt.Errorf("%s: throttle hit: window %v is not positive", s.d.Name, window)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := s.now().UnixMilli()
	end := now + max(window.Milliseconds(), 1)
	k := hashKey(key)
	var ends int64
	switch {
	case s.d.Flavor != MySQL:
		var found bool
		found, err = s.db.QueryRow(ctx, true, s.q.hit, []any{k, end, now, now}, &count, &ends)
		if err == nil && !found {
			err = errors.New("upsert returned no row")
		}
	case s.tx == nil:
		err = errors.New("the MySQL dialect needs a DB that runs transactions")
	default:
		err = s.tx.InTx(ctx, func(tx DB) error {
			if _, err := tx.Exec(ctx, s.q.hit, k, end, now, now); err != nil {
				return err
			}
			found, err := tx.QueryRow(ctx, false, s.q.read, []any{k}, &count, &ends)
			if err == nil && !found {
				err = errors.New("row of the upsert not found")
			}
			return err
		})
	}
	if err != nil {
		return 0, 0, s.d.Wrap("throttle hit", err)
	}
	if s.hits.Add(1)%purgeEvery == 0 {
		// A failed purge costs only space, and the next one tries again;
		// it must not fail a hit that has been counted.
		_, _ = s.db.Exec(ctx, s.q.purge, s.purgeArgs(now)...)
	}
	return count, time.Duration(ends-now) * time.Millisecond, nil
}

func (s *Store) purgeArgs(now int64) []any {
	if s.d.Flavor == Postgres {
		return []any{now, now}
	}
	return []any{now}
}

// Peek implements throttle.Store.
func (s *Store) Peek(ctx context.Context, key string) (count int64, ttl time.Duration, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := s.now().UnixMilli()
	var ends int64
	found, err := s.db.QueryRow(ctx, false, s.q.peek, []any{hashKey(key), now}, &count, &ends)
	if err != nil {
		return 0, 0, s.d.Wrap("throttle peek", err)
	}
	if !found {
		return 0, 0, nil
	}
	return count, time.Duration(ends-now) * time.Millisecond, nil
}

// ResetHits implements throttle.Store.
func (s *Store) ResetHits(ctx context.Context, key string) error {
	if _, err := s.db.Exec(ctx, s.q.reset, hashKey(key)); err != nil {
		return s.d.Wrap("throttle reset", err)
	}
	return nil
}

// UndoHit implements throttle.HitUndoer: one hit off a live window with a
// count above zero, keeping its end.
func (s *Store) UndoHit(ctx context.Context, key string) error {
	if _, err := s.db.Exec(ctx, s.q.undo, hashKey(key), s.now().UnixMilli()); err != nil {
		return s.d.Wrap("throttle undo hit", err)
	}
	return nil
}

// Statements returns the texts of the statements a Store of the flavor
// runs, for a store that prepares its statements together (MySQL's).
func Statements(f Flavor) []string {
	q := buildQueries(f)
	out := []string{q.hit, q.peek, q.reset, q.undo, q.purge}
	if q.read != "" {
		out = append(out, q.read)
	}
	return out
}
