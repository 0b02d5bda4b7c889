package lucia2_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // driver "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	_ "modernc.org/sqlite"             // driver "sqlite"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/lucia2"
	"github.com/latchauth/latch/store/storetest"
)

// dialects are the databases every test runs on.
var dialects = []string{lucia2.SQLite, lucia2.Postgres, lucia2.MySQL}

// backend is a fresh, empty database of one dialect: a SQLite file, a
// PostgreSQL schema or a MariaDB database of the test's own.
type backend struct {
	dialect string
	dsn     string  // for lucia2.Open
	raw     *sql.DB // for DDL and checks behind the store's back
	// userTable is the user table's name: "user" on SQLite, as Lucia's
	// better-sqlite3 documentation names it, "auth_user" elsewhere.
	userTable string
}

func newBackend(t *testing.T, dialect string) *backend {
	t.Helper()
	b := &backend{dialect: dialect, userTable: lucia2.DefaultUserTable}
	var err error
	switch dialect {
	case lucia2.SQLite:
		b.dsn = filepath.Join(t.TempDir(), "lucia.db")
		b.userTable = "user"
		b.raw, err = sql.Open("sqlite", b.dsn+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
		if err == nil {
			b.raw.SetMaxOpenConns(1)
		}
	case lucia2.Postgres:
		b.dsn = testenv.Postgres(t)
		b.raw, err = sql.Open("pgx", b.dsn)
	case lucia2.MySQL:
		b.dsn = testenv.MySQL(t)
		b.raw, err = sql.Open("mysql", b.dsn)
	}
	if err != nil {
		t.Fatalf("opening %s: %v", dialect, err)
	}
	t.Cleanup(func() { b.raw.Close() })
	if err := b.raw.PingContext(t.Context()); err != nil {
		t.Fatalf("opening %s: %v", dialect, err)
	}
	return b
}

// exec runs DDL or DML behind the store's back.
func (b *backend) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, st := range stmts {
		if _, err := b.raw.ExecContext(t.Context(), st); err != nil {
			t.Fatalf("%v\n\tin: %s", err, st)
		}
	}
}

