package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/sqlbind"
)

// Dialect is what differs between the SQL databases for the queue: how
// parameters are written, how a claim locks its rows, and how an insert
// skips a duplicate id.
type Dialect struct {
	// Name is used in errors.
	Name string
	// Numbered parameters ($1, $2…) instead of '?'.
	Numbered bool
	// LockSuffix ends the claim's SELECT: " FOR UPDATE SKIP LOCKED" where
	// the database has it, "" for SQLite, whose write transactions
	// (BEGIN IMMEDIATE) already exclude each other.
	LockSuffix string
	// InsertSuffix ends the INSERT so that a duplicate id inserts nothing
	// (and affects no row) instead of failing, where the database can.
	InsertSuffix string
	// IsDuplicate, for a database without InsertSuffix, reports whether an
	// INSERT's error is a primary-key violation.
	IsDuplicate func(error) bool
}

// The dialects of PostgreSQL and SQLite. The MySQL store makes its own,
// which recognises the driver's duplicate-key error. The stores'
// migrations create the table latch_outbox (id, kind, payload, state,
// attempts, run_at, done_at, last_error), with run_at and done_at in Unix
// milliseconds.
var (
	PostgresDialect = Dialect{Name: "postgres", Numbered: true, LockSuffix: " FOR UPDATE SKIP LOCKED", InsertSuffix: " ON CONFLICT (id) DO NOTHING"}
	SQLiteDialect   = Dialect{Name: "sqlite", InsertSuffix: " ON CONFLICT (id) DO NOTHING"}
)

// SQLQueue is a Queue in the latch_outbox table of a SQL store's
// database. For PostgreSQL, open the *sql.DB on the store's pool with
// github.com/jackc/pgx/v5/stdlib.OpenDBFromPool; for SQLite, use the
// store's writer (sqlite.Store.DB), so the queue's writes queue with the
// store's.
type SQLQueue struct {
	db     *sql.DB
	d      Dialect
	q      sqlQueries
	txFrom func(ctx context.Context) Execer
}

// Execer runs a statement: *sql.DB and *sql.Tx are ones; a store whose
// transactions are not database/sql's adapts its own.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// WithTx makes Enqueue write in the store's transaction that its context
// carries: from returns that transaction, or nil for none. A job queued
// from inside the store's latch.Auth.InTx then exists if and only if the
// transaction commits (the transactional outbox). The stores' Outbox
// methods set it. It returns q.
func (q *SQLQueue) WithTx(from func(ctx context.Context) Execer) *SQLQueue {
	q.txFrom = from
	return q
}

type sqlQueries struct {
	insert, claimSelect, claimUpdate, complete, retry, bury, purge, stats, get string
}

var _ Queue = (*SQLQueue)(nil)

// NewSQLQueue returns a queue on db in the given dialect. The table must
// exist: run the store's Migrate first.
func NewSQLQueue(db *sql.DB, d Dialect) *SQLQueue {
	q := &SQLQueue{db: db, d: d}
	q.q = sqlQueries{
		insert:      q.bind("INSERT INTO latch_outbox (id, kind, payload, state, attempts, run_at, done_at, last_error) VALUES (?, ?, ?, 0, 0, ?, 0, '')") + d.InsertSuffix,
		claimSelect: q.bind("SELECT id FROM latch_outbox WHERE state = 0 AND run_at <= ? ORDER BY run_at, id LIMIT ?") + d.LockSuffix,
		// claimUpdate gets its IN list at run time.
		claimUpdate: "UPDATE latch_outbox SET attempts = attempts + 1, run_at = ? WHERE state = 0 AND id IN ",
		complete:    q.bind("UPDATE latch_outbox SET state = 1, done_at = ?, payload = ?, last_error = '' WHERE id = ?"),
		retry:       q.bind("UPDATE latch_outbox SET state = 0, run_at = ?, last_error = ? WHERE id = ?"),
		bury:        q.bind("UPDATE latch_outbox SET state = 2, done_at = ?, last_error = ? WHERE id = ?"),
		purge:       q.bind("DELETE FROM latch_outbox WHERE state = 1 AND done_at < ?"),
		stats:       "SELECT state, COUNT(*) FROM latch_outbox GROUP BY state",
		get:         q.bind("SELECT kind, payload, state, attempts, run_at, last_error FROM latch_outbox WHERE id = ?"),
	}
	return q
}

// bind rewrites '?' parameters for the dialect.
func (q *SQLQueue) bind(s string) string {
	if !q.d.Numbered {
		return s
	}
	return sqlbind.Numbered(s)
}

