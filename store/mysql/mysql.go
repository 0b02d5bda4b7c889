package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/attrcodec"
	"github.com/latchauth/latch/store/internal/sqlfactor"
	"github.com/latchauth/latch/store/internal/sqlthrottle"
)

// Store is Latch's MySQL/MariaDB store. It implements latch.Store,
// latch.SessionUserGetter, latch.Transactor, and latch.FactorStore and
// latch.FactorScanner through the SQL stores' shared code it embeds
// (factor.go). It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	ownsDB bool // opened by Open, so closed by Close

	mu     sync.Mutex            // serializes preparing and closing q
	q      atomic.Pointer[stmts] // nil until first use, and after Close
	closed atomic.Bool

	*factorStore // CreateFactor, GetFactor, … (factor.go)
}

// Session settings Open applies to every connection unless the DSN sets
// them: utf8mb4 both ways, so that attributes keep every character, and
// strict mode added to the server's sql_mode, so that an over-long value is
// an error rather than silently cut (two long ids cut to the same 255
// bytes would otherwise be one).
var sessionParams = map[string]string{
	"character_set_client":     "utf8mb4",
	"character_set_connection": "utf8mb4",
	"character_set_results":    "utf8mb4",
	"sql_mode":                 "TRIM(BOTH ',' FROM CONCAT(@@sql_mode, ',STRICT_ALL_TABLES'))",
}

// Open connects to the database named by dsn, a go-sql-driver DSN such as
// "user:password@tcp(127.0.0.1:3306)/app", and checks that it answers. It
// does not create Latch's tables: call Migrate for that.
//
// Whatever the DSN says, Open turns parseTime and multiStatements off and
// clientFoundRows on (an UPDATE that sets a value it already has still
// counts its row). Unless the DSN sets these session variables itself, it
// sets character_set_client, character_set_connection and
// character_set_results to utf8mb4 (over any charset parameter) and adds
// STRICT_ALL_TABLES to sql_mode. The pool opens up to 4×GOMAXPROCS
// connections (at least 16, at most 64) and keeps them all when idle, with
// their prepared statements, for up to 10 minutes; each is replaced after
// 30 minutes.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: open: %w", err)
	}
	cfg.ParseTime = false
	cfg.MultiStatements = false
	cfg.ClientFoundRows = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	for k, v := range sessionParams {
		if _, set := cfg.Params[k]; !set {
			cfg.Params[k] = v
		}
	}
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: open: %w", err)
	}
	db := sql.OpenDB(connector)
	n := min(max(4*runtime.GOMAXPROCS(0), 16), 64)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n) // keep them, with their prepared statements
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(10 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql: open %s@%s/%s: %w", cfg.User, cfg.Addr, cfg.DBName, err)
	}
	s := New(db)
	s.ownsDB = true
	return s, nil
}

// New returns a Store on a pool the caller opened with the "mysql" driver
// of github.com/go-sql-driver/mysql; Close then leaves the pool open. The
// connections need a utf8mb4 character set (the driver's default) and
// should run in strict mode (the servers' default); Open's other settings
// are not needed.
//
// New does no I/O. The store's statements are prepared once, together, on
// first use (they cannot be before Migrate has created the tables), and
// database/sql then prepares each of them once on every connection of the
// pool that runs it.
func New(db *sql.DB) *Store {
	s := &Store{db: db}
	s.factorStore = sqlfactor.New(factorDB{s}, factorDialect)
	return s
}

// DB returns the store's pool, for administration and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Close releases the prepared statements and, when Open opened the pool,
// closes it once the operations under way have finished.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed.Store(true)
	var err error
	if q := s.q.Swap(nil); q != nil {
		err = q.close()
	}
	s.mu.Unlock()
	if s.ownsDB {
		err = errors.Join(err, s.db.Close())
	}
	return err
}

var errClosed = errors.New("store is closed")