// open opens a store on the backend's Lucia tables and runs Migrate.
func (b *backend) open(t *testing.T) *lucia2.Store {
	t.Helper()
	s, err := lucia2.Open(t.Context(), b.dialect, b.dsn, lucia2.Options{UserTable: b.userTable})
	if err != nil {
		t.Fatalf("lucia2.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// col is an attribute column in the schemas below: a name and a kind,
// "text", "vartext" (indexable text), "bool", "int", "float" or "time",
// with SQL after it (" UNIQUE", " NOT NULL").
type col struct{ name, kind, extra string }

// sqlType is the column type of a kind in a dialect.
func sqlType(dialect, kind string) string {
	types := map[string][3]string{ // SQLite, PostgreSQL, MySQL
		"text":    {"TEXT", "TEXT", "LONGTEXT"},
		"vartext": {"TEXT", "TEXT", "VARCHAR(255)"},
		"bool":    {"BOOLEAN", "BOOLEAN", "BOOLEAN"},
		"int":     {"INTEGER", "BIGINT", "BIGINT"},
		"float":   {"REAL", "DOUBLE PRECISION", "DOUBLE"},
		"time":    {"DATETIME", "TIMESTAMPTZ", "DATETIME(6)"},
	}
	i := map[string]int{lucia2.SQLite: 0, lucia2.Postgres: 1, lucia2.MySQL: 2}[dialect]
	return types[kind][i]
}

// luciaSchema returns the DDL of Lucia v2's three tables exactly as the
// documentation of Lucia's adapters for the dialect gives it
// (better-sqlite3, pg, mysql2), with the attribute columns given. mysqlID
// replaces the VARCHAR(15) of MySQL's user ids when not "".
func luciaSchema(dialect, userTable string, userCols, sessionCols []col, mysqlID string) []string {
	attrs := func(cols []col) string {
		var b strings.Builder
		for _, c := range cols {
			fmt.Fprintf(&b, ",\n    %s %s%s", c.name, sqlType(dialect, c.kind), c.extra)
		}
		return b.String()
	}
	switch dialect {
	case lucia2.SQLite:
		return []string{
			`CREATE TABLE ` + userTable + ` (
    id TEXT NOT NULL PRIMARY KEY` + attrs(userCols) + `
)`,
			`CREATE TABLE user_key (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL,
    hashed_password TEXT,
    FOREIGN KEY (user_id) REFERENCES ` + userTable + `(id)
)`,
			`CREATE TABLE user_session (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL,
    active_expires INTEGER NOT NULL,
    idle_expires INTEGER NOT NULL` + attrs(sessionCols) + `,
    FOREIGN KEY (user_id) REFERENCES ` + userTable + `(id)
)`,
		}
	case lucia2.Postgres:
		return []string{
			`CREATE TABLE ` + userTable + ` (
    id TEXT NOT NULL PRIMARY KEY` + attrs(userCols) + `
)`,
			`CREATE TABLE user_key (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES ` + userTable + `(id),
    hashed_password TEXT
)`,
			`CREATE TABLE user_session (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES ` + userTable + `(id),
    active_expires BIGINT NOT NULL,
    idle_expires BIGINT NOT NULL` + attrs(sessionCols) + `
)`,
		}
	case lucia2.MySQL:
		id := "VARCHAR(15)"
		if mysqlID != "" {
			id = mysqlID
		}
		return []string{
			`CREATE TABLE ` + userTable + ` (
    id ` + id + ` NOT NULL PRIMARY KEY` + attrs(userCols) + `
)`,
			`CREATE TABLE user_key (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    user_id ` + id + ` NOT NULL,
    hashed_password VARCHAR(255),
    FOREIGN KEY (user_id) REFERENCES ` + userTable + `(id)
)`,
			`CREATE TABLE user_session (
    id VARCHAR(127) NOT NULL PRIMARY KEY,
    user_id ` + id + ` NOT NULL,
    active_expires BIGINT UNSIGNED NOT NULL,
    idle_expires BIGINT UNSIGNED NOT NULL` + attrs(sessionCols) + `,
    FOREIGN KEY (user_id) REFERENCES ` + userTable + `(id)
)`,
		}
	}
	panic("unknown dialect " + dialect)
}

// docsUserCols are the user attributes of the documented schema the tests
// use: an email and a unique username, both optional.
var docsUserCols = []col{{"email", "vartext", ""}, {"username", "vartext", " UNIQUE"}}

// docsSchema is Lucia's documented schema with docsUserCols.
func docsSchema(b *backend) []string {
	return luciaSchema(b.dialect, b.userTable, docsUserCols, nil, "")
}

// Attribute columns for storetest: the attribute names the suite uses, one
// SQL type each, beside the documented email and username. The suite's
// email_verified is the column Latch's HTTP layer needs too.
var (
	storetestUserCols = append(append([]col{}, docsUserCols...),
		col{"email_verified", "bool", ""}, col{"admin", "bool", ""}, col{"name", "text", ""}, col{"bio", "text", ""},
		col{"v", "text", ""}, col{"other", "text", ""}, col{"n", "int", ""}, col{"i", "int", ""}, col{"p", "int", ""},
		col{"a", "text", ""}, col{"b", "text", ""}, col{"c", "bool", ""}, col{"d", "float", ""},
		col{"base", "text", ""}, col{"pad", "text", ""})
	storetestSessionCols = []col{
		{"ip", "text", ""}, {"ua", "text", ""}, {"mfa", "bool", ""}, {"live", "bool", ""}, {"n", "int", ""}, {"i", "int", ""},
		{"v", "text", ""}, {"other", "text", ""}, {"a", "text", ""}, {"b", "text", ""}, {"c", "bool", ""}, {"d", "float", ""},
		{"base", "text", ""}, {"pad", "text", ""},
	}
)

func init() {
	// The concurrent merge subtests write k0 … k49.
	for i := range 50 {
		c := col{fmt.Sprintf("k%d", i), "int", ""}
		storetestUserCols = append(storetestUserCols, c)
		storetestSessionCols = append(storetestSessionCols, c)
	}
}

// notApplicable says why a storetest subtest cannot apply to a Lucia
// database, or "" when it runs.
func notApplicable(dialect, name string) string {
	switch {
	case name == "users/update-attributes-merges" || name == "sessions/update-attributes":
		return "sets an attribute to nil and wants it read back as nil; in a Lucia table nil is a NULL column, read back as absent " +
			"(package doc; the merges themselves are checked by TestUpdateAttributes)"
	case name == "attributes/nil":
		return "nil is a NULL column, read back as absent (package doc; checked by TestNullIsAbsent)"
	case strings.HasPrefix(name, "attributes/") && !strings.HasPrefix(name, "attributes/string"):
		return "round-trips every type through one attribute v; a Lucia attribute is a column of one SQL type (v is TEXT here), " +
			"so only the string cases apply (typed columns: TestAttributeTypes)"
	case dialect == lucia2.MySQL && name == "keys/byte-for-byte/trailing-space":
		return "Lucia's MySQL key id is a VARCHAR, whose PAD SPACE collation makes \"a@x\" and \"a@x \" one primary key value " +
			"(lookups stay byte for byte: TestMySQLCollation)"
	}
	return ""
}

// TestConformanceSQLite, TestConformancePostgres and TestConformanceMySQL
// run the store conformance suite over Lucia's documented tables, with
// attribute columns for the names the suite uses; one test per dialect, so
// that -run 'TestConformance.*/group' selects a group here as on the other
// stores. On MySQL the user ids are VARCHAR(255) rather than Lucia's
// VARCHAR(15): the suite's ids are 17 characters long.
func TestConformanceSQLite(t *testing.T)   { conformance(t, lucia2.SQLite) }
func TestConformancePostgres(t *testing.T) { conformance(t, lucia2.Postgres) }
func TestConformanceMySQL(t *testing.T)    { conformance(t, lucia2.MySQL) }

func conformance(t *testing.T, d string) {
	b := newBackend(t, d)
	b.exec(t, luciaSchema(d, b.userTable, storetestUserCols, storetestSessionCols, "VARCHAR(255)")...)
	s := b.open(t)
	prefix := t.Name() + "/"
	storetest.RunStore(t, func(t *testing.T) latch.Store {
		if why := notApplicable(d, strings.TrimPrefix(t.Name(), prefix)); why != "" {
			t.Skip("not applicable to a Lucia schema: " + why)
		}
		return s
	})
}

// ctx returns the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }

// forEach runs f on a fresh backend of each dialect, in parallel.
func forEach(t *testing.T, f func(t *testing.T, b *backend)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, newBackend(t, d))
		})
	}
}

func wantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one matching %v", what, err, target)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }

// checkAttrs fails unless got holds exactly want, with the same Go types.
func checkAttrs(t *testing.T, what string, got, want latch.Attributes) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: attributes %v, want %v", what, got, want)
		return
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: attribute %q missing (want %T %v)", what, k, w, w)
		case reflect.TypeOf(g) != reflect.TypeOf(w):
			t.Errorf("%s: attribute %q is %T %v, want %T %v", what, k, g, g, w, w)
		case reflect.TypeOf(w) == reflect.TypeOf(time.Time{}):
			if gt := g.(time.Time); !gt.Equal(w.(time.Time)) || gt.Location() != time.UTC {
				t.Errorf("%s: attribute %q is %v, want %v in UTC", what, k, gt, w)
			}
		case g != w:
			t.Errorf("%s: attribute %q is %#v, want %#v", what, k, g, w)
		}
	}
}

func TestOpenRefusesOtherTables(t *testing.T) {
	if _, err := lucia2.Open(ctx(t), "oracle", "x", lucia2.Options{}); err == nil {
		t.Error("Open with an unknown dialect succeeded")
	}
	if _, err := lucia2.Open(ctx(t), lucia2.SQLite, filepath.Join(t.TempDir(), "missing.db"), lucia2.Options{}); err == nil {
		t.Error("Open of a missing SQLite file succeeded (it must not create an empty database)")
	}
	forEach(t, func(t *testing.T, b *backend) {
		open := func() error {
			s, err := lucia2.Open(ctx(t), b.dialect, b.dsn, lucia2.Options{UserTable: b.userTable})
			if err == nil {
				s.Close()
			}
			return err
		}
		err := open()
		if err == nil || !strings.Contains(err.Error(), "no such table") {
			t.Errorf("Open without Lucia's tables: %v, want a missing-table error", err)
		}
		// A session table without idle_expires is not Lucia v2's.
		schema := docsSchema(b)
		schema[2] = strings.Replace(schema[2], "idle_expires", "expires_at", 1)
		b.exec(t, schema...)
		err = open()
		if err == nil || !strings.Contains(err.Error(), "no column idle_expires") {
			t.Errorf("Open with a session table without idle_expires: %v, want it named", err)
		}
	})
}

// schemaSnapshot describes Lucia's three tables as the catalog has them.
func schemaSnapshot(t *testing.T, b *backend) string {
	t.Helper()
	var queries []string
	switch b.dialect {
	case lucia2.SQLite:
		queries = []string{`SELECT group_concat(type || ' ' || name || ' ' || coalesce(sql, ''), char(10))
			FROM (SELECT * FROM sqlite_master WHERE tbl_name IN ('user', 'user_key', 'user_session') ORDER BY name)`}
	case lucia2.Postgres:
		tables := `('auth_user', 'user_key', 'user_session')`
		queries = []string{
			`SELECT string_agg(table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, ''), E'\n' ORDER BY table_name, ordinal_position)
				FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN ` + tables,
			`SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), E'\n' ORDER BY conname)
				FROM pg_constraint WHERE conrelid IN (SELECT to_regclass(n) FROM unnest(ARRAY['auth_user', 'user_key', 'user_session']) n)`,
			`SELECT string_agg(indexdef, E'\n' ORDER BY indexname) FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ` + tables,
		}
	case lucia2.MySQL:
		var out []string
		for _, tbl := range []string{"auth_user", "user_key", "user_session"} {
			var name, create string
			must(t, "SHOW CREATE TABLE", b.raw.QueryRowContext(ctx(t), "SHOW CREATE TABLE "+tbl).Scan(&name, &create))
			out = append(out, create)
		}
		return strings.Join(out, "\n")
	}
	var out []string
	for _, q := range queries {
		var s sql.NullString
		must(t, "snapshot", b.raw.QueryRowContext(ctx(t), q).Scan(&s))
		out = append(out, s.String)
	}
	return strings.Join(out, "\n")
}

