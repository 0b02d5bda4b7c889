package authapi_test

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	goredis "github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
)

// tripwire cuts a proxy just before one named store call, once it is
// armed: an outage in the middle of a request.
type tripwire struct {
	call  string
	cut   func()
	armed atomic.Bool
}

func (w *tripwire) arm(call string, cut func()) {
	w.call, w.cut = call, cut
	w.armed.Store(true)
}

func (w *tripwire) at(call string) {
	if w.call == call && w.armed.CompareAndSwap(true, false) {
		w.cut()
	}
}

// pgTripped is the PostgreSQL store with a tripwire on the writes of a
// password reset. It embeds the store, so InTx (and Atomic) stay.
type pgTripped struct {
	*postgres.Store
	w *tripwire
}

func (s *pgTripped) DeleteSessionsByUser(ctx context.Context, userID string) error {
	s.w.at("DeleteSessionsByUser")
	return s.Store.DeleteSessionsByUser(ctx, userID)
}

func (s *pgTripped) UpdateKeyPassword(ctx context.Context, keyID string, hash *string) error {
	s.w.at("UpdateKeyPassword")
	return s.Store.UpdateKeyPassword(ctx, keyID, hash)
}

// mysqlTripped is the MariaDB/MySQL store with the same tripwire.
type mysqlTripped struct {
	*mysql.Store
	w *tripwire
}

func (s *mysqlTripped) DeleteSessionsByUser(ctx context.Context, userID string) error {
	s.w.at("DeleteSessionsByUser")
	return s.Store.DeleteSessionsByUser(ctx, userID)
}

func (s *mysqlTripped) UpdateKeyPassword(ctx context.Context, keyID string, hash *string) error {
	s.w.at("UpdateKeyPassword")
	return s.Store.UpdateKeyPassword(ctx, keyID, hash)
}

// redisTripped is the Redis store with the same tripwire.
type redisTripped struct {
	*redis.Store
	w *tripwire
}

func (s *redisTripped) DeleteSessionsByUser(ctx context.Context, userID string) error {
	s.w.at("DeleteSessionsByUser")
	return s.Store.DeleteSessionsByUser(ctx, userID)
}

// outage is an API server whose stores reach their servers through proxies
// that the test cuts and restores.
type outage struct {
	*env
	pg, rds *testenv.Proxy // rds is nil when one SQL store keeps everything
	wire    *tripwire
}

// newMySQLOutage is newOutage with MariaDB/MySQL keeping everything; its
// proxy is o.pg, the SQL server's.
func newMySQLOutage(t *testing.T) *outage {
	t.Helper()
	o := &outage{wire: &tripwire{}}
	cfg, err := gomysql.ParseDSN(testenv.MySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	o.pg = testenv.NewProxy(t, cfg.Addr)
	cfg.Net, cfg.Addr = "tcp", o.pg.Addr()
	ms, err := mysql.Open(t.Context(), cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	if err := ms.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	o.env = newSplitEnv(t, latch.Config{Store: &mysqlTripped{Store: ms, w: o.wire}}, nil)
	if !o.auth.Atomic() {
		t.Fatal("Auth over one MariaDB store is not Atomic")
	}
	return o
}

func newOutage(t *testing.T, withRedis bool) *outage {
	t.Helper()
	o := &outage{wire: &tripwire{}}
	u, err := url.Parse(testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	o.pg = testenv.NewProxy(t, u.Host)
	u.Host = o.pg.Addr()
	ps, err := postgres.Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.Close)
	if err := ps.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	pg := &pgTripped{Store: ps, w: o.wire}
	if !withRedis {
		o.env = newSplitEnv(t, latch.Config{Store: pg}, nil)
		if !o.auth.Atomic() {
			t.Fatal("Auth over one PostgreSQL store is not Atomic")
		}
		return o
	}
	raw, prefix := testenv.Redis(t)
	ru, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	host := ru.Host
	if ru.Port() == "" {
		host += ":6379"
	}
	o.rds = testenv.NewProxy(t, host)
	ru.Host = o.rds.Addr()
	rs, err := redis.Open(ru.String(), redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rs.Close()
		deleteRedisPrefix(t, raw, prefix)
	})
	rt := &redisTripped{Store: rs, w: o.wire}
	o.env = newSplitEnv(t, latch.Config{Users: pg, Keys: pg, Sessions: rt, Tokens: rt},
		func(c *authapi.Config) { c.ThrottleStore = rs })
	return o
}

// deleteRedisPrefix removes the test's keys from the shared server.
func deleteRedisPrefix(t *testing.T, raw, prefix string) {
	opts, err := goredis.ParseURL(raw)
	if err != nil {
		return
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}

// wantUnavailable fails unless r is the API's answer to an outage.
func wantUnavailable(t *testing.T, what string, r *response) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.code() != "STORE_UNAVAILABLE" {
		t.Fatalf("%s with a store away: %d %s, want 503 STORE_UNAVAILABLE", what, r.status, r.raw)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("%s with a store away: 503 without Retry-After", what)
	}
}

// eventually repeats do until it answers status, a bounded number of times:
// the pools notice their dead connections one request at a time.
func eventually(t *testing.T, what string, status int, do func() *response) *response {
	t.Helper()
	var r *response
	for range 50 {
		if r = do(); r.status == status {
			return r
		}
	}
	t.Fatalf("%s after the store came back: %d %s", what, r.status, r.raw)
	return nil
}

// TestStoreOutage takes PostgreSQL (everything in it, or users and keys
// beside Redis), MariaDB/MySQL (everything in it) and Redis away through
// proxies, between requests and in the middle of a password reset: every request that needs the store
// answers 503 STORE_UNAVAILABLE with Retry-After, never 500; the service
// works again once the store is back; and a reset is all or nothing, on
// split stores too: cut before PostgreSQL commits, nothing changed and the
// link works; cut after (Redis away when the old sessions are deleted),
// the new password holds, every old session is dead and the link is used.
func TestStoreOutage(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		o := newOutage(t, false)
		o.betweenRequests(t, o.pg)
		o.midReset(t, "DeleteSessionsByUser", o.pg, false)
		o.midReset(t, "UpdateKeyPassword", o.pg, false)
	})
	t.Run("mysql", func(t *testing.T) {
		t.Parallel()
		o := newMySQLOutage(t)
		o.betweenRequests(t, o.pg)
		o.midReset(t, "DeleteSessionsByUser", o.pg, false)
		o.midReset(t, "UpdateKeyPassword", o.pg, false)
	})
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		o := newOutage(t, true)
		o.betweenRequests(t, o.pg)
		o.betweenRequests(t, o.rds)
		o.midReset(t, "DeleteSessionsByUser", o.rds, true)
		o.midReset(t, "UpdateKeyPassword", o.pg, false)
	})
}

