package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// Defaults for the servers on the development and CI machines, as in the
// tests (LATCH_TEST_POSTGRES, LATCH_TEST_MYSQL, LATCH_TEST_REDIS override).
const (
	defaultPostgres = "postgres://root@127.0.0.1:5432/test?sslmode=disable"
	defaultMySQL    = "root@tcp(127.0.0.1:3306)/test"
	defaultRedis    = "redis://127.0.0.1:6379/0"
)

// pingTimeout bounds the check that a server answers.
const pingTimeout = 3 * time.Second

// suffix returns a short random lowercase hex string for names.
func suffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// namespace is a place of the benchmark's own on a server (a schema, a
// database, a key prefix, a file) and how to remove it.
type namespace struct {
	url  string // what to open: a URL, DSN or file name
	name string // schema, database or prefix
	drop func()
}

// pingPostgres reports whether PostgreSQL answers at base.
func pingPostgres(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// postgresSchema creates a fresh schema and returns a URL whose
// search_path selects it.
func postgresSchema(ctx context.Context, base string) (namespace, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, base)
	if err != nil {
		return namespace{}, err
	}
	defer conn.Close(context.Background())
	schema := "latchbench_" + suffix()
	if _, err := conn.Exec(cctx, "CREATE SCHEMA "+schema); err != nil {
		return namespace{}, fmt.Errorf("creating schema: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return namespace{}, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	return namespace{url: u.String(), name: schema, drop: drop}, nil
}

// pingMySQL reports whether MariaDB/MySQL answers at dsn.
func pingMySQL(ctx context.Context, dsn string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return db.PingContext(ctx)
}

// mysqlDatabase creates a fresh database and returns a DSN naming it.
func mysqlDatabase(ctx context.Context, base string) (namespace, error) {
	cfg, err := gomysql.ParseDSN(base)
	if err != nil {
		return namespace{}, err
	}
	db, err := sql.Open("mysql", base)
	if err != nil {
		return namespace{}, err
	}
	defer db.Close()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	name := "latchbench_" + suffix()
	if _, err := db.ExecContext(cctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return namespace{}, fmt.Errorf("creating database: %w", err)
	}
	cfg.DBName = name
	drop := func() {
		d, err := sql.Open("mysql", base)
		if err != nil {
			return
		}
		defer d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, _ = d.ExecContext(ctx, "DROP DATABASE "+name)
	}
	return namespace{url: cfg.FormatDSN(), name: name, drop: drop}, nil
}

// pingRedis reports whether Redis answers at rawURL.
func pingRedis(ctx context.Context, rawURL string) error {
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		return err
	}
	o.DialTimeout = pingTimeout
	c := goredis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return c.Ping(ctx).Err()
}

// redisPrefix returns a fresh key prefix; drop deletes every key under it.
func redisPrefix(rawURL string) (namespace, error) {
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		return namespace{}, err
	}
	prefix := "latchbench:" + suffix() + ":"
	drop := func() {
		c := goredis.NewClient(o)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_ = deleteRedisPrefix(ctx, c, prefix)
	}
	return namespace{url: rawURL, name: prefix, drop: drop}, nil
}

// deleteRedisPrefix unlinks every key that starts with prefix.
func deleteRedisPrefix(ctx context.Context, c *goredis.Client, prefix string) error {
	var cursor uint64
	pattern := globEscape(prefix) + "*"
	for {
		keys, next, err := c.Scan(ctx, cursor, pattern, 2000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// globEscape quotes the characters SCAN MATCH interprets.
func globEscape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// redactURL hides a password in a URL or DSN for messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
		return s
	}
	if cfg, err := gomysql.ParseDSN(s); err == nil && cfg.Passwd != "" {
		cfg.Passwd = "xxxxx"
		return cfg.FormatDSN()
	}
	return s
}

// shortErr is the first line of an error, for table cells.
func shortErr(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		s = "timed out: " + s
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return strings.ReplaceAll(s, "|", "/")
}