func TestMigrateLeavesLuciaTablesAlone(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.exec(t, docsSchema(b)...)
		before := schemaSnapshot(t, b)
		s := b.open(t) // migrates
		must(t, "Migrate again", s.Migrate(ctx(t)))
		if after := schemaSnapshot(t, b); after != before {
			t.Errorf("Migrate changed Lucia's tables:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		for _, tbl := range []string{lucia2.TokenTable, lucia2.AttemptTable, lucia2.FactorTable, lucia2.DisabledTable} {
			var n int
			must(t, "count "+tbl, b.raw.QueryRowContext(ctx(t), "SELECT count(*) FROM "+tbl).Scan(&n))
		}
		if got := s.UserAttributes(); !reflect.DeepEqual(got, []string{"email", "username"}) {
			t.Errorf("UserAttributes = %q, want email, username", got)
		}
		if got := s.SessionAttributes(); len(got) != 0 {
			t.Errorf("SessionAttributes = %q, want none", got)
		}
	})
}

func TestAttributeColumns(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.exec(t, docsSchema(b)...)
		s := b.open(t)
		c := ctx(t)

		// An attribute without a column: refused, nothing written.
		key := &latch.KeyRecord{ID: "email:ada@example.com", UserID: "ada", HashedPassword: ptr("h")}
		err := s.CreateUser(c, latch.UserRecord{ID: "ada", Attributes: latch.Attributes{"email": "ada@example.com", "admin": true}}, key)
		wantIs(t, "CreateUser with an attribute without column", err, latch.ErrInvalidAttributes)
		for _, want := range []string{`"admin"`, "email, username", b.userTable} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
		_, err = s.GetUser(c, "ada")
		wantIs(t, "GetUser after the refused CreateUser", err, latch.ErrNotFound)
		_, err = s.GetKey(c, key.ID)
		wantIs(t, "GetKey after the refused CreateUser", err, latch.ErrNotFound)

		// A value of the wrong type for its column.
		err = s.CreateUser(c, latch.UserRecord{ID: "ada", Attributes: latch.Attributes{"email": int64(5)}}, nil)
		wantIs(t, "CreateUser with an int for a text column", err, latch.ErrInvalidAttributes)

		must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "ada", Attributes: latch.Attributes{"email": "ada@example.com", "username": "ada"}}, key))
		err = s.UpdateUserAttributes(c, "ada", latch.Attributes{"username": "ada2", "email_verified": true})
		wantIs(t, "UpdateUserAttributes with an attribute without column", err, latch.ErrInvalidAttributes)
		u, err := s.GetUser(c, "ada")
		must(t, "GetUser", err)
		checkAttrs(t, "the user after a refused update", u.Attributes, latch.Attributes{"email": "ada@example.com", "username": "ada"})

		// The session table has no attribute columns.
		sess := latch.SessionRecord{ID: "s1", UserID: "ada", ActiveExpires: 2e12, IdleExpires: 3e12, Attributes: latch.Attributes{"ip": "192.0.2.1"}}
		wantIs(t, "CreateSession with an attribute", s.CreateSession(c, sess), latch.ErrInvalidAttributes)
		_, err = s.GetSession(c, "s1")
		wantIs(t, "GetSession after the refused CreateSession", err, latch.ErrNotFound)
		sess.Attributes = nil
		must(t, "CreateSession without attributes", s.CreateSession(c, sess))

		// A value taken in a UNIQUE column is an attribute error, not a
		// duplicate user id: latch.Auth must not report "user id taken".
		key2 := &latch.KeyRecord{ID: "email:other@example.com", UserID: "bob"}
		err = s.CreateUser(c, latch.UserRecord{ID: "bob", Attributes: latch.Attributes{"username": "ada"}}, key2)
		wantIs(t, "CreateUser with a taken username", err, latch.ErrInvalidAttributes)
		if errors.Is(err, latch.ErrDuplicate) {
			t.Errorf("CreateUser with a taken username: %v must not match latch.ErrDuplicate", err)
		}
		_, err = s.GetKey(c, key2.ID)
		wantIs(t, "GetKey of the refused user's key", err, latch.ErrNotFound)
		wantIs(t, "CreateUser with a taken id", s.CreateUser(c, latch.UserRecord{ID: "ada"}, nil), latch.ErrDuplicate)
		must(t, "CreateUser bob", s.CreateUser(c, latch.UserRecord{ID: "bob", Attributes: latch.Attributes{"username": "bob"}}, nil))
		wantIs(t, "UpdateUserAttributes to a taken username", s.UpdateUserAttributes(c, "bob", latch.Attributes{"username": "ada"}), latch.ErrInvalidAttributes)

		// Through Auth, the same errors. (Keys without password: hashing is
		// not what this test is about.)
		a, err := latch.New(latch.Config{Store: s, Profile: latch.ProfileLucia2})
		must(t, "latch.New", err)
		_, err = a.CreateUser(c, latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "eve@example.com"},
			Attributes: latch.Attributes{"email": "eve@example.com", "email_verified": false}})
		wantIs(t, "Auth.CreateUser with an attribute without column", err, latch.ErrInvalidAttributes)
		_, err = a.CreateUser(c, latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "eve@example.com"},
			Attributes: latch.Attributes{"username": "ada"}})
		wantIs(t, "Auth.CreateUser with a taken username", err, latch.ErrInvalidAttributes)
		if errors.Is(err, latch.ErrInvalidRequest) || errors.Is(err, latch.ErrDuplicateKeyID) {
			t.Errorf("Auth.CreateUser with a taken username: %v, want only an attribute error", err)
		}
		_, err = a.GetKey(c, "email", "eve@example.com")
		wantIs(t, "GetKey of a refused user", err, latch.ErrInvalidKeyID)
	})
}