func (o *outage) newEmail() string { return "outage-" + testenv.Suffix() + "@example.com" }

// betweenRequests cuts p after sign-up and checks the requests of each
// flow, then restores it.
func (o *outage) betweenRequests(t *testing.T, p *testenv.Proxy) {
	t.Helper()
	email := o.newEmail()
	a, _ := o.signUp(email, pw)
	b := o.api()
	b.bearer = b.do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw}).want(t, 200, "").str("token")
	o.api().do("POST", "/api/auth/password-reset", map[string]string{"email": email}).want(t, http.StatusAccepted, "")
	reset := "/api/auth" + linkIn(t, o.mailTo(email, "password", 1), "/password-reset/")

	p.Cut()
	wantUnavailable(t, "sign-in", o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw}))
	wantUnavailable(t, "sign-up", o.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": o.newEmail(), "password": pw}))
	wantUnavailable(t, "session (cookie)", a.do("GET", "/api/auth/session", nil))
	wantUnavailable(t, "session (bearer)", b.do("GET", "/api/auth/session", nil))
	wantUnavailable(t, "sessions", b.do("GET", "/api/auth/sessions", nil))
	wantUnavailable(t, "password reset", o.api().do("POST", reset, map[string]string{"password": "a new password"}))
	p.Restore()

	eventually(t, "sign-in", 200, func() *response {
		return o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw})
	})
	eventually(t, "session", 200, func() *response { return b.do("GET", "/api/auth/session", nil) })
	o.checkReset(t, email, reset, []*client{a, b}, false)
	o.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": o.newEmail(), "password": pw}).want(t, 201, "")
}

// midReset cuts p during a password reset, just before the store call
// named, and checks that the reset left nothing half done: nothing done,
// or with done (a cut after the SQL commit) all of it.
func (o *outage) midReset(t *testing.T, call string, p *testenv.Proxy, done bool) {
	t.Helper()
	email := o.newEmail()
	a, _ := o.signUp(email, pw)
	b := o.api()
	b.bearer = b.do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw}).want(t, 200, "").str("token")
	o.api().do("POST", "/api/auth/password-reset", map[string]string{"email": email}).want(t, http.StatusAccepted, "")
	reset := "/api/auth" + linkIn(t, o.mailTo(email, "password", 1), "/password-reset/")

	o.wire.arm(call, p.Cut)
	wantUnavailable(t, "password reset cut at "+call, o.api().do("POST", reset, map[string]string{"password": "a new password"}))
	if o.wire.armed.Load() {
		t.Fatalf("the reset never reached %s", call)
	}
	p.Restore()
	pass := pw
	if done {
		pass = "a new password"
	}
	eventually(t, "sign-in", 200, func() *response {
		return o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pass})
	})
	o.checkReset(t, email, reset, []*client{a, b}, done)
}

// checkReset checks a reset that failed with a store away. Without done,
// it changed nothing: the old password signs in, the new one does not, the
// old sessions are alive and the link works, once, and then does what a
// reset does. With done, it happened entirely: the new password signs in,
// the old one does not, every old session is dead and the link is used.
func (o *outage) checkReset(t *testing.T, email, reset string, old []*client, done bool) {
	t.Helper()
	if done {
		o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
		o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": "a new password"}).want(t, 200, "")
		for _, c := range old {
			c.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		}
		o.api().do("POST", reset, map[string]string{"password": "third password"}).want(t, 400, "INVALID_TOKEN")
		return
	}
	o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": "a new password"}).want(t, 401, "INVALID_CREDENTIALS")
	o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw}).want(t, 200, "")
	for _, c := range old {
		c.do("GET", "/api/auth/session", nil).want(t, 200, "")
	}
	o.api().do("POST", reset, map[string]string{"password": "a new password"}).want(t, 200, "")
	for _, c := range old {
		c.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
	}
	o.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": "a new password"}).want(t, 200, "")
	o.api().do("POST", reset, map[string]string{"password": "third password"}).want(t, 400, "INVALID_TOKEN")
}
