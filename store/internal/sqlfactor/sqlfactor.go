// Package sqlfactor is the one implementation of latch.FactorStore and
// latch.FactorScanner that the SQL stores share: the statements on the
// latch_factor table and the methods around them, written once, and a
// small Dialect for what differs between SQLite, PostgreSQL and MySQL. A
// store embeds *Store, so that the methods are its own, and keeps only
// what is its own: how it runs a statement (its pools, prepared
// statements, the transaction its context carries) through DB, and its
// Dialect (made by SQLite, Postgres or MySQL), whose Wrap maps its
// driver's errors to Latch's.
//
// The table, which each store's migrations create:
//
//	latch_factor (id PK byte-for-byte, user_id → user ON DELETE CASCADE,
//	              kind, name, data NOT NULL, created_at, last_used_at)
//
// with an index on user_id.
package sqlfactor

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/sqlbind"
)

// DB runs statements for the shared code: on the transaction its context
// carries, or else on the store's pools.
type DB interface {
	// Exec runs a write and returns the rows it affected. A write refused
	// inside a transaction (a taken id, a missing user) must leave the
	// transaction usable, as the store's own creates do.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a read.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Rows is the result of Query: *sql.Rows satisfies it; pgx's rows need a
// small adapter (their Close returns nothing).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Dialect is what differs between the databases.
type Dialect struct {
	// Name begins the store's errors ("sqlite", "postgres", ...).
	Name string
	// Table is the factor table's name, quoted or qualified as needed;
	// default "latch_factor".
	Table string
	// Numbered parameters ($1, $2…) instead of '?'.
	Numbered bool
	// EmptyBlob is the literal of an empty binary value: data is NOT NULL,
	// and drivers bind an empty or nil slice as NULL.
	EmptyBlob string
	// UserIDMatch compares the user_id column with the user id given
	// UserIDArgs times; default "user_id = ?" and 1. (Lucia's MySQL user
	// table may have a case-insensitive collation, which the store's own
	// byte-for-byte comparison guards against.)
	UserIDMatch string
	UserIDArgs  int
	// Storable, when not nil, reports whether a string can be stored in a
	// text column (PostgreSQL refuses NUL bytes and invalid UTF-8, and
	// such a refusal would also abort the caller's transaction). An id
	// that is not storable matches no row, without asking the server.
	Storable func(string) bool
	// Wrap names the operation and maps the driver's errors to Latch's:
	// a taken primary key to latch.ErrDuplicate, a missing user (foreign
	// key) to latch.ErrNotFound.
	Wrap func(op string, err error) error
}

// SQLite returns the dialect of SQLite: '?' parameters, X” blobs. name
// begins the store's errors; wrap is Dialect.Wrap.
func SQLite(name string, wrap func(op string, err error) error) Dialect {
	return Dialect{Name: name, EmptyBlob: "X''", Wrap: wrap}
}

// MySQL returns the dialect of MySQL and MariaDB, which is SQLite's.
func MySQL(name string, wrap func(op string, err error) error) Dialect {
	return Dialect{Name: name, EmptyBlob: "X''", Wrap: wrap}
}

// Postgres returns the dialect of PostgreSQL: numbered parameters, bytea,
// and text columns that refuse what PostgresText refuses.
func Postgres(name string, wrap func(op string, err error) error) Dialect {
	return Dialect{Name: name, Numbered: true, EmptyBlob: "''::bytea", Storable: PostgresText, Wrap: wrap}
}

// PostgresText reports whether PostgreSQL can store v in a text column:
// not with a NUL byte, nor as invalid UTF-8 (a refusal that would also
// abort the transaction the statement ran in).
func PostgresText(v string) bool {
	return strings.IndexByte(v, 0) < 0 && utf8.ValidString(v)
}

// Store implements latch.FactorStore and latch.FactorScanner on a DB. A
// SQL store embeds it (through an unexported alias, so that the field is
// not part of the store's API) and its methods are the store's.
type Store struct {
	db DB
	d  Dialect
	q  queries
}

type queries struct {
	create, get, list, update, delete, deleteByUser, scan string
}

const columns = "id, user_id, kind, name, data, created_at, last_used_at"

// New returns the factor store of a SQL store.
func New(db DB, d Dialect) *Store {
	d = d.withDefaults()
	return &Store{db: db, d: d, q: d.queries()}
}

func (d Dialect) withDefaults() Dialect {
	if d.Table == "" {
		d.Table = "latch_factor"
	}
	if d.UserIDMatch == "" {
		d.UserIDMatch, d.UserIDArgs = "user_id = ?", 1
	}
	return d
}

// queries writes the statements of d, which has its defaults.
func (d Dialect) queries() queries {
	t := d.Table
	q := queries{
		create: "INSERT INTO " + t + " (" + columns + ") VALUES (?, ?, ?, ?, COALESCE(?, " + d.EmptyBlob + "), ?, ?)",
		get:    "SELECT " + columns + " FROM " + t + " WHERE id = ?",
		// Oldest first; ids break ties byte for byte (every dialect's id
		// column compares bytes).
		list:         "SELECT " + columns + " FROM " + t + " WHERE " + d.UserIDMatch + " ORDER BY created_at, id",
		update:       "UPDATE " + t + " SET name = ?, data = COALESCE(?, " + d.EmptyBlob + "), last_used_at = ? WHERE id = ?",
		delete:       "DELETE FROM " + t + " WHERE id = ?",
		deleteByUser: "DELETE FROM " + t + " WHERE " + d.UserIDMatch,
		scan:         "SELECT " + columns + " FROM " + t + " WHERE kind = ? AND id > ? ORDER BY id LIMIT ?",
	}
	if d.Numbered {
		for _, p := range q.all() {
			*p = sqlbind.Numbered(*p)
		}
	}
	return q
}

func (q *queries) all() []*string {
	return []*string{&q.create, &q.get, &q.list, &q.update, &q.delete, &q.deleteByUser, &q.scan}
}

// Statements returns the text of every statement a Store of the dialect
// runs, for a store that prepares its statements ahead (its DB then
// receives exactly these texts).
func (d Dialect) Statements() []string {
	q := d.withDefaults().queries()
	var out []string
	for _, p := range q.all() {
		out = append(out, *p)
	}
	return out
}

func (s *Store) storable(strs ...string) bool {
	if s.d.Storable == nil {
		return true
	}
	for _, v := range strs {
		if !s.d.Storable(v) {
			return false
		}
	}
	return true
}

func (s *Store) userArgs(userID string) []any {
	a := make([]any, s.d.UserIDArgs)
	for i := range a {
		a[i] = userID
	}
	return a
}

func (s *Store) notFound(op string) error {
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, latch.ErrNotFound)
}