func TestNullIsAbsent(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.exec(t, docsSchema(b)...)
		s := b.open(t)
		c := ctx(t)
		must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"username": nil}}, nil))
		u, err := s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "a user created without email and with a nil username", u.Attributes, latch.Attributes{})
		must(t, "UpdateUserAttributes", s.UpdateUserAttributes(c, "u1", latch.Attributes{"email": "x@example.com"}))
		u, err = s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "after setting email", u.Attributes, latch.Attributes{"email": "x@example.com"})
		must(t, "UpdateUserAttributes", s.UpdateUserAttributes(c, "u1", latch.Attributes{"email": nil}))
		u, err = s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "after setting email to nil", u.Attributes, latch.Attributes{})
		var email sql.NullString
		must(t, "read the column", b.raw.QueryRowContext(c, "SELECT email FROM "+quoteTable(b)+" WHERE id = 'u1'").Scan(&email))
		if email.Valid {
			t.Errorf("the email column is %q, want NULL", email.String)
		}
	})
}

// quoteTable quotes the backend's user table ("user" is a keyword).
func quoteTable(b *backend) string {
	if b.dialect == lucia2.MySQL {
		return "`" + b.userTable + "`"
	}
	return `"` + b.userTable + `"`
}

func TestUpdateAttributes(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.exec(t, docsSchema(b)...)
		s := b.open(t)
		c := ctx(t)
		must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"email": "a@example.com", "username": "a"}}, nil))
		must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "u2", Attributes: latch.Attributes{"email": "b@example.com"}}, nil))
		must(t, "UpdateUserAttributes", s.UpdateUserAttributes(c, "u1", latch.Attributes{"username": "a2"}))
		must(t, "UpdateUserAttributes with the same value", s.UpdateUserAttributes(c, "u1", latch.Attributes{"username": "a2"}))
		must(t, "UpdateUserAttributes with an empty patch", s.UpdateUserAttributes(c, "u1", nil))
		u, err := s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "merged", u.Attributes, latch.Attributes{"email": "a@example.com", "username": "a2"})
		u, err = s.GetUser(c, "u2")
		must(t, "GetUser", err)
		checkAttrs(t, "the other user", u.Attributes, latch.Attributes{"email": "b@example.com"})
		wantIs(t, "UpdateUserAttributes of a missing user", s.UpdateUserAttributes(c, "u3", latch.Attributes{"email": "c"}), latch.ErrNotFound)
		wantIs(t, "UpdateUserAttributes of a missing user with an empty patch", s.UpdateUserAttributes(c, "u3", nil), latch.ErrNotFound)
		_, err = s.GetUser(c, "u3")
		wantIs(t, "GetUser after updating a missing user", err, latch.ErrNotFound)
	})
}

// typedUserCols and typedSessionCols have a column of each kind, and one
// of a type the store does not map (read as text).
var (
	typedUserCols = []col{
		{"email", "vartext", ""}, {"email_verified", "bool", ""}, {"login_count", "int", ""},
		{"score", "float", ""}, {"born", "time", ""},
	}
	typedSessionCols = []col{{"ip", "text", ""}, {"mfa", "bool", ""}, {"n", "int", ""}, {"f", "float", ""}, {"at", "time", ""}}
)

