package main

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/mfa"
)

// TestScaleOut runs two latchd processes on one SQL database (and, for
// PostgreSQL, one Redis for sessions, tokens and throttling; on MariaDB
// alone the throttle counts are in the database), as two instances of one
// service behind a load balancer would run.
func TestScaleOut(t *testing.T) {
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		redisURL, prefix := testenv.Redis(t)
		t.Cleanup(func() { deleteKeys(t, redisURL, prefix) })
		scaleOut(t, "LATCH_DATABASE_URL="+testenv.Postgres(t), "LATCH_REDIS_URL="+redisURL, "LATCH_REDIS_PREFIX="+prefix)
	})
	t.Run("mysql", func(t *testing.T) {
		t.Parallel()
		scaleOut(t, "LATCH_DATABASE_URL="+mysqlURL(t, testenv.MySQL(t)))
	})
}

// mysqlURL turns a driver DSN into the mysql:// URL latchd takes.
func mysqlURL(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "mysql", User: url.UserPassword(cfg.User, cfg.Passwd), Host: cfg.Addr, Path: "/" + cfg.DBName}
	if cfg.Passwd == "" {
		u.User = url.User(cfg.User)
	}
	return u.String()
}

func scaleOut(t *testing.T, env ...string) {
	dir := t.TempDir()
	if code, out, errOut := runCmd(t, dir, "", append([]string{"migrate"}, envFlags(env)...)...); code != 0 {
		t.Fatalf("latchd migrate: exit %d\n%s\n%s", code, out, errOut)
	}
	key, err := mfa.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	env = append(env, "LATCH_SECRET_KEY="+key)
	a := start(t, dir, env...)
	b := start(t, dir, env...)
	c := http.DefaultClient

	// Sign up on a, sign in on b.
	const email, password = "scale@example.com", "scale out password"
	if st, body := call(t, c, "POST", a.url+"/api/auth/sign-up", map[string]string{"email": email, "password": password}); st != 201 {
		t.Fatalf("sign-up on a: %d %v", st, body)
	}
	st, body := call(t, c, "POST", b.url+"/api/auth/sign-in", map[string]string{"email": email, "password": password})
	if st != 200 {
		t.Fatalf("sign-in on b: %d %v", st, body)
	}
	fromB := []string{"Authorization", "Bearer " + str(body, "token")}

	// A session made on a is good on b; revoked on b, it is dead on a at once.
	st, body = call(t, c, "POST", a.url+"/api/auth/sign-in", map[string]string{"email": email, "password": password})
	if st != 200 {
		t.Fatalf("sign-in on a: %d %v", st, body)
	}
	fromA := []string{"Authorization", "Bearer " + str(body, "token")}
	if st, body := call(t, c, "GET", b.url+"/api/auth/session", nil, fromA...); st != 200 || str(body, "user", "email") != email {
		t.Fatalf("a's session on b: %d %v", st, body)
	}
	if st, _ := call(t, c, "POST", b.url+"/api/auth/sign-out", nil, fromA...); st != 204 {
		t.Fatalf("sign-out of a's session on b: %d", st)
	}
	if st, _ := call(t, c, "GET", a.url+"/api/auth/session", nil, fromA...); st != 401 {
		t.Fatalf("a's session on a after sign-out on b: %d, want 401", st)
	}
	if st, _ := call(t, c, "GET", a.url+"/api/auth/session", nil, fromB...); st != 200 {
		t.Fatalf("b's session on a: %d", st)
	}

	// One reset link, 200 concurrent uses split across a and b: one wins.
	if st, _ := call(t, c, "POST", a.url+"/api/auth/password-reset", map[string]string{"email": email}); st != 202 {
		t.Fatalf("reset request on a: %d", st)
	}
	// The instances share one outbox queue: either one's worker may send
	// the mail, into its own dev outbox.
	mail := waitMailWith(t, "/password-reset/", a.url, b.url)
	tok := lastSegment(linkWith(t, mail.Text, "/password-reset/"))
	const n = 200
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for i := range n {
		base := a.url
		if i%2 == 1 {
			base = b.url
		}
		wg.Go(func() {
			st, _ := call(t, c, "POST", base+"/api/auth/password-reset/"+tok, map[string]string{"password": "the new password"})
			mu.Lock()
			statuses[st]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[400] != n-1 {
		t.Fatalf("%d concurrent uses of one reset link: statuses %v, want one 200 and %d 400", n, statuses, n-1)
	}
	// The reset revoked every session, b's included, on both instances.
	if st, _ := call(t, c, "GET", a.url+"/api/auth/session", nil, fromB...); st != 401 {
		t.Errorf("b's session on a after the reset: %d, want 401", st)
	}
	if st, _ := call(t, c, "POST", b.url+"/api/auth/sign-in", map[string]string{"email": email, "password": "the new password"}); st != 200 {
		t.Errorf("sign-in on b with the new password: %d", st)
	}

	lockedAcross(t, c, a.url, b.url, email, "the new password")
	twoFactorAcross(t, a.url, b.url)
	a.stop(t)
	b.stop(t)
}

// envFlags turns LATCH_X=v settings into --x=v flags.
func envFlags(env []string) []string {
	var out []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "LATCH_")), "_", "-")
		out = append(out, "--"+name+"="+v)
	}
	return out
}

func TestMySQLDSN(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"mysql://root@127.0.0.1/test", "root@tcp(127.0.0.1:3306)/test", ""},
		{"mysql://u:p%40ss@db.example:3307/app?tls=true", "u:p@ss@tcp(db.example:3307)/app?tls=true", ""},
		{"mysql://root@127.0.0.1/", "", "want mysql://"},
		{"mysql:///test", "", "want mysql://"},
		{"mysql://root@127.0.0.1/a/b", "", "want mysql://"},
		{"mysql://root@127.0.0.1/test?timeout=banana", "", "parameters"},
	} {
		got, err := mysqlDSN(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("mysqlDSN(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("mysqlDSN(%q) error %v, want one containing %q", tc.in, err, tc.err)
		}
	}
}
