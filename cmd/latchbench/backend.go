package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/token"
)

// The stores -stores accepts, in table order.
var allStores = []string{"memory", "sqlite", "postgres", "mysql", "redis"}

// What the fixtures hold: sessions carry two attributes and users three,
// as in an application that keeps an email and a name.
var (
	sessionAttrs    = latch.Attributes{"ip": "192.0.2.1", "user_agent": "latchbench/1.0"}
	newSessionAttrs = latch.Attributes{"ip": "192.0.2.1"}
)

const (
	benchPassword = "correct horse battery staple"
	tokenKind     = "bench-id"
	// passwordUsers is how many users also get a key with a password (one
	// Argon2id and one s2 scrypt), all with the same precomputed hash.
	passwordUsers = 16
)

// servers are the addresses of the database servers and whether they
// answered when the run began.
type servers struct {
	postgres, mysql, redis          string
	postgresErr, mysqlErr, redisErr error
}

// env is Latch on one store, in a namespace of its own, with direct
// (driver-level) access to the same data.
type env struct {
	name  string // memory, sqlite, postgres, mysql, redis
	label string // as shown in the table

	auth     *latch.Auth // default hasher (Argon2id)
	authS2   *latch.Auth // password.Scrypt (Lucia's s2 format), same stores
	ids      *token.IDTokens
	keys     latch.KeyStore
	sessions latch.SessionStore
	tokens   latch.TokenStore
	// inTx runs fn in one transaction of the SQL store that keeps the
	// users, or as it is (memory).
	inTx func(ctx context.Context, fn func(ctx context.Context) error) error

	sql   sqlDirect    // nil for memory
	redis *redisDirect // for the redis env
	plain *plainMaps   // the memory env's limit in the growth rows

	sqlitePath string // the SQLite file (sqlite env, or redis env's users)
	pgURL      string // the PostgreSQL URL with search_path (postgres env, or redis env's users)
	pgSchema   string

	// Seeded data.
	users         []string
	emails        []string
	sessionTokens []string // session tokens
	sessionIDs    []string // stored session ids

	cleanup []func()
}

func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
	e.cleanup = nil
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// openEnv opens a fresh namespace for the store and Latch on it; dir holds
// SQLite files.
func openEnv(ctx context.Context, name string, srv *servers, dir string) (e *env, err error) {
	e = &env{name: name, label: name}
	defer func() {
		if err != nil {
			e.close()
			e = nil
		}
	}()
	cfg := latch.Config{}
	switch name {
	case "memory":
		m := memory.New()
		cfg.Store = m
		e.inTx = func(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }
	case "sqlite":
		s, err := e.openSQLite(ctx, dir)
		if err != nil {
			return nil, err
		}
		cfg.Store = s
	case "postgres":
		if srv.postgresErr != nil {
			return nil, srv.postgresErr
		}
		s, err := e.openPostgres(ctx, srv.postgres)
		if err != nil {
			return nil, err
		}
		cfg.Store = s
	case "mysql":
		if srv.mysqlErr != nil {
			return nil, srv.mysqlErr
		}
		ns, err := mysqlDatabase(ctx, srv.mysql)
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, ns.drop)
		s, err := mysql.Open(ctx, ns.url)
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
		d, err := openMySQLDirect(ctx, s.DB())
		if err != nil {
			return nil, err
		}
		// Runs before s.Close: statements go before their pool.
		e.cleanup = append(e.cleanup, d.close)
		e.sql, e.inTx, cfg.Store = d, s.InTx, s
	case "redis":
		if srv.redisErr != nil {
			return nil, srv.redisErr
		}
		// Users and keys in SQL, as latchd does with --redis-url:
		// PostgreSQL when it answers, else SQLite.
		var users latch.Store
		if srv.postgresErr == nil {
			s, err := e.openPostgres(ctx, srv.postgres)
			if err != nil {
				return nil, err
			}
			users, e.label = s, "redis (users: postgres)"
		} else {
			s, err := e.openSQLite(ctx, dir)
			if err != nil {
				return nil, err
			}
			users, e.label = s, "redis (users: sqlite)"
		}
		ns, err := redisPrefix(srv.redis)
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, ns.drop)
		rs, err := redis.Open(srv.redis, redis.Options{Prefix: ns.name})
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { rs.Close() })
		c, ok := rs.Client().(*goredis.Client)
		if !ok {
			return nil, errors.New("redis: the store's client is not a *redis.Client")
		}
		// The store's own client and pool, as store/redis's benchmarks do.
		e.redis = &redisDirect{c: c, prefix: ns.name}
		cfg.Store, cfg.Sessions, cfg.Tokens = users, rs, rs
	default:
		return nil, fmt.Errorf("unknown store %q (want one of %v)", name, allStores)
	}
	if e.auth, err = latch.New(cfg); err != nil {
		return nil, err
	}
	cfg.PasswordHasher = password.Scrypt{}
	if e.authS2, err = latch.New(cfg); err != nil {
		return nil, err
	}
	if e.ids, err = token.NewIDTokens(e.auth, tokenKind, token.IDTokenOptions{ExpiresIn: 2 * time.Hour}); err != nil {
		return nil, err
	}
	e.keys, e.sessions, e.tokens = cfg.Store, cfg.Store, e.auth.TokenStore()
	if cfg.Sessions != nil {
		e.sessions = cfg.Sessions
	}
	return e, nil
}