func TestAttributeTypes(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		other := map[string]string{lucia2.SQLite: "BLOB", lucia2.Postgres: "JSONB", lucia2.MySQL: "LONGTEXT CHECK (json_valid(extra))"}[b.dialect]
		schema := luciaSchema(b.dialect, b.userTable, typedUserCols, typedSessionCols, "")
		schema[0] = strings.Replace(schema[0], "\n)", ",\n    extra "+other+"\n)", 1)
		b.exec(t, schema...)
		s := b.open(t)
		c := ctx(t)
		// Microseconds: PostgreSQL's and DATETIME(6)'s precision.
		born := time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.UTC)
		at := time.Date(2026, 11, 22, 18, 30, 1, 654321000, time.FixedZone("CET", 3600))
		userAttrs := latch.Attributes{
			"email": "ada@example.com", "email_verified": true, "login_count": int64(math.MaxInt64),
			"score": 0.1, "born": born, "extra": `{"a": 1}`,
		}
		must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "u1", Attributes: userAttrs}, nil))
		u, err := s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "GetUser", u.Attributes, userAttrs)

		patch := latch.Attributes{"email_verified": false, "login_count": -42, "score": 2, "born": at}
		must(t, "UpdateUserAttributes", s.UpdateUserAttributes(c, "u1", patch))
		want := latch.Attributes{"email": "ada@example.com", "email_verified": false, "login_count": int64(-42),
			"score": 2.0, "born": at.UTC(), "extra": `{"a": 1}`}
		u, err = s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "GetUser after an update (an int in a float column reads back float64)", u.Attributes, want)

		sessAttrs := latch.Attributes{"ip": "192.0.2.1", "mfa": true, "n": int64(-1), "f": -2.5e-300, "at": at.UTC()}
		must(t, "CreateSession", s.CreateSession(c, latch.SessionRecord{ID: "s1", UserID: "u1", ActiveExpires: 1, IdleExpires: 2, Attributes: sessAttrs}))
		gs, gu, err := s.GetSessionAndUser(c, "s1")
		must(t, "GetSessionAndUser", err)
		checkAttrs(t, "GetSessionAndUser session", gs.Attributes, sessAttrs)
		checkAttrs(t, "GetSessionAndUser user", gu.Attributes, want)
		must(t, "UpdateSessionAttributes", s.UpdateSessionAttributes(c, "s1", latch.Attributes{"mfa": false, "ip": nil}))
		list, err := s.ListSessions(c, "u1")
		must(t, "ListSessions", err)
		if len(list) != 1 {
			t.Fatalf("ListSessions: %d sessions, want 1", len(list))
		}
		checkAttrs(t, "ListSessions", list[0].Attributes, latch.Attributes{"mfa": false, "n": int64(-1), "f": -2.5e-300, "at": at.UTC()})

		// Edge values of each type, through an update and the joined read.
		edges := []latch.Attributes{
			{"login_count": int64(math.MinInt64), "score": 1.7976931348623157e308},
			{"login_count": int64(1<<53 + 1), "score": 0.0},
			{"login_count": int64(0), "score": -0.1, "email": "Ünïcödé ✓ 日本語 🐱 'quotes' \"double\" \\back\\ \t\n"},
			{"born": time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), "email": ""},
		}
		if b.dialect == lucia2.SQLite {
			// SQLite keeps the text this store writes: nanoseconds.
			edges = append(edges, latch.Attributes{"born": time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC)})
		}
		for _, e := range edges {
			must(t, "UpdateUserAttributes", s.UpdateUserAttributes(c, "u1", e))
			for k, v := range e {
				want[k] = v
			}
			_, gu, err := s.GetSessionAndUser(c, "s1")
			must(t, "GetSessionAndUser", err)
			checkAttrs(t, fmt.Sprintf("after writing %v", e), gu.Attributes, want)
		}

		for name, bad := range map[string]latch.Attributes{
			"a string for a bool column": {"email_verified": "yes"},
			"a float for an int column":  {"login_count": 1.5},
			"a string for a time column": {"born": "2020-01-01"},
			"a bool for a text column":   {"email": true},
		} {
			wantIs(t, "UpdateUserAttributes with "+name, s.UpdateUserAttributes(c, "u1", bad), latch.ErrInvalidAttributes)
		}
		u, err = s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "GetUser after refused updates", u.Attributes, want)

		// Values as a Lucia application writes them, behind the store's back.
		q := "UPDATE " + quoteTable(b) + " SET email_verified = 1, born = %s WHERE id = 'u1'"
		var jsTimes []string
		switch b.dialect {
		case lucia2.SQLite:
			// JavaScript's toISOString, and Date.getTime's milliseconds.
			jsTimes = []string{"'2026-01-02T03:04:05.678Z'", "1767323045678"}
		case lucia2.Postgres:
			q = strings.Replace(q, "= 1", "= true", 1)
			jsTimes = []string{"'2026-01-02T03:04:05.678Z'"}
		case lucia2.MySQL:
			jsTimes = []string{"'2026-01-02 03:04:05.678'"}
		}
		for _, js := range jsTimes {
			b.exec(t, fmt.Sprintf(q, js))
			u, err = s.GetUser(c, "u1")
			must(t, "GetUser", err)
			if u.Attributes["email_verified"] != true {
				t.Errorf("email_verified written as 1 reads %#v, want true", u.Attributes["email_verified"])
			}
			if got, ok := u.Attributes["born"].(time.Time); !ok || !got.Equal(time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)) {
				t.Errorf("born written as %s reads %#v", js, u.Attributes["born"])
			}
		}
	})
}