// CreateFactor stores a factor: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateFactor(ctx context.Context, f latch.FactorRecord) error {
	const op = "create factor"
	if !s.storable(f.UserID) {
		return s.notFound(op)
	}
	if !s.storable(f.ID, f.Kind, f.Name) {
		return fmt.Errorf("%s: %s: %w: the database cannot store the id, kind or name (a NUL byte?)", s.d.Name, op, latch.ErrInvalidRequest)
	}
	_, err := s.db.Exec(ctx, s.q.create, f.ID, f.UserID, f.Kind, f.Name, f.Data, f.CreatedAt, f.LastUsedAt)
	return s.d.Wrap(op, err)
}

// GetFactor returns the factor, or latch.ErrNotFound.
func (s *Store) GetFactor(ctx context.Context, id string) (latch.FactorRecord, error) {
	const op = "get factor"
	if !s.storable(id) {
		return latch.FactorRecord{}, s.notFound(op)
	}
	fs, err := s.read(ctx, s.q.get, id)
	if err != nil {
		return latch.FactorRecord{}, s.d.Wrap(op, err)
	}
	// The id column compares bytes, but say so here too: a lookup by id
	// never returns another id.
	if len(fs) == 0 || fs[0].ID != id {
		return latch.FactorRecord{}, s.notFound(op)
	}
	return fs[0], nil
}

// ListFactors returns the user's factors, oldest first (then by id).
func (s *Store) ListFactors(ctx context.Context, userID string) ([]latch.FactorRecord, error) {
	if !s.storable(userID) {
		return nil, nil
	}
	fs, err := s.read(ctx, s.q.list, s.userArgs(userID)...)
	if err != nil {
		return nil, s.d.Wrap("list factors", err)
	}
	return fs, nil
}

// ScanFactors returns up to limit factors of the kind whose id is after
// afterID, in id order (latch.FactorScanner).
func (s *Store) ScanFactors(ctx context.Context, kind, afterID string, limit int) ([]latch.FactorRecord, error) {
	if !s.storable(kind, afterID) || limit <= 0 {
		return nil, nil
	}
	fs, err := s.read(ctx, s.q.scan, kind, afterID, limit)
	if err != nil {
		return nil, s.d.Wrap("scan factors", err)
	}
	return fs, nil
}

func (s *Store) read(ctx context.Context, query string, args ...any) ([]latch.FactorRecord, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []latch.FactorRecord
	for rows.Next() {
		var f latch.FactorRecord
		if err := rows.Scan(&f.ID, &f.UserID, &f.Kind, &f.Name, &f.Data, &f.CreatedAt, &f.LastUsedAt); err != nil {
			return nil, err
		}
		if len(f.Data) == 0 {
			f.Data = nil
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

// UpdateFactor stores the factor's Name, Data and LastUsedAt;
// latch.ErrNotFound when it does not exist.
func (s *Store) UpdateFactor(ctx context.Context, f latch.FactorRecord) error {
	const op = "update factor"
	if !s.storable(f.ID) {
		return s.notFound(op)
	}
	if !s.storable(f.Name) {
		return fmt.Errorf("%s: %s: %w: the database cannot store the name (a NUL byte?)", s.d.Name, op, latch.ErrInvalidRequest)
	}
	n, err := s.db.Exec(ctx, s.q.update, f.Name, f.Data, f.LastUsedAt, f.ID)
	if err != nil {
		return s.d.Wrap(op, err)
	}
	if n > 0 {
		return nil
	}
	// No row affected: missing, or (on MySQL without clientFoundRows) a
	// row that already held these values.
	fs, err := s.read(ctx, s.q.get, f.ID)
	if err != nil {
		return s.d.Wrap(op, err)
	}
	if len(fs) == 0 {
		return s.notFound(op)
	}
	return nil
}

// DeleteFactor removes one factor. It succeeds whatever the input.
func (s *Store) DeleteFactor(ctx context.Context, id string) error {
	if !s.storable(id) {
		return nil
	}
	_, err := s.db.Exec(ctx, s.q.delete, id)
	return s.d.Wrap("delete factor", err)
}

// DeleteFactorsByUser removes all of the user's factors.
func (s *Store) DeleteFactorsByUser(ctx context.Context, userID string) error {
	if !s.storable(userID) {
		return nil
	}
	_, err := s.db.Exec(ctx, s.q.deleteByUser, s.userArgs(userID)...)
	return s.d.Wrap("delete factors", err)
}

var (
	_ latch.FactorStore   = (*Store)(nil)
	_ latch.FactorScanner = (*Store)(nil)
)