func (e *env) openSQLite(ctx context.Context, dir string) (*sqlite.Store, error) {
	e.sqlitePath = filepath.Join(dir, "latchbench-"+e.name+"-"+suffix()+".db")
	s, err := sqlite.Open(e.sqlitePath)
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	d, err := openSQLiteDirect(ctx, e.sqlitePath)
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, d.close)
	e.sql, e.inTx = d, s.InTx
	return s, nil
}

func (e *env) openPostgres(ctx context.Context, base string) (*postgres.Store, error) {
	ns, err := postgresSchema(ctx, base)
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, ns.drop)
	e.pgURL, e.pgSchema = ns.url, ns.name
	s, err := postgres.Open(ctx, ns.url)
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, s.Close)
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	e.sql, e.inTx = &pgDirect{pool: s.Pool()}, s.InTx
	return s, nil
}

// Hashes shared by every fixture: hashing is slow, and one hash per
// password key is all that UseKey reads.
type hashes struct {
	argon2id, s2 string
}

func makeHashes() (hashes, error) {
	a, err := password.Argon2id{}.Hash(benchPassword)
	if err != nil {
		return hashes{}, err
	}
	s, err := password.Scrypt{}.Hash(benchPassword)
	if err != nil {
		return hashes{}, err
	}
	return hashes{argon2id: a, s2: s}, nil
}

// seed creates n users, each with an email key without password and, when
// withSessions, an active session; the first passwordUsers users get a
// "pwa" key (Argon2id) and a "pws" key (s2 scrypt) too. Users go in
// transactions of the SQL store that keeps them.
func (e *env) seed(ctx context.Context, n int, withSessions bool, h hashes) error {
	const chunk = 500
	for from := 0; from < n; from += chunk {
		err := e.inTx(ctx, func(ctx context.Context) error {
			for i := from; i < min(from+chunk, n); i++ {
				email := fmt.Sprintf("user%d@example.com", i)
				u, err := e.auth.CreateUser(ctx, latch.CreateUserOptions{
					Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: email},
					Attributes: latch.Attributes{"email": email, "email_verified": true, "name": fmt.Sprintf("User %d", i)},
				})
				if err != nil {
					return err
				}
				if i < passwordUsers {
					for _, k := range []latch.KeyRecord{
						{ID: latch.KeyID("pwa", email), UserID: u.ID, HashedPassword: &h.argon2id},
						{ID: latch.KeyID("pws", email), UserID: u.ID, HashedPassword: &h.s2},
					} {
						if err := e.keys.CreateKey(ctx, k); err != nil {
							return err
						}
					}
				}
				e.users = append(e.users, u.ID)
				e.emails = append(e.emails, email)
				if !withSessions {
					continue
				}
				s, err := e.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID, Attributes: sessionAttrs})
				if err != nil {
					return err
				}
				e.sessionTokens = append(e.sessionTokens, s.Token)
				e.sessionIDs = append(e.sessionIDs, s.ID)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seeding users: %w", err)
		}
	}
	return nil
}