// TestMySQLCollation checks that ids compare byte for byte on a MySQL
// database whose default collation is case- and accent-insensitive, as
// MariaDB's and MySQL's defaults are.
func TestMySQLCollation(t *testing.T) {
	b := newBackend(t, lucia2.MySQL)
	b.exec(t, "ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
	b.exec(t, docsSchema(b)...)
	s := b.open(t)
	c := ctx(t)
	must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "ada"}, &latch.KeyRecord{ID: "email:ada@example.com", UserID: "ada", HashedPassword: ptr("h")}))
	must(t, "CreateSession", s.CreateSession(c, latch.SessionRecord{ID: "sessionid", UserID: "ada", ActiveExpires: 1, IdleExpires: 2}))
	for _, other := range []string{"email:ADA@example.com", "email:ada@example.com ", "email:adá@example.com"} {
		_, err := s.GetKey(c, other)
		wantIs(t, "GetKey "+other, err, latch.ErrNotFound)
		wantIs(t, "UpdateKeyPassword "+other, s.UpdateKeyPassword(c, other, nil), latch.ErrNotFound)
		must(t, "DeleteKey "+other, s.DeleteKey(c, other))
	}
	k, err := s.GetKey(c, "email:ada@example.com")
	must(t, "GetKey", err)
	if k.HashedPassword == nil || *k.HashedPassword != "h" {
		t.Errorf("the key after updates and deletes by other ids: %+v", k)
	}
	_, err = s.GetUser(c, "ADA")
	wantIs(t, "GetUser ADA", err, latch.ErrNotFound)
	_, err = s.GetSession(c, "SESSIONID")
	wantIs(t, "GetSession SESSIONID", err, latch.ErrNotFound)
	must(t, "DeleteSessionsByUser ADA", s.DeleteSessionsByUser(c, "ADA"))
	must(t, "DeleteUser ADA", s.DeleteUser(c, "ADA"))
	_, _, err = s.GetSessionAndUser(c, "sessionid")
	must(t, "GetSessionAndUser after deletes by another case", err)
	// The collation still decides what the unique index takes as equal.
	wantIs(t, "CreateKey differing only in case", s.CreateKey(c, latch.KeyRecord{ID: "email:ADA@example.com", UserID: "ada"}), latch.ErrDuplicate)
	must(t, "PutToken", s.PutToken(c, latch.TokenRecord{Kind: "verify", ID: "t", UserID: "ada", Expires: 5}))
	toks, err := s.ListTokens(c, "ADA", "verify")
	must(t, "ListTokens", err)
	if len(toks) != 0 {
		t.Errorf("ListTokens of ADA: %d tokens, want none", len(toks))
	}
	// Factors are found by their user byte for byte too (latch_factor's
	// user_id repeats the user table's collation).
	must(t, "CreateFactor", s.CreateFactor(c, latch.FactorRecord{ID: "f", UserID: "ada", Kind: latch.FactorTOTP, CreatedAt: 1}))
	fs, err := s.ListFactors(c, "ADA")
	must(t, "ListFactors", err)
	if len(fs) != 0 {
		t.Errorf("ListFactors of ADA: %d factors, want none", len(fs))
	}
	must(t, "DeleteFactorsByUser ADA", s.DeleteFactorsByUser(c, "ADA"))
	if fs, err := s.ListFactors(c, "ada"); err != nil || len(fs) != 1 {
		t.Errorf("ListFactors of ada after DeleteFactorsByUser ADA = %d factors, %v; want 1", len(fs), err)
	}
}

// TestTableNames opens tables named otherwise, as Lucia v1's migration
// guide kept them (auth_user, auth_key, auth_session).
func TestTableNames(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		schema := luciaSchema(b.dialect, "auth_user", docsUserCols, nil, "")
		for i, from := range []string{"", "user_key", "user_session"} {
			if from != "" {
				schema[i] = strings.Replace(schema[i], from, strings.Replace(from, "user_", "auth_", 1), 1)
			}
		}
		b.exec(t, schema...)
		s, err := lucia2.Open(ctx(t), b.dialect, b.dsn, lucia2.Options{UserTable: "auth_user", KeyTable: "auth_key", SessionTable: "auth_session"})
		must(t, "Open", err)
		defer s.Close()
		must(t, "Migrate", s.Migrate(ctx(t)))
		a, err := latch.New(latch.Config{Store: s, Profile: latch.ProfileLucia2})
		must(t, "latch.New", err)
		u, err := a.CreateUser(ctx(t), latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "a@example.com"},
			Attributes: latch.Attributes{"email": "a@example.com"}})
		must(t, "CreateUser", err)
		sess, err := a.CreateSession(ctx(t), latch.CreateSessionOptions{UserID: u.ID})
		must(t, "CreateSession", err)
		v, err := a.ValidateSession(ctx(t), sess.Token)
		must(t, "ValidateSession", err)
		if v.User.Attributes.String("email") != "a@example.com" || v.ID != sess.Token {
			t.Errorf("ValidateSession = %+v", v)
		}
		var n int
		must(t, "count", b.raw.QueryRowContext(ctx(t), "SELECT count(*) FROM auth_session WHERE id = '"+sess.Token+"'").Scan(&n))
		if n != 1 {
			t.Errorf("auth_session holds %d rows with the plain session id, want 1", n)
		}
	})
}