// stmts returns the prepared statements, preparing them all on first use.
// A failure (no tables yet, say) is returned and tried again next time.
func (s *Store) stmts(ctx context.Context) (*stmts, error) {
	if q := s.q.Load(); q != nil {
		return q, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.q.Load(); q != nil {
		return q, nil
	}
	if s.closed.Load() {
		return nil, errClosed
	}
	q, err := prepare(ctx, s.db, append(factorDialect.Statements(), sqlthrottle.Statements(sqlthrottle.MySQL)...))
	if err != nil {
		return nil, fmt.Errorf("preparing statements: %w", err)
	}
	s.q.Store(q)
	return q, nil
}

// MySQL and MariaDB error numbers the store acts on.
const (
	errDupEntry         = 1062 // ER_DUP_ENTRY
	errNoReferencedRow  = 1216 // ER_NO_REFERENCED_ROW (old servers)
	errNoReferencedRow2 = 1452 // ER_NO_REFERENCED_ROW_2
	errDeadlock         = 1213 // ER_LOCK_DEADLOCK
	errCheckRead        = 1020 // ER_CHECKREAD: MariaDB's snapshot isolation conflict
)

// wrap names the operation and maps errors to Latch's: a taken key to
// latch.ErrDuplicate, a missing referenced user to latch.ErrNotFound,
// sql.ErrNoRows to latch.ErrNotFound, a lost connection to
// latch.ErrStoreUnavailable. The driver's error stays wrapped too.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("mysql: %s: %w", op, latch.ErrNotFound)
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case errDupEntry:
			return fmt.Errorf("mysql: %s: %w: %w", op, latch.ErrDuplicate, err)
		case errNoReferencedRow, errNoReferencedRow2:
			return fmt.Errorf("mysql: %s: %w: %w", op, latch.ErrNotFound, err)
		}
	}
	return fmt.Errorf("mysql: %s: %w", op, latch.Unavailable(err, connectionLost))
}

// connectionLost reports the driver's own outage errors
// (latch.ErrStoreUnavailable): a connection it found broken, or a server
// shutting down, killing the connection or out of connections.
func connectionLost(err error) bool {
	if errors.Is(err, gomysql.ErrInvalidConn) {
		return true
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, 1053, 1927: // ER_CON_COUNT_ERROR, ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED
			return true
		}
	}
	return false
}

// notFound is the error for an update that matched no row.
func notFound(op string) error {
	return fmt.Errorf("mysql: %s: %w", op, latch.ErrNotFound)
}

// retryable reports whether err is a conflict that the server resolved by
// rolling the transaction (or statement) back, so that running it again
// may succeed.
func retryable(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == errDeadlock || me.Number == errCheckRead)
}

// maxTries bounds how often a transaction is run when it keeps losing
// deadlocks.
const maxTries = 5

// retry runs f until it succeeds, fails with an error that is not a
// deadlock, or has been tried maxTries times, waiting a little longer,
// at random, after each deadlock.
func retry(ctx context.Context, f func() error) error {
	for try := 1; ; try++ {
		err := f()
		if err == nil || try == maxTries || !retryable(err) {
			return err
		}
		wait := time.Duration(try) * (time.Millisecond + rand.N(4*time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// inTx runs f in a transaction, committing when f returns nil and rolling
// back when it fails or panics, and runs it again in a new transaction
// when the server picks it as a deadlock victim. f must leave its results
// only in variables it sets on every run.
//
// Inside a transaction of InTx, f joins it between a savepoint and its
// release, so that f's statements still take effect together or not at
// all; it is not run again there (a deadlock has rolled back the whole
// transaction, which is InTx's to report).
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	if t := s.txFrom(ctx); t != nil {
		return t.savepoint(ctx, f)
	}
	return retry(ctx, func() (err error) {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() {
			if p := recover(); p != nil {
				_ = tx.Rollback()
				panic(p)
			}
		}()
		if err := f(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// exec runs a prepared write and returns the rows affected: on the
// transaction ctx carries, or else on the pool, again after a deadlock.
func (s *Store) exec(ctx context.Context, st *sql.Stmt, args ...any) (int64, error) {
	if t := s.txFrom(ctx); t != nil {
		return t.exec(ctx, st, args...)
	}
	var n int64
	err := retry(ctx, func() error {
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// row runs a prepared query of at most one row, on the transaction ctx
// carries or else on the pool.
func (s *Store) row(ctx context.Context, st *sql.Stmt, args ...any) *sql.Row {
	if t := s.txFrom(ctx); t != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a prepared query, on the transaction ctx carries or else on
// the pool.
func (s *Store) query(ctx context.Context, st *sql.Stmt, args ...any) (*sql.Rows, error) {
	if t := s.txFrom(ctx); t != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return st.QueryContext(ctx, args...)
}

// exists reports whether the prepared query (a SELECT 1 … by id) finds a row.
func (s *Store) exists(ctx context.Context, st *sql.Stmt, args ...any) (bool, error) {
	var one int
	err := s.row(ctx, st, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// decodeAttributes decodes an attributes column.
func decodeAttributes(raw []byte) (latch.Attributes, error) {
	return attrcodec.Decode(string(raw))
}

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

func stringPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	return &ns.String
}

var (
	_ latch.Store             = (*Store)(nil)
	_ latch.SessionUserGetter = (*Store)(nil)
	_ latch.Transactor        = (*Store)(nil)
)
