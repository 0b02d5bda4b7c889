package lucia2

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/latchauth/latch"
)

// The dialects Open and New accept.
const (
	SQLite   = "sqlite"   // modernc.org/sqlite; also "sqlite3"
	Postgres = "postgres" // pgx; also "postgresql", "pgx"
	MySQL    = "mysql"    // go-sql-driver/mysql, for MySQL and MariaDB; also "mariadb"
)

// Options name Lucia's tables. An empty name is Lucia's documented default.
// A name may be qualified by a schema ("auth.user") on PostgreSQL, a
// database on MySQL, or an attached database on SQLite.
type Options struct {
	UserTable    string // default "auth_user"
	KeyTable     string // default "user_key"
	SessionTable string // default "user_session"
}

// Default table names, as in Lucia v2's adapter documentation.
const (
	DefaultUserTable    = "auth_user"
	DefaultKeyTable     = "user_key"
	DefaultSessionTable = "user_session"
)

// Names of Latch's own tables, which Migrate creates beside Lucia's.
const (
	TokenTable   = "latch_token"
	AttemptTable = "latch_token_attempt"
	FactorTable  = "latch_factor" // second factors and passkeys
)

// Store is a Latch store over a Lucia v2 database. It implements
// latch.Store, latch.SessionUserGetter, latch.Transactor, and
// latch.FactorStore and latch.FactorScanner through the SQL stores' shared
// code it embeds (factor.go). It is safe for concurrent use.
type Store struct {
	d      dialect
	writer *sql.DB // writes and transactions
	reader *sql.DB // reads outside transactions; the writer but on SQLite
	owned  bool    // Close closes the pools: Open made them

	users, keys, sessions *table
	q                     queries
	*factorStore          // CreateFactor, GetFactor, … (factor.go)
	// noDisabled: DisabledTable did not exist at Open (a database migrated
	// by an older Latch). Users then read as enabled and disabling fails
	// until Migrate creates it, instead of every user read failing.
	noDisabled bool
}

var (
	_ latch.Store             = (*Store)(nil)
	_ latch.SessionUserGetter = (*Store)(nil)
	_ latch.Transactor        = (*Store)(nil)
)

// dialect is one of the three SQL dialects.
type dialect int

const (
	dSQLite dialect = iota + 1
	dPostgres
	dMySQL
)

func (d dialect) String() string {
	switch d {
	case dSQLite:
		return SQLite
	case dPostgres:
		return Postgres
	case dMySQL:
		return MySQL
	}
	return "unknown"
}

func parseDialect(name string) (dialect, error) {
	switch strings.ToLower(name) {
	case "sqlite", "sqlite3":
		return dSQLite, nil
	case "postgres", "postgresql", "pgx":
		return dPostgres, nil
	case "mysql", "mariadb":
		return dMySQL, nil
	}
	return 0, fmt.Errorf("lucia2: dialect %q: want %q, %q or %q", name, SQLite, Postgres, MySQL)
}

