package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/token"
)

// A user as a Lucia v2 application left it: its password hashed by Lucia's
// own scrypt ("s2:", from lucia@2.7.7) and one live session.
const (
	luciaUserID    = "luciauser000001"
	luciaEmail     = "lucia@example.com"
	luciaPassword  = "correct horse battery staple"
	luciaHash      = "s2:vemnxdz8c5auirhd:a24353c9a5e642465e45ddda9ea25704e278179161434737f08d8ec9181d40fc67fb031db615ac3698202033437d200e29dd33586da65b62950a55e6035582fa"
	luciaSessionID = "lucia0session0id0with0forty0characters00"
)

// lucia2DDL is Lucia v2's documented schema for the dialect, with the two
// user columns latchd needs and without name or created_at, which latchd
// then leaves out.
func lucia2DDL(dialect string, withEmail bool) []string {
	user := map[string]string{
		"sqlite":   "CREATE TABLE auth_user (id TEXT NOT NULL PRIMARY KEY%s)",
		"postgres": "CREATE TABLE auth_user (id TEXT NOT NULL PRIMARY KEY%s)",
		"mysql":    "CREATE TABLE auth_user (id VARCHAR(15) NOT NULL PRIMARY KEY%s)",
	}[dialect]
	cols := map[string]string{
		"sqlite":   ", email TEXT UNIQUE, email_verified BOOLEAN NOT NULL DEFAULT FALSE",
		"postgres": ", email TEXT UNIQUE, email_verified BOOLEAN NOT NULL DEFAULT FALSE",
		"mysql":    ", email VARCHAR(255) UNIQUE, email_verified BOOLEAN NOT NULL DEFAULT FALSE",
	}[dialect]
	if !withEmail {
		cols = ", username TEXT"
	}
	user = strings.Replace(user, "%s", cols, 1)
	switch dialect {
	case "sqlite":
		return []string{user,
			`CREATE TABLE user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, hashed_password TEXT, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
			`CREATE TABLE user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
		}
	case "postgres":
		return []string{user,
			`CREATE TABLE user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL REFERENCES auth_user(id), hashed_password TEXT)`,
			`CREATE TABLE user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL REFERENCES auth_user(id), active_expires BIGINT NOT NULL, idle_expires BIGINT NOT NULL)`,
		}
	default:
		return []string{user,
			`CREATE TABLE user_key (id VARCHAR(255) NOT NULL PRIMARY KEY, user_id VARCHAR(15) NOT NULL, hashed_password VARCHAR(255), FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
			`CREATE TABLE user_session (id VARCHAR(127) NOT NULL PRIMARY KEY, user_id VARCHAR(15) NOT NULL, active_expires BIGINT UNSIGNED NOT NULL, idle_expires BIGINT UNSIGNED NOT NULL, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
		}
	}
}

// lucia2DB is a database holding Lucia's tables, for latchd and for the
// test's own queries.
type lucia2DB struct {
	dialect string
	url     string // latchd's --database-url
	db      *sql.DB
}

func (d *lucia2DB) q(query string) string {
	if d.dialect != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + string(rune('0'+n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d *lucia2DB) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := d.db.ExecContext(context.Background(), d.q(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (d *lucia2DB) scan(t *testing.T, query string, args []any, dest ...any) {
	t.Helper()
	if err := d.db.QueryRowContext(context.Background(), d.q(query), args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// tables lists the database's tables.
func (d *lucia2DB) tables(t *testing.T) []string {
	t.Helper()
	query := map[string]string{
		"sqlite":   "SELECT name FROM sqlite_master WHERE type = 'table'",
		"postgres": "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
		"mysql":    "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
	}[d.dialect]
	rows, err := d.db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, strings.ToLower(n))
	}
	slices.Sort(names)
	return names
}

func newLucia2DB(t *testing.T, dialect, dir string) *lucia2DB {
	t.Helper()
	d := &lucia2DB{dialect: dialect}
	var driver, dsn string
	switch dialect {
	case "sqlite":
		path := filepath.Join(dir, "lucia.db")
		driver, dsn, d.url = "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)", "sqlite:"+path
	case "postgres":
		u := testenv.Postgres(t)
		driver, dsn, d.url = "pgx", u, u
	case "mysql":
		m := testenv.MySQL(t)
		driver, dsn, d.url = "mysql", m, mysqlURL(t, m)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d.db = db
	return d
}

// TestLucia2Schema runs latchd on a Lucia v2 database as a Lucia
// application left it, on each SQL backend: latchd migrate adds only its
// own tables (tokens, attempt counters, factors, disabled users); Lucia's sessions and s2 hashes work; what latchd writes
// (users, keys, sessions) is in Lucia's tables in Lucia's formats; a
// password reset works and revokes the Lucia session.
func TestLucia2Schema(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			d := newLucia2DB(t, dialect, dir)
			for _, stmt := range lucia2DDL(dialect, true) {
				d.exec(t, stmt)
			}
			far := time.Now().Add(24 * time.Hour).UnixMilli()
			d.exec(t, "INSERT INTO auth_user (id, email, email_verified) VALUES (?, ?, ?)", luciaUserID, luciaEmail, true)
			d.exec(t, "INSERT INTO user_key (id, user_id, hashed_password) VALUES (?, ?, ?)", "email:"+luciaEmail, luciaUserID, luciaHash)
			d.exec(t, "INSERT INTO user_session (id, user_id, active_expires, idle_expires) VALUES (?, ?, ?, ?)", luciaSessionID, luciaUserID, far, far)
			before := d.tables(t)

			env := []string{"LATCH_DATABASE_URL=" + d.url, "LATCH_SCHEMA=lucia2"}
			if code, out, errOut := runCmd(t, dir, "", append([]string{"migrate"}, envFlags(env)...)...); code != 0 {
				t.Fatalf("latchd migrate: exit %d\n%s\n%s", code, out, errOut)
			}
			var added []string
			for _, n := range d.tables(t) {
				if !slices.Contains(before, n) {
					added = append(added, n)
				}
			}
			if !slices.Equal(added, []string{"latch_activity", "latch_factor", "latch_token", "latch_token_attempt", "latch_user_disabled"}) {
				t.Errorf("latchd migrate added the tables %v, want only latch_activity, latch_factor, latch_token, latch_token_attempt and latch_user_disabled", added)
			}

			s := start(t, dir, env...)
			c := http.DefaultClient
			lucia := []string{"Cookie", "auth_session=" + luciaSessionID}
			if st, body := call(t, c, "GET", s.url+"/api/auth/session", nil, lucia...); st != 200 || str(body, "user", "email") != luciaEmail {
				t.Fatalf("the Lucia session: %d %v", st, body)
			}
			if st, body := call(t, c, "POST", s.url+"/api/auth/sign-in", map[string]string{"email": luciaEmail, "password": luciaPassword}); st != 200 {
				t.Fatalf("sign-in with Lucia's s2 hash: %d %v", st, body)
			}

			// A user made by latchd is a Lucia user.
			const email, password = "new@example.com", "a new user's password"
			st, body := call(t, c, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": email, "password": password, "name": "New"})
			if st != 201 {
				t.Fatalf("sign-up: %d %v", st, body)
			}
			st, body = call(t, c, "POST", s.url+"/api/auth/sign-in", map[string]string{"email": email, "password": password})
			if st != 200 {
				t.Fatalf("sign-in: %d %v", st, body)
			}
			tok := str(body, "token")
			// The security activity record lives in latch_activity.
			if st, body := call(t, c, "GET", s.url+"/api/auth/activity", nil, "Authorization", "Bearer "+tok); st != 200 || !strings.Contains(fmt.Sprint(body["events"]), "sign-in") {
				t.Errorf("activity: %d %v", st, body)
			}
			var userID, hash string
			var verified bool
			d.scan(t, "SELECT u.id, u.email_verified, k.hashed_password FROM auth_user u JOIN user_key k ON k.user_id = u.id WHERE u.email = ?", []any{email}, &userID, &verified, &hash)
			if verified || !strings.HasPrefix(hash, "s2:") || len(userID) != 15 {
				t.Errorf("the new user in auth_user/user_key: id %q, email_verified %v, hash %.3s…; want a 15-character id, false, s2:", userID, verified, hash)
			}
			var sessions int
			d.scan(t, "SELECT COUNT(*) FROM user_session WHERE id = ? AND user_id = ?", []any{tok, userID}, &sessions)
			if sessions != 1 || len(tok) != 40 {
				t.Errorf("the session token %d characters, %d rows with it as id in user_session; want Lucia's 40-character id, stored as it is", len(tok), sessions)
			}

			// A password reset: the link's token lives in latch_token; the
			// reset revokes the Lucia session and the new password is s2.
			var open, tokens int
			// Reset tokens only: the sign-up's verification tokens are
			// written by an outbox job that may run at any moment here.
			const resets = "SELECT COUNT(*) FROM latch_token WHERE kind = 'password-reset'"
			d.scan(t, resets, nil, &open)
			if st, _ := call(t, c, "POST", s.url+"/api/auth/password-reset", map[string]string{"email": luciaEmail}); st != 202 {
				t.Fatalf("reset request: %d", st)
			}
			m := waitMail(t, s.url, 2)
			d.scan(t, resets, nil, &tokens)
			if tokens != open+1 {
				t.Errorf("latch_token holds %d rows after the reset request, want %d", tokens, open+1)
			}
			link := lastSegment(linkWith(t, m.Text, "/password-reset/"))
			if st, body := call(t, c, "POST", s.url+"/api/auth/password-reset/"+link, map[string]string{"password": "after the reset"}); st != 200 {
				t.Fatalf("reset: %d %v", st, body)
			}
			if st, _ := call(t, c, "GET", s.url+"/api/auth/session", nil, lucia...); st != 401 {
				t.Errorf("the Lucia session after the reset: %d, want 401", st)
			}
			d.scan(t, "SELECT hashed_password FROM user_key WHERE id = ?", []any{"email:" + luciaEmail}, &hash)
			if !strings.HasPrefix(hash, "s2:") || hash == luciaHash {
				t.Errorf("the reset password's hash %.3s…: want a new s2 hash", hash)
			}
			d.scan(t, resets, nil, &tokens)
			if tokens != open {
				t.Errorf("latch_token holds %d rows after the reset, want %d: the reset token consumed", tokens, open)
			}
			s.stop(t)
		})
	}
}

// TestLucia2SchemaWithoutEmail: a Lucia database whose users have no email
// columns is refused at start, saying what to add.
func TestLucia2SchemaWithoutEmail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := newLucia2DB(t, "sqlite", dir)
	for _, stmt := range lucia2DDL("sqlite", false) {
		d.exec(t, stmt)
	}
	code, _, errOut := runCmd(t, dir, "", "migrate", "--database-url", d.url, "--schema", "lucia2")
	if code != 1 || !strings.Contains(errOut, "email, email_verified") || !strings.Contains(errOut, "ALTER TABLE") {
		t.Errorf("latchd migrate on a Lucia database without email columns: exit %d\n%s", code, errOut)
	}
}

// TestLucia2SessionAMR: latchd keeps a session's sign-in methods on a Lucia
// database whose session table has an amr column, and says at start what
// is lost without one. With the column (and --require-2fa, which needs
// it), a TOTP user's session after the second step is AAL 2 and may allow
// a CLI app; without it, the start-up warning names the ALTER TABLE, the
// same session is AAL 1 and the consent page refuses it. On each SQL
// backend, with the ALTER TABLE the warning names for it.
func TestLucia2SessionAMR(t *testing.T) {
	type setup struct {
		name       string
		dialect    string
		alter      string // the statement that adds amr on this dialect
		column     bool
		aal        float64
		consent    int
		logLine    string
		require2FA string
	}
	var setups []setup
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		// The statement latchd's warning names, run here as an operator would.
		alter := "ALTER TABLE user_session ADD COLUMN amr TEXT"
		if dialect == "mysql" {
			alter = "ALTER TABLE user_session ADD COLUMN amr VARCHAR(255)"
		}
		setups = append(setups,
			setup{dialect + "/with amr", dialect, alter, true, 2, http.StatusOK, "sessions keep their sign-in methods (AMR) in user_session.amr", "LATCH_REQUIRE_2FA=true"},
			setup{dialect + "/without amr", dialect, alter, false, 1, http.StatusForbidden, alter, "LATCH_REQUIRE_2FA=false"})
	}
	for _, tt := range setups {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			d := newLucia2DB(t, tt.dialect, dir)
			for _, stmt := range lucia2DDL(tt.dialect, true) {
				d.exec(t, stmt)
			}
			if tt.column {
				d.exec(t, tt.alter)
			}
			env := []string{"LATCH_DATABASE_URL=" + d.url, "LATCH_SCHEMA=lucia2", tt.require2FA}
			if code, out, errOut := runCmd(t, dir, "", append([]string{"migrate"}, envFlags(env)...)...); code != 0 {
				t.Fatalf("latchd migrate: exit %d\n%s\n%s", code, out, errOut)
			}
			s := start(t, dir, env...)
			if !s.logged(tt.logLine) {
				t.Errorf("latchd's start-up log does not say %q:\n%s", tt.logLine, s.stderr)
			}

			session := totpSession(t, s.url, "amr@example.com", "a lucia user with totp")
			bearer := []string{"Authorization", "Bearer " + session}
			st, body := call(t, http.DefaultClient, "GET", s.url+"/api/auth/session", nil, bearer...)
			if st != 200 || body["session"].(map[string]any)["aal"] != tt.aal {
				t.Fatalf("the session after the TOTP step: %d %v, want aal %v", st, body, tt.aal)
			}
			if tt.column {
				// --require-2fa lets the AAL 2 session past enrolment.
				if st, body := call(t, http.DefaultClient, "GET", s.url+"/api/auth/sessions", nil, bearer...); st != 200 {
					t.Errorf("GET sessions with --require-2fa at AAL 2: %d %v", st, body)
				}
			}

			// The browser holding that session (Lucia's cookie) on the
			// consent page of a CLI app.
			const redirect = "http://127.0.0.1:53682/callback"
			verifier := strings.Repeat("v", 43)
			p := url.Values{
				"redirect_uri": {redirect}, "state": {"st4te"}, "client_name": {"Test CLI"},
				"code_challenge": {token.CodeChallengeS256(verifier)}, "code_challenge_method": {"S256"},
			}
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			page := func(method string, body io.Reader) *http.Response {
				t.Helper()
				u := s.url + "/cli/authorize"
				if method == "GET" {
					u += "?" + p.Encode()
				}
				req, err := http.NewRequest(method, u, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Cookie", "auth_session="+session)
				if method == "POST" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Origin", s.url)
				}
				res, err := noFollow.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res
			}
			if res := page("GET", nil); res.StatusCode != tt.consent {
				t.Fatalf("the consent page: %d, want %d", res.StatusCode, tt.consent)
			}
			form := url.Values{"decision": {"allow"}}
			for k := range p {
				form.Set(k, p.Get(k))
			}
			res := page("POST", strings.NewReader(form.Encode()))
			if !tt.column {
				if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" {
					t.Fatalf("allowing the app at AAL 1: %d Location %q, want 403", res.StatusCode, res.Header.Get("Location"))
				}
				s.stop(t)
				return
			}
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("allowing the app: %d, want 303", res.StatusCode)
			}
			loc, err := url.Parse(res.Header.Get("Location"))
			if err != nil || loc.Query().Get("code") == "" {
				t.Fatalf("allowing the app: Location %q, want the redirect with a code", res.Header.Get("Location"))
			}
			st, body = call(t, http.DefaultClient, "POST", s.url+"/api/auth/cli/token", map[string]string{"code": loc.Query().Get("code"), "code_verifier": verifier, "redirect_uri": redirect})
			if st != 200 || str(body, "token") == "" {
				t.Fatalf("the app's code exchange: %d %v", st, body)
			}
			app := []string{"Authorization", "Bearer " + str(body, "token")}
			if st, body := call(t, http.DefaultClient, "GET", s.url+"/api/auth/session", nil, app...); st != 200 || body["session"].(map[string]any)["aal"] != float64(2) {
				t.Errorf("the app's session: %d %v, want aal 2 (the browser session's)", st, body)
			}
			s.stop(t)
		})
	}
}