// TestNotNullColumn: a NOT NULL attribute column without default needs its
// attribute.
func TestNotNullColumn(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.exec(t, luciaSchema(b.dialect, b.userTable, []col{{"email", "vartext", ""}, {"username", "vartext", " NOT NULL"}}, nil, "")...)
		s := b.open(t)
		c := ctx(t)
		key := &latch.KeyRecord{ID: "email:a@example.com", UserID: "u1"}
		err := s.CreateUser(c, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"email": "a@example.com"}}, key)
		wantIs(t, "CreateUser without the NOT NULL username", err, latch.ErrInvalidAttributes)
		_, err = s.GetKey(c, key.ID)
		wantIs(t, "GetKey of the refused user's key", err, latch.ErrNotFound)
		must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"username": "a"}}, key))
		wantIs(t, "UpdateUserAttributes to NULL", s.UpdateUserAttributes(c, "u1", latch.Attributes{"username": nil}), latch.ErrInvalidAttributes)
		u, err := s.GetUser(c, "u1")
		must(t, "GetUser", err)
		checkAttrs(t, "the user after a refused update", u.Attributes, latch.Attributes{"username": "a"})
	})
}

// TestOpenBeforeDisabledTable: a database migrated by a Latch without
// latch_user_disabled keeps working (users read as enabled, disabling
// fails, naming Migrate) until Migrate, after which disabling works.
func TestOpenBeforeDisabledTable(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		b.exec(t, docsSchema(b)...)
		s, err := lucia2.Open(t.Context(), b.dialect, b.dsn, lucia2.Options{UserTable: b.userTable})
		if err != nil {
			t.Fatalf("lucia2.Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		ctx := t.Context()
		must(t, "CreateUser", s.CreateUser(ctx, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"email": "a@example.com"}}, nil))
		u, err := s.GetUser(ctx, "u1")
		must(t, "GetUser before Migrate", err)
		if u.Attributes[latch.DisabledAttribute] != nil {
			t.Errorf("user disabled before Migrate: %v", u.Attributes)
		}
		err = s.UpdateUserAttributes(ctx, "u1", latch.Attributes{latch.DisabledAttribute: time.Now()})
		if err == nil || !strings.Contains(err.Error(), "Migrate") {
			t.Errorf("disabling before Migrate: %v, want an error naming Migrate", err)
		}
		must(t, "Migrate", s.Migrate(ctx))
		at := time.UnixMilli(time.Now().UnixMilli()).UTC()
		must(t, "disable after Migrate", s.UpdateUserAttributes(ctx, "u1", latch.Attributes{latch.DisabledAttribute: at}))
		u, err = s.GetUser(ctx, "u1")
		must(t, "GetUser", err)
		if got, _ := u.Attributes[latch.DisabledAttribute].(time.Time); !got.Equal(at) {
			t.Errorf("disabled at %v, want %v", u.Attributes[latch.DisabledAttribute], at)
		}
	})
}

// TestEmptyAttributeWriteLocks: in a transaction on PostgreSQL and MySQL,
// an UpdateUserAttributes with nothing to write locks the user's row until
// the transaction ends, as on the other SQL stores: a second transaction
// waits for it. (SQLite has one writer: its transactions never overlap.)
func TestEmptyAttributeWriteLocks(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		if b.dialect == lucia2.SQLite {
			t.Skip("one writer: SQLite runs one transaction at a time")
		}
		b.exec(t, docsSchema(b)...)
		s := b.open(t)
		a, err := latch.New(latch.Config{Store: s, Profile: latch.ProfileLucia2})
		must(t, "New", err)
		u, err := a.CreateUser(ctx(t), latch.CreateUserOptions{Attributes: latch.Attributes{"email": "lock@example.com", "username": "lock"}})
		must(t, "CreateUser", err)

		locked, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- s.InTx(ctx(t), func(ctx context.Context) error {
				if err := s.UpdateUserAttributes(ctx, u.ID, latch.Attributes{}); err != nil {
					close(locked)
					return err
				}
				close(locked)
				<-release
				return nil
			})
		}()
		<-locked
		short, cancel := context.WithTimeout(ctx(t), 500*time.Millisecond)
		err = s.InTx(short, func(ctx context.Context) error { return s.UpdateUserAttributes(ctx, u.ID, latch.Attributes{}) })
		cancel()
		if err == nil {
			t.Error("a second transaction read the row for update while the first held it")
		}
		close(release)
		must(t, "first transaction", <-done)
		must(t, "after the first", s.InTx(ctx(t), func(ctx context.Context) error { return s.UpdateUserAttributes(ctx, u.ID, latch.Attributes{}) }))
	})
}
