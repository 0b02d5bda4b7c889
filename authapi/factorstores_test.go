package authapi_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/store/lucia2"
	"github.com/latchauth/latch/store/memory"
)

// factorStores are the setups the second-factor and passkey API tests run
// on: every store that keeps factors, alone; PostgreSQL for users, keys and
// factors with Redis for sessions, tokens (the pending sign-ins, recovery
// codes, step-up tokens) and throttles; and a Lucia v2 database on SQLite
// and on PostgreSQL, whose factors live in Latch's latch_factor table
// beside Lucia's. (The lucia2 store's factor code on MySQL differs in its
// byte-for-byte user match, which its own tests check: TestMySQLCollation
// and the conformance suite.)
// The server-backed ones skip when their server does not answer, unless
// LATCH_TEST_REQUIRE_SERVICES=1, where they fail (internal/testenv).
//
// open starts the handler with change applied to its config (nil: none).
var factorStores = []struct {
	name string
	open func(t *testing.T, change func(*authapi.Config)) *env
}{
	{"memory", func(t *testing.T, change func(*authapi.Config)) *env {
		return newSplitEnv(t, latch.Config{Store: memory.New(), PasswordHasher: factorHasher}, change)
	}},
	{"sqlite", func(t *testing.T, change func(*authapi.Config)) *env {
		return newSplitEnv(t, latch.Config{Store: stores[1].open(t), PasswordHasher: factorHasher}, change)
	}},
	{"postgres", func(t *testing.T, change func(*authapi.Config)) *env {
		return newSplitEnv(t, latch.Config{Store: openPostgres(t), PasswordHasher: factorHasher}, change)
	}},
	{"mariadb", func(t *testing.T, change func(*authapi.Config)) *env {
		return newSplitEnv(t, latch.Config{Store: openMySQL(t), PasswordHasher: factorHasher}, change)
	}},
	{"postgres+redis", func(t *testing.T, change func(*authapi.Config)) *env {
		pg, rs := openPostgres(t), openRedis(t)
		lc := latch.Config{Users: pg, Keys: pg, Sessions: rs, Tokens: rs, PasswordHasher: factorHasher}
		e := newSplitEnv(t, lc, func(c *authapi.Config) {
			c.ThrottleStore = rs
			if change != nil {
				change(c)
			}
		})
		e.throttleRealTime = true
		return e
	}},
	{"lucia2-sqlite", func(t *testing.T, change func(*authapi.Config)) *env {
		return newSplitEnv(t, lucia2Factors(t, lucia2.SQLite), change)
	}},
	{"lucia2-postgres", func(t *testing.T, change func(*authapi.Config)) *env {
		return newSplitEnv(t, lucia2Factors(t, lucia2.Postgres), change)
	}},
}

// factorHasher hashes the passwords of the factor setups: a 1 MiB
// Argon2id. The tests sign up and step up with passwords over and over on
// seven setups, and the default hashers (a 64 MiB Argon2id, Lucia's
// scrypt) were three quarters of their CPU time; hashing has tests of its
// own (password, and TestLuciaRoundTrip for Lucia's hashes).
var factorHasher = password.Argon2id{Memory: 1024, Time: 1}

// forEachFactorStore runs fn once per setup of factorStores, in parallel,
// with the test kind of second factor registered.
func forEachFactorStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	forEachFactorStoreWith(t, nil, fn)
}

// forEachFactorStoreWith is forEachFactorStore with change applied to each
// handler's config.
func forEachFactorStoreWith(t *testing.T, change func(*authapi.Config), fn func(t *testing.T, e *env)) {
	t.Helper()
	forEachFactorSetup(t, func(t *testing.T, start func(func(*authapi.Config)) *env) { fn(t, start(change)) })
}

// forEachFactorSetup runs fn once per setup of factorStores, in parallel,
// for a test that builds its handler's config itself (OAuth fakes made per
// test): start opens the setup with change applied and registers the test
// factor. A setup whose Auth finds no factor store is skipped, saying so:
// the test of factors would prove nothing there.
func forEachFactorSetup(t *testing.T, fn func(t *testing.T, start func(change func(*authapi.Config)) *env)) {
	t.Helper()
	for _, s := range factorStores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			fn(t, func(change func(*authapi.Config)) *env {
				t.Helper()
				e := s.open(t, change)
				if !e.auth.HasFactors() {
					t.Skipf("SKIP: setup %q keeps no second factors (its user store implements no latch.FactorStore): this test proves nothing there", s.name)
				}
				authapi.RegisterTestFactor(e.h)
				return e
			})
		})
	}
}

// lucia2Factors makes Lucia v2's three tables as the documentation of
// Lucia's adapter for the dialect gives them (better-sqlite3, pg: no ON
// DELETE CASCADE), in a database of the test's own, with the user
// attributes the API writes (email, email_verified, name, created_at) and
// a session column amr, and opens the lucia2 store on them. Without amr a
// Lucia session table keeps no authentication methods, so no session
// could show the second factor (AAL 2) that these tests check.
func lucia2Factors(t *testing.T, dialect string) latch.Config {
	t.Helper()
	var dsn string
	var ddl []string
	var exec func(q string) error
	switch dialect {
	case lucia2.SQLite:
		dsn = filepath.Join(t.TempDir(), "app.db")
		ddl = []string{
			`CREATE TABLE auth_user (id TEXT NOT NULL PRIMARY KEY, email TEXT NOT NULL UNIQUE, email_verified INTEGER NOT NULL, name TEXT, created_at INTEGER)`,
			`CREATE TABLE user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, hashed_password TEXT, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
			`CREATE TABLE user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL, amr TEXT, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
		}
		db, err := sql.Open("sqlite", dsn+"?_pragma=foreign_keys(1)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		exec = func(q string) error { _, err := db.ExecContext(t.Context(), q); return err }
	case lucia2.Postgres:
		dsn = testenv.Postgres(t)
		ddl = []string{
			`CREATE TABLE auth_user (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, email_verified BOOLEAN NOT NULL, name TEXT, created_at TIMESTAMPTZ)`,
			`CREATE TABLE user_key (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES auth_user(id), hashed_password TEXT)`,
			`CREATE TABLE user_session (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES auth_user(id), active_expires BIGINT NOT NULL, idle_expires BIGINT NOT NULL, amr TEXT)`,
		}
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		exec = func(q string) error { _, err := conn.Exec(t.Context(), q); return err }
	default:
		t.Fatalf("lucia2Factors: no Lucia schema for dialect %q", dialect)
	}
	for _, q := range ddl {
		if err := exec(q); err != nil {
			t.Fatalf("%v\n\tin: %s", err, q)
		}
	}
	s, err := lucia2.Open(t.Context(), dialect, dsn, lucia2.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return latch.Config{Store: s, Profile: latch.ProfileLucia2, KeepSessionAMR: true, PasswordHasher: factorHasher}
}
