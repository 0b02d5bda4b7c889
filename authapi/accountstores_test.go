package authapi_test

import (
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/redis"
)

// accountStores are the setups the account flows (password and email
// change, undo, delete, linked methods, activity) are tested on: every
// store alone, PostgreSQL for users and keys with Redis for sessions,
// tokens and throttles (split: no transaction spans them), and a Lucia v2
// database (profile lucia2). The server-backed ones skip when their server
// does not answer, unless LATCH_TEST_REQUIRE_SERVICES=1.
var accountStores = []struct {
	name string
	open func(t *testing.T) *env
}{
	{"memory", func(t *testing.T) *env { return newEnv(t, stores[0].open(t), nil) }},
	{"sqlite", func(t *testing.T) *env { return newEnv(t, stores[1].open(t), nil) }},
	{"postgres", func(t *testing.T) *env { return newEnv(t, openPostgres(t), nil) }},
	{"mariadb", func(t *testing.T) *env { return newEnv(t, openMySQL(t), nil) }},
	{"postgres+redis", func(t *testing.T) *env {
		pg, rs := openPostgres(t), openRedis(t)
		return newSplitEnv(t, latch.Config{Users: pg, Keys: pg, Sessions: rs, Tokens: rs},
			func(c *authapi.Config) { c.ThrottleStore = rs })
	}},
	{"lucia2", func(t *testing.T) *env {
		s, _ := lucia2SQLite(t, "")
		return newSplitEnv(t, latch.Config{Store: s, Profile: latch.ProfileLucia2}, nil)
	}},
}

// splitStore is the stores of a split setup seen as one, for the tests'
// checks of what is stored.
type splitStore struct {
	latch.UserStore
	latch.KeyStore
	latch.SessionStore
	latch.TokenStore
}

// forEachAccountStore runs the test once per setup of accountStores, in
// parallel.
func forEachAccountStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, s := range accountStores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			fn(t, s.open(t))
		})
	}
}

func openMySQL(t *testing.T) *mysql.Store {
	t.Helper()
	s, err := mysql.Open(t.Context(), testenv.MySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func openRedis(t *testing.T) *redis.Store {
	t.Helper()
	raw, prefix := testenv.Redis(t)
	s, err := redis.Open(raw, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		deleteRedisPrefix(t, raw, prefix)
	})
	return s
}