// Open connects to the Lucia v2 database dsn of the dialect (SQLite: the
// path of an existing database file; PostgreSQL: a pgx connection string or
// URL; MySQL: a go-sql-driver DSN such as "user:pw@tcp(host:3306)/app"),
// reads the columns of Lucia's user and session tables, and returns a Store.
// It creates nothing: call Migrate for Latch's token tables. Close releases
// the connections.
func Open(ctx context.Context, dialect, dsn string, opts Options) (*Store, error) {
	d, err := parseDialect(dialect)
	if err != nil {
		return nil, err
	}
	var writer, reader *sql.DB
	switch d {
	case dSQLite:
		writer, reader, err = openSQLite(ctx, dsn)
	case dPostgres:
		writer, err = openPostgres(ctx, dsn)
		reader = writer
	case dMySQL:
		writer, err = openMySQL(ctx, dsn)
		reader = writer
	}
	if err != nil {
		return nil, fmt.Errorf("lucia2: open %s: %w", d, err)
	}
	s, err := newStore(ctx, d, writer, reader, opts)
	if err != nil {
		if reader != writer {
			reader.Close()
		}
		writer.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a Store on a pool the caller opened and keeps (Close leaves
// it open): for SQLite with driver "sqlite" of modernc.org/sqlite, with
// foreign keys on (_pragma=foreign_keys(1)) and, best, one connection
// (SetMaxOpenConns(1)); for PostgreSQL with github.com/jackc/pgx/v5/stdlib;
// for MySQL with github.com/go-sql-driver/mysql, with parseTime and
// clientFoundRows on and the session time zone UTC. It reads the columns of
// Lucia's user and session tables.
func New(ctx context.Context, dialect string, db *sql.DB, opts Options) (*Store, error) {
	d, err := parseDialect(dialect)
	if err != nil {
		return nil, err
	}
	return newStore(ctx, d, db, db, opts)
}

func newStore(ctx context.Context, d dialect, writer, reader *sql.DB, opts Options) (*Store, error) {
	s := &Store{d: d, writer: writer, reader: reader}
	names := []struct {
		dst  **table
		name string
		def  string
		role string
	}{
		{&s.users, opts.UserTable, DefaultUserTable, "user"},
		{&s.keys, opts.KeyTable, DefaultKeyTable, "key"},
		{&s.sessions, opts.SessionTable, DefaultSessionTable, "session"},
	}
	for _, n := range names {
		name := n.name
		if name == "" {
			name = n.def
		}
		t, err := s.readTable(ctx, name, n.role)
		if err != nil {
			return nil, fmt.Errorf("lucia2: %s table %q: %w", n.role, name, err)
		}
		*n.dst = t
	}
	var one int
	err := s.reader.QueryRowContext(ctx, "SELECT 1 FROM "+DisabledTable+" WHERE 1 = 0").Scan(&one)
	s.noDisabled = err != nil && !errors.Is(err, sql.ErrNoRows)
	s.q = s.buildQueries()
	s.factorStore = s.newFactors()
	return s, nil
}

// Close closes the store's connection pools when Open made them, once the
// operations under way have finished; a Store from New leaves its pool open.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	if s.reader != s.writer {
		return errors.Join(s.reader.Close(), s.writer.Close())
	}
	return s.writer.Close()
}

// DB returns the pool through which the store writes, for administration
// and tests. On SQLite it has one connection: holding it, or a transaction
// on it, blocks every write of the store until it is released.
func (s *Store) DB() *sql.DB { return s.writer }

// Dialect returns the store's dialect: SQLite, Postgres or MySQL.
func (s *Store) Dialect() string { return s.d.String() }

// UserAttributes returns the names of the user table's attribute columns,
// in table order.
func (s *Store) UserAttributes() []string { return s.users.attrNames() }

// SessionAttributes returns the names of the session table's attribute
// columns, in table order.
func (s *Store) SessionAttributes() []string { return s.sessions.attrNames() }

// SQLite connection settings: busy_timeout first, so that the others wait
// for a lock rather than fail; foreign keys enforced; write transactions
// take the write lock when they begin (no deadlock upgrading a read lock).
const (
	sqliteWriterParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	sqliteReaderParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
)

func openSQLite(ctx context.Context, path string) (writer, reader *sql.DB, err error) {
	path = strings.TrimPrefix(path, "sqlite:")
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, nil, fmt.Errorf("want the path of a database file, not %q", path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("the Lucia database must exist: %w", err)
	}
	name := path
	if strings.ContainsAny(path, "?#%") {
		// The driver cuts a plain name at '?': pass such a name as a URI.
		r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
		if strings.HasPrefix(path, "/") {
			name = "file://" + r.Replace(path)
		} else {
			name = "file:" + r.Replace(path)
		}
	}
	writer, err = sql.Open("sqlite", name+"?"+sqliteWriterParams)
	if err != nil {
		return nil, nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, nil, err
	}
	reader, err = sql.Open("sqlite", name+"?"+sqliteReaderParams)
	if err != nil {
		writer.Close()
		return nil, nil, err
	}
	n := min(max(runtime.GOMAXPROCS(0), 4), 16)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		writer.Close()
		return nil, nil, err
	}
	return writer, reader, nil
}

// poolSize is the number of connections of a server pool.
func poolSize() int { return min(max(4*runtime.GOMAXPROCS(0), 16), 32) }

func openPostgres(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	n := poolSize()
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(10 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// mysqlParams are session settings of the store's MySQL connections, unless
// the DSN sets them: UTC for TIMESTAMP columns, utf8mb4 both ways, and
// strict mode so that an over-long value is an error rather than cut.
var mysqlParams = map[string]string{
	"time_zone":                "'+00:00'",
	"character_set_client":     "utf8mb4",
	"character_set_connection": "utf8mb4",
	"character_set_results":    "utf8mb4",
	"sql_mode":                 "TRIM(BOTH ',' FROM CONCAT(@@sql_mode, ',STRICT_ALL_TABLES'))",
}

func openMySQL(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := gomysql.ParseDSN(strings.TrimPrefix(dsn, "mysql://"))
	if err != nil {
		return nil, err
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.ClientFoundRows = true
	cfg.InterpolateParams = true // one round trip per statement
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	for k, v := range mysqlParams {
		if _, set := cfg.Params[k]; !set {
			cfg.Params[k] = v
		}
	}
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	n := poolSize()
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(10 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// quoteIdent quotes one identifier for the dialect.
func (d dialect) quoteIdent(name string) string {
	if d == dMySQL {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// splitName splits "schema.table" at its first dot.
func splitName(name string) (schema, table string) {
	if i := strings.IndexByte(name, '.'); i > 0 && i < len(name)-1 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// quoteTable quotes a table name, qualified or not.
func (d dialect) quoteTable(name string) string {
	schema, table := splitName(name)
	if schema == "" {
		return d.quoteIdent(table)
	}
	return d.quoteIdent(schema) + "." + d.quoteIdent(table)
}
