package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/throttle"
)

// backend is the storage latchd runs on.
type backend struct {
	auth     *latch.Auth
	migrate  func(context.Context) error
	isSQLite bool
	lucia2   bool         // --schema lucia2: Lucia's tables, see lucia2.go
	redis    *redis.Store // nil without --redis-url
	// sqlThrottle returns the throttle counts in the database's
	// latch_throttle table; nil on a Lucia v2 database, which has none.
	sqlThrottle func(now func() time.Time) throttle.Store
	// outbox is the queue of mail and webhooks: latch_outbox in the SQL
	// database (also with Redis), in memory on a Lucia v2 database.
	outbox  outbox.Queue
	checks  []healthCheck // what GET /readyz asks
	closers []io.Closer
	notes   []string // settings turned off for this database, logged at start
	infos   []string // what latchd found in the database and uses, logged at start
	// hooks receive the Auth's events and observations (webhooks, metrics).
	hooks hooks
	// backends names the backend of each store, for metrics.
	backends map[string]string
}

func (b *backend) Close() error {
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i].Close())
	}
	return errors.Join(errs...)
}

// openBackend opens the database (and Redis) named by the options and
// returns an Auth on them. It does not migrate.
func openBackend(ctx context.Context, o *options, log *slog.Logger) (*backend, error) {
	b := &backend{}
	cfg := latch.Config{Env: latch.Env(o.env), Profile: latch.Profile(o.schema), SessionMaxLifetime: o.sessionMaxLife}
	u := o.databaseURL
	var err error
	if cfg.Profile == latch.ProfileLucia2 {
		err = b.openLucia2(ctx, u, &cfg, o.require2FA)
	} else {
		err = b.openLatch(ctx, u, &cfg)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	if o.redisURL != "" {
		rds, err := redis.Open(o.redisURL, redis.Options{Prefix: o.redisPrefix})
		if err != nil {
			b.Close()
			return nil, err
		}
		b.closers = append(b.closers, rds)
		b.redis = rds
		b.addCheck("redis", func(ctx context.Context) error { return rds.Client().Ping(ctx).Err() })
		// Users and keys stay in the database (Config.Store fills them).
		// On a Lucia v2 database, sessions stay in Lucia's table too, where
		// the Lucia application sharing it reads them.
		cfg.Tokens = rds
		if !b.lucia2 {
			cfg.Sessions = rds
		}
	}
	if b.outbox == nil {
		b.outbox = outbox.NewMemoryQueue()
		b.notes = append(b.notes, "mail is queued in memory on a Lucia v2 database: a mail not yet sent is lost if latchd stops")
	}
	db := dbKind(o.databaseURL)
	b.backends = map[string]string{"users": db, "keys": db, "sessions": db, "tokens": db}
	if o.redisURL != "" {
		b.backends["tokens"] = "redis"
		if !b.lucia2 {
			b.backends["sessions"] = "redis"
		}
	}
	if b.hooks.webhooks, err = o.webhookDispatcher(b.outbox); err != nil {
		b.Close()
		return nil, err
	}
	b.hooks.install(&cfg, o.metricsAddr != "")
	q := b.outbox
	b.addCheck("outbox", func(ctx context.Context) error { _, err := q.Stats(ctx); return err })
	for _, n := range b.infos {
		log.Info(n)
	}
	for _, n := range b.notes {
		log.Warn(n)
	}
	a, err := latch.New(cfg)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.auth = a
	return b, nil
}

// openLatch opens a database with Latch's own tables.
func (b *backend) openLatch(ctx context.Context, u string, cfg *latch.Config) error {
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(u, "sqlite:")
		path = strings.TrimPrefix(path, "//") // sqlite:///abs/path
		if path == "" {
			return fmt.Errorf("--database-url %q: no file name", u)
		}
		s, err := sqlite.Open(path)
		if err != nil {
			return err
		}
		b.closers = append(b.closers, s)
		b.migrate, b.isSQLite, cfg.Store, b.outbox, b.sqlThrottle = s.Migrate, true, s, s.Outbox(), s.ThrottleStore
		b.addCheck("database", s.DB().PingContext)
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		s, err := postgres.Open(ctx, u)
		if err != nil {
			return fmt.Errorf("--database-url %s: %w", redactURL(u), err)
		}
		b.closers = append(b.closers, closerFunc(func() error { s.Close(); return nil }))
		b.migrate, cfg.Store, b.outbox, b.sqlThrottle = s.Migrate, s, s.Outbox(), s.ThrottleStore
		b.addCheck("database", s.Pool().Ping)
	case strings.HasPrefix(u, "mysql://"):
		dsn, err := mysqlDSN(u)
		if err != nil {
			return fmt.Errorf("--database-url %s: %w", redactURL(u), err)
		}
		s, err := mysql.Open(ctx, dsn)
		if err != nil {
			return fmt.Errorf("--database-url %s: %w", redactURL(u), err)
		}
		b.closers = append(b.closers, s)
		b.migrate, cfg.Store, b.outbox, b.sqlThrottle = s.Migrate, s, s.Outbox(), s.ThrottleStore
		b.addCheck("database", s.DB().PingContext)
	default:
		return fmt.Errorf("--database-url %q: want sqlite:PATH, postgres://… or mysql://…", redactURL(u))
	}
	return nil
}

// redactURL hides the password of a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a malformed URL)"
	}
	return u.Redacted()
}

// closerFunc adapts a function to io.Closer.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// mysqlDSN turns mysql://user:password@host:port/database?param=value into
// the driver's DSN, user:password@tcp(host:port)/database?param=value. The
// port defaults to 3306; the parameters are the driver's.
func mysqlDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("malformed URL")
	}
	db := strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || db == "" || strings.Contains(db, "/") {
		return "", errors.New("want mysql://user:password@host:port/database")
	}
	host := u.Host
	if u.Port() == "" {
		host += ":3306"
	}
	cfg, err := mysqldriver.ParseDSN("tcp(" + host + ")/" + db + "?" + u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("parameters: %w", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	return cfg.FormatDSN(), nil
}
