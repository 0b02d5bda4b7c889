package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is Latch's embedded SQLite store. It implements latch.Store,
// latch.SessionUserGetter, and latch.FactorStore and latch.FactorScanner
// through the SQL stores' shared code it embeds (factor.go). It is safe for
// concurrent use.
//
// A Store holds two connection pools on one file: a writer of one
// connection, through which every write and every write transaction goes
// (so writers queue in Go instead of failing with SQLITE_BUSY), and a pool
// of read-only connections that, in WAL mode, read while the writer writes.
type Store struct {
	writer *sql.DB
	reader *sql.DB

	q queries

	stmtsMu sync.Mutex
	stmts   []*stmt           // every statement of q and of byText, closed by Close
	byText  map[stmtKey]*stmt // statements of shared code, by pool and text

	*factorStore // CreateFactor, GetFactor, … (factor.go)
}

// Pragmas of every connection. busy_timeout comes first (the driver applies
// it first too) so that the others wait for a lock instead of failing. The
// switch to WAL is not among them: see setWAL.
const (
	writerParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	readerParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
)

// busyTimeout is the busy_timeout above, which setWAL's retries keep to.
const busyTimeout = 10 * time.Second

// setWAL switches the file to WAL mode, waiting on a busy database as
// busy_timeout makes every other statement wait. SQLite answers a
// journal-mode switch that meets another connection's lock with
// SQLITE_BUSY at once, without calling the busy handler, so that several
// processes opening a new file together would fail now and then; this
// retries the switch until busyTimeout has passed. WAL is a property of
// the file: once set, the switch is a no-op read.
func setWAL(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	wait := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("journal_mode is %s, not wal", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// isBusy reports SQLITE_BUSY and its extended codes.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Open opens the SQLite database file at path, creating it when it does not
// exist, and switches it to WAL mode, waiting (up to the 10 s busy timeout)
// while other processes opening or writing the file hold it. It does not create Latch's tables:
// call Migrate for that. path is a file name (not a "file:" URI, and not
// ":memory:": the store's two pools must share one database).
func Open(path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open: want a file name, not %q", path)
	}
	name := escapePath(path)
	writer, err := sql.Open("sqlite", name+"?"+writerParams)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// One writer connection: writes are serialized by database/sql's pool,
	// which waits without limit, rather than by SQLite's busy handler.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	// Open the writer first: it creates the file and turns WAL on, which the
	// read-only connections cannot do.
	if err := setWAL(context.Background(), writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", name+"?"+readerParams)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := min(max(runtime.GOMAXPROCS(0), 4), 16)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n) // keep them, with their prepared statements and page caches
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(context.Background()); err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{writer: writer, reader: reader}
	s.q = s.queries()
	s.factorStore = s.newFactors()
	return s, nil
}

// escapePath keeps a '?' in a file name: the driver cuts a plain name at
// the first '?', so such a name goes as a "file:" URI, percent-encoded.
func escapePath(path string) string {
	if !strings.Contains(path, "?") {
		return path
	}
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	if strings.HasPrefix(path, "/") {
		return "file://" + r.Replace(path)
	}
	return "file:" + r.Replace(path)
}

// Close closes both pools once the operations under way have finished.
func (s *Store) Close() error {
	s.stmtsMu.Lock()
	for _, st := range s.stmts {
		st.close()
	}
	s.stmtsMu.Unlock()
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// DB returns the writer pool (one connection), for administration and
// tests. Holding one of its connections or transactions blocks every write
// of the store until it is released.
func (s *Store) DB() *sql.DB { return s.writer }

// stmt is a statement prepared on first use, on a pool: the tables it names
// may not exist before Migrate has run. database/sql then prepares it once
// on each connection of the pool and keeps it there.
type stmt struct {
	s    *Store
	db   *sql.DB
	text string
	mu   sync.Mutex
	p    atomic.Pointer[sql.Stmt]
}

func (s *Store) newStmt(db *sql.DB, text string) *stmt {
	st := &stmt{s: s, db: db, text: text}
	s.stmtsMu.Lock()
	s.stmts = append(s.stmts, st)
	s.stmtsMu.Unlock()
	return st
}

// get returns the prepared statement. It must not be called inside a
// transaction on the writer: preparing needs the writer's one connection.
func (st *stmt) get(ctx context.Context) (*sql.Stmt, error) {
	if p := st.p.Load(); p != nil {
		return p, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if p := st.p.Load(); p != nil {
		return p, nil
	}
	p, err := st.db.PrepareContext(ctx, st.text)
	if err != nil {
		return nil, err
	}
	st.p.Store(p)
	return p, nil
}

func (st *stmt) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if p := st.p.Swap(nil); p != nil {
		p.Close()
	}
}

// exec runs a prepared statement on its pool and returns the rows affected.
func (st *stmt) exec(ctx context.Context, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if tx := st.s.txFrom(ctx); tx != nil {
		// In a transaction: on its connection, not prepared (preparing
		// would need a second writer connection).
		res, err = tx.ExecContext(ctx, st.text, args...)
	} else {
		var p *sql.Stmt
		if p, err = st.get(ctx); err != nil {
			return 0, err
		}
		res, err = p.ExecContext(ctx, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// scan runs a prepared query that returns at most one row and scans it
// into dest; no row is sql.ErrNoRows.
func (st *stmt) scan(ctx context.Context, args []any, dest ...any) error {
	return st.row(ctx, args...).Scan(dest...)
}

// row runs a prepared query that returns at most one row, for scanning.
func (st *stmt) row(ctx context.Context, args ...any) interface{ Scan(...any) error } {
	if tx := st.s.txFrom(ctx); tx != nil {
		return tx.QueryRowContext(ctx, st.text, args...)
	}
	p, err := st.get(ctx)
	if err != nil {
		return errRow{err}
	}
	if st.db == st.s.reader {
		// A point read on a reader takes microseconds and, in WAL mode,
		// never waits for the writer, so it runs detached from ctx's
		// cancellation: for a cancelable ctx, database/sql and the driver
		// each start a goroutine per query to watch it, which costs about
		// a third of the read (see bench/README.md).
		if err := ctx.Err(); err != nil {
			return errRow{err}
		}
		ctx = context.WithoutCancel(ctx)
	}
	return p.QueryRowContext(ctx, args...)
}

// errRow is a row whose query could not be run.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (st *stmt) query(ctx context.Context, args ...any) (*sql.Rows, error) {
	if tx := st.s.txFrom(ctx); tx != nil {
		return tx.QueryContext(ctx, st.text, args...)
	}
	p, err := st.get(ctx)
	if err != nil {
		return nil, err
	}
	return p.QueryContext(ctx, args...)
}

// Error mapping.

// SQLite extended result codes for constraint violations.
const (
	codePrimaryKey = sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY // 1555
	codeUnique     = sqlite3.SQLITE_CONSTRAINT_UNIQUE     // 2067
	codeRowID      = sqlite3.SQLITE_CONSTRAINT_ROWID      // 2579
	codeForeignKey = sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY // 787
)

// wrap names the operation and maps driver errors to Latch's: a taken key
// to latch.ErrDuplicate, a missing referenced user to latch.ErrNotFound,
// sql.ErrNoRows to latch.ErrNotFound. The driver's error stays wrapped too.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, latch.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case codePrimaryKey, codeUnique, codeRowID:
			return fmt.Errorf("sqlite: %s: %w: %w", op, latch.ErrDuplicate, err)
		case codeForeignKey:
			return fmt.Errorf("sqlite: %s: %w: %w", op, latch.ErrNotFound, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// notFound is the error for an update that matched no row.
func notFound(op string) error {
	return fmt.Errorf("sqlite: %s: %w", op, latch.ErrNotFound)
}

// inTx runs f in a write transaction (BEGIN IMMEDIATE, through the DSN's
// _txlock) on the writer, committing when f returns nil and rolling back
// when it fails or panics. f must use only tx: the writer has no other
// connection to give. Inside a transaction of InTx, f joins it.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) (err error) {
	if tx := s.txFrom(ctx); tx != nil {
		return f(tx)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