// totpSession signs a new user up at base, enrols TOTP and signs in again
// with the password and the next time step's code; it returns the bearer
// token of that session.
func totpSession(t *testing.T, base, email, password string) string {
	t.Helper()
	c := http.DefaultClient
	st, body := call(t, c, "POST", base+"/api/auth/sign-up", map[string]string{"email": email, "password": password})
	if st != 201 {
		t.Fatalf("sign-up: %d %v", st, body)
	}
	auth := []string{"Authorization", "Bearer " + str(body, "token")}
	st, body = call(t, c, "POST", base+"/api/auth/step-up", map[string]string{"action": "add-factor", "method": "password", "password": password}, auth...)
	if st != 200 {
		t.Fatalf("step-up: %d %v", st, body)
	}
	st, body = call(t, c, "POST", base+"/api/auth/two-factor/totp", map[string]string{"stepUpToken": str(body, "stepUpToken")}, auth...)
	if st != 200 {
		t.Fatalf("TOTP enrolment: %d %v", st, body)
	}
	secret := str(body, "secret")
	code := func(at time.Time) string {
		t.Helper()
		c, err := mfa.TOTPCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Now()
	if st, body := call(t, c, "POST", base+"/api/auth/two-factor/totp/confirm", map[string]string{"code": code(now)}, auth...); st != 200 {
		t.Fatalf("TOTP confirmation: %d %v", st, body)
	}
	st, body = call(t, c, "POST", base+"/api/auth/sign-in", map[string]string{"email": email, "password": password})
	if st != 200 || str(body, "pendingToken") == "" {
		t.Fatalf("sign-in: %d %v, want the second step", st, body)
	}
	// The confirmation spent this step's code; one step of drift is
	// allowed, so the next step's code is good now.
	st, body = call(t, c, "POST", base+"/api/auth/two-factor/verify", map[string]string{"method": "totp", "code": code(now.Add(30 * time.Second)), "pendingToken": str(body, "pendingToken")})
	if st != 200 || str(body, "token") == "" {
		t.Fatalf("the TOTP step: %d %v", st, body)
	}
	return str(body, "token")
}
