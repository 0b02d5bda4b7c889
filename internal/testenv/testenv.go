// Package testenv finds the database servers that tests run against and
// gives each test a place of its own on them: a fresh PostgreSQL schema, a
// fresh MariaDB database, a fresh Redis key prefix. When a server does not
// answer the test is skipped with the reason, or fails when
// LATCH_TEST_REQUIRE_SERVICES=1 (as .ci/run sets it).
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // database/sql driver "mysql"
	"github.com/jackc/pgx/v5"
)

// Defaults for the servers on the development and CI machines.
const (
	DefaultPostgres = "postgres://root@127.0.0.1:5432/test?sslmode=disable"
	DefaultMySQL    = "root@tcp(127.0.0.1:3306)/test"
	DefaultRedis    = "redis://127.0.0.1:6379/0"
)

// Required reports whether a missing server must fail the test.
func Required() bool { return os.Getenv("LATCH_TEST_REQUIRE_SERVICES") == "1" }

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (LATCH_TEST_REQUIRE_SERVICES=1) but does not answer: %v", what, err)
	}
	t.Skipf("skipping: %s does not answer (%v); set LATCH_TEST_REQUIRE_SERVICES=1 to fail instead", what, err)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Suffix returns a short random lowercase hex string for names.
func Suffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Postgres returns a connection URL whose search_path is a new, empty
// schema, dropped when the test ends. Source: LATCH_TEST_POSTGRES.
func Postgres(t testing.TB) string {
	t.Helper()
	base := env("LATCH_TEST_POSTGRES", DefaultPostgres)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unavailable(t, "PostgreSQL at "+redact(base), err)
	}
	defer conn.Close(ctx)
	schema := "latch_test_" + Suffix()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("LATCH_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MySQL returns a go-sql-driver DSN for a new, empty database, dropped when
// the test ends. Source: LATCH_TEST_MYSQL (a DSN such as root@tcp(host:3306)/test).
func MySQL(t testing.TB) string {
	t.Helper()
	base := env("LATCH_TEST_MYSQL", DefaultMySQL)
	db, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatalf("LATCH_TEST_MYSQL: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		unavailable(t, "MariaDB/MySQL at "+redact(base), err)
	}
	name := "latch_test_" + Suffix()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("creating database: %v", err)
	}
	t.Cleanup(func() {
		d, err := sql.Open("mysql", base)
		if err != nil {
			return
		}
		defer d.Close()
		_, _ = d.Exec("DROP DATABASE " + name)
	})
	slash := strings.LastIndex(base, "/")
	if slash < 0 {
		t.Fatalf("LATCH_TEST_MYSQL %q has no /database part", base)
	}
	rest := base[slash+1:]
	params := ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		params = rest[i:]
	}
	return base[:slash+1] + name + params
}

// Redis returns the Redis URL and a new key prefix; keys under the prefix
// are the test's own. Source: LATCH_TEST_REDIS. The caller's store removes
// what it wrote when the test cleans up.
func Redis(t testing.TB) (redisURL, prefix string) {
	t.Helper()
	raw := env("LATCH_TEST_REDIS", DefaultRedis)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("LATCH_TEST_REDIS: %v", err)
	}
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":6379"
	}
	c, err := net.DialTimeout("tcp", host, 3*time.Second)
	if err != nil {
		unavailable(t, "Redis at "+host, err)
	}
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	_, _ = c.Write([]byte("PING\r\n"))
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	c.Close()
	if err != nil || !strings.HasPrefix(string(buf[:n]), "+PONG") {
		unavailable(t, "Redis at "+host, err)
	}
	return raw, "latchtest:" + Suffix() + ":"
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxx")
			return u.String()
		}
	}
	return s
}