func (q *SQLQueue) wrap(op string, err error) error {
	return fmt.Errorf("outbox: %s: %s: %w", q.d.Name, op, err)
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Enqueue implements Queue.
func (q *SQLQueue) Enqueue(ctx context.Context, j Job) error {
	if err := validate(j); err != nil {
		return err
	}
	payload := j.Payload
	if payload == nil {
		payload = []byte{}
	}
	var db Execer = q.db
	if q.txFrom != nil {
		if tx := q.txFrom(ctx); tx != nil {
			db = tx
		}
	}
	res, err := db.ExecContext(ctx, q.q.insert, j.ID, j.Kind, payload, millis(j.RunAt))
	if err != nil {
		if q.d.IsDuplicate != nil && q.d.IsDuplicate(err) {
			return ErrDuplicate
		}
		return q.wrap("enqueue", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return q.wrap("enqueue", err)
	} else if n == 0 {
		return ErrDuplicate
	}
	return nil
}

// Claim implements Queue. It selects the due rows with the dialect's lock
// and moves their run_at in one transaction, so that two claims, from any
// process, never return the same job.
func (q *SQLQueue) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) (jobs []Job, err error) {
	if limit <= 0 {
		return nil, nil
	}
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, q.wrap("claim", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	rows, err := tx.QueryContext(ctx, q.q.claimSelect, now.UnixMilli(), limit)
	if err != nil {
		return nil, q.wrap("claim", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, q.wrap("claim", err)
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, q.wrap("claim", err)
	}
	if len(ids) == 0 {
		if err := tx.Commit(); err != nil {
			return nil, q.wrap("claim", err)
		}
		return nil, nil
	}
	args := []any{now.Add(lease).UnixMilli()}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = "?"
	}
	update := q.bind(q.q.claimUpdate + "(" + strings.Join(marks, ", ") + ")")
	if _, err := tx.ExecContext(ctx, update, args...); err != nil {
		return nil, q.wrap("claim", err)
	}
	for _, id := range ids {
		j, _, err := q.get(ctx, tx, id)
		if err != nil {
			return nil, q.wrap("claim", err)
		}
		jobs = append(jobs, j)
	}
	if err := tx.Commit(); err != nil {
		return nil, q.wrap("claim", err)
	}
	return jobs, nil
}

func (q *SQLQueue) exec(ctx context.Context, op, query string, args ...any) error {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return q.wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return q.wrap(op, err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Complete implements Queue.
func (q *SQLQueue) Complete(ctx context.Context, id string, now time.Time) error {
	return q.exec(ctx, "complete", q.q.complete, now.UnixMilli(), []byte{}, id)
}

// Retry implements Queue.
func (q *SQLQueue) Retry(ctx context.Context, id string, runAt time.Time, lastError string) error {
	return q.exec(ctx, "retry", q.q.retry, runAt.UnixMilli(), truncate(lastError), id)
}

// Bury implements Queue.
func (q *SQLQueue) Bury(ctx context.Context, id string, now time.Time, lastError string) error {
	return q.exec(ctx, "bury", q.q.bury, now.UnixMilli(), truncate(lastError), id)
}

// Purge implements Queue.
func (q *SQLQueue) Purge(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.db.ExecContext(ctx, q.q.purge, before.UnixMilli())
	if err != nil {
		return 0, q.wrap("purge", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, q.wrap("purge", err)
	}
	return n, nil
}

// Stats implements Queue.
func (q *SQLQueue) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	rows, err := q.db.QueryContext(ctx, q.q.stats)
	if err != nil {
		return s, q.wrap("stats", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state, n int64
		if err := rows.Scan(&state, &n); err != nil {
			return s, q.wrap("stats", err)
		}
		switch State(state) {
		case Pending:
			s.Pending = n
		case Delivered:
			s.Delivered = n
		case Dead:
			s.Dead = n
		}
	}
	if err := rows.Err(); err != nil {
		return s, q.wrap("stats", err)
	}
	return s, nil
}

// Get implements Queue.
func (q *SQLQueue) Get(ctx context.Context, id string) (Job, State, error) {
	j, st, err := q.get(ctx, q.db, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = q.wrap("get", err)
	}
	return j, st, err
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (q *SQLQueue) get(ctx context.Context, db rowQuerier, id string) (Job, State, error) {
	j := Job{ID: id}
	var state int64
	var runAt int64
	err := db.QueryRowContext(ctx, q.q.get, id).Scan(&j.Kind, &j.Payload, &state, &j.Attempts, &runAt, &j.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, 0, ErrNotFound
	}
	if err != nil {
		return Job{}, 0, err
	}
	if runAt != 0 {
		j.RunAt = time.UnixMilli(runAt).UTC()
	}
	if len(j.Payload) == 0 {
		j.Payload = nil
	}
	return j, State(state), nil
}
