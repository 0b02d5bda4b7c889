package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/luciajs"
)

// lucia2IntDDL is Lucia v2's schema as its SQLite guide makes it, with
// email_verified an INTEGER, and the PostgreSQL and MySQL equivalents
// (integer, TINYINT); created_at holds Unix milliseconds, as a JavaScript
// app's Date.now() writes it. The VARCHAR columns are short, for the length
// checks.
func lucia2IntDDL(dialect string) []string {
	ddl := lucia2DDL(dialect, true)
	cols := map[string]string{
		"sqlite":   ", email TEXT NOT NULL UNIQUE, email_verified INTEGER NOT NULL, created_at INTEGER",
		"postgres": ", email TEXT NOT NULL UNIQUE, email_verified INTEGER NOT NULL, created_at BIGINT, name VARCHAR(20)",
		"mysql":    ", email VARCHAR(100) NOT NULL UNIQUE, email_verified TINYINT NOT NULL, created_at BIGINT, name VARCHAR(20)",
	}[dialect]
	i := strings.Index(ddl[0], ", email ")
	ddl[0] = ddl[0][:i] + cols + ")"
	return ddl
}

// luciaJSDB is how the Node helper reaches the test's database.
func luciaJSDB(t *testing.T, d *lucia2DB) map[string]any {
	t.Helper()
	switch d.dialect {
	case "sqlite":
		return map[string]any{"dialect": "sqlite", "file": strings.TrimPrefix(d.url, "sqlite:")}
	case "postgres":
		u, err := url.Parse(d.url)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		schema := q.Get("search_path")
		q.Del("search_path")
		u.RawQuery = q.Encode()
		return map[string]any{"dialect": "postgres", "connectionString": u.String(), "schema": schema}
	}
	u, err := url.Parse(d.url) // mysql://user:password@host:port/database
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	return map[string]any{"dialect": "mysql", "host": u.Hostname(), "port": port, "user": u.User.Username(), "password": password,
		"database": strings.TrimPrefix(u.Path, "/")}
}

// TestLucia2IntegerBooleans runs latchd and the real Lucia v2 on one
// database whose booleans are integers, on each SQL backend: Lucia's user
// signs in through latchd; latchd signs up a user (0 stored), verifies its
// email (1 stored) and reports emailVerified; Lucia reads both users'
// email_verified right with Boolean(x). Sign-up answered 400 before.
func TestLucia2IntegerBooleans(t *testing.T) {
	luciajs.Need(t)
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			d := newLucia2DB(t, dialect, dir)
			for _, stmt := range lucia2IntDDL(dialect) {
				d.exec(t, stmt)
			}
			lucia := func(commands ...map[string]any) []luciajs.Result {
				t.Helper()
				return luciajs.Run(t, luciajs.Request{
					DB:       luciaJSDB(t, d),
					Tables:   map[string]string{"user": "auth_user", "key": "user_key", "session": "user_session"},
					Booleans: []string{"email_verified"},
					Commands: commands,
				})
			}
			ok := func(what string, r luciajs.Result) luciajs.Result {
				t.Helper()
				if r.Error != nil {
					t.Fatalf("Lucia %s: %s: %s", what, r.Error.Code, r.Error.Message)
				}
				return r
			}

			// Lucia's user, verified (1), with a password and a session.
			const luciaPW = "lucia's own password"
			res := lucia(
				map[string]any{"op": "createUser", "providerId": "email", "providerUserId": luciaEmail, "password": luciaPW,
					"attributes": map[string]any{"email": luciaEmail, "email_verified": 1, "created_at": time.Now().UnixMilli()}},
				map[string]any{"op": "createSession", "userId": "$user"},
			)
			lu, ls := ok("createUser", res[0]), ok("createSession", res[1])

			env := []string{"LATCH_DATABASE_URL=" + d.url, "LATCH_SCHEMA=lucia2"}
			if code, out, errOut := runCmd(t, dir, "", append([]string{"migrate"}, envFlags(env)...)...); code != 0 {
				t.Fatalf("latchd migrate: exit %d\n%s\n%s", code, out, errOut)
			}
			s := start(t, dir, env...)
			c := http.DefaultClient
			if st, body := call(t, c, "GET", s.url+"/api/auth/session", nil, "Cookie", "auth_session="+ls.SessionID); st != 200 ||
				body["user"].(map[string]any)["emailVerified"] != true {
				t.Fatalf("Lucia's session through latchd: %d %v, want its user with emailVerified true", st, body)
			}
			if st, body := call(t, c, "POST", s.url+"/api/auth/sign-in", map[string]string{"email": luciaEmail, "password": luciaPW}); st != 200 {
				t.Fatalf("sign-in of Lucia's user through latchd: %d %v", st, body)
			}

			// latchd signs up a user, then verifies its address.
			const email, password = "new@example.com", "a new user's password"
			st, body := call(t, c, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": email, "password": password})
			if st != 201 || body["user"].(map[string]any)["emailVerified"] != false {
				t.Fatalf("sign-up: %d %v, want 201 with emailVerified false", st, body)
			}
			tok := str(body, "token")
			var verified, created int64
			d.scan(t, "SELECT email_verified, created_at FROM auth_user WHERE email = ?", []any{email}, &verified, &created)
			if verified != 0 || time.Since(time.UnixMilli(created)).Abs() > time.Hour {
				t.Errorf("the new user's email_verified %d, created_at %d: want 0 and Unix milliseconds of now", verified, created)
			}
			newUser := ok("getUser of latchd's user", lucia(map[string]any{"op": "validateSession", "sessionId": tok})[0])
			if newUser.User["email_verified"] != false || newUser.User["email"] != email {
				t.Errorf("Lucia reads latchd's new user as %v, want email_verified false", newUser.User)
			}
			code := codeRE.FindString(waitMail(t, s.url, 1).Text)
			if st, body := call(t, c, "POST", s.url+"/api/auth/email-verification/verify", map[string]string{"code": code}, "Authorization", "Bearer "+tok); st != 200 {
				t.Fatalf("verifying the email: %d %v", st, body)
			}
			d.scan(t, "SELECT email_verified FROM auth_user WHERE email = ?", []any{email}, &verified)
			if verified != 1 {
				t.Errorf("email_verified %d after verifying, want 1", verified)
			}
			if st, body := call(t, c, "GET", s.url+"/api/auth/session", nil, "Authorization", "Bearer "+tok); st != 200 ||
				body["user"].(map[string]any)["emailVerified"] != true {
				t.Errorf("session after verifying: %d %v, want emailVerified true", st, body)
			}
			res = lucia(
				map[string]any{"op": "validateSession", "sessionId": tok},
				map[string]any{"op": "getUser", "userId": lu.UserID},
			)
			if u := ok("validateSession of latchd's user", res[0]).User; u["email_verified"] != true {
				t.Errorf("Lucia reads latchd's verified user as %v, want email_verified true", u)
			}
			if u := ok("getUser of its own user", res[1]).User; u["email_verified"] != true {
				t.Errorf("Lucia reads its own user as %v, want email_verified true", u)
			}

			// Input longer than its VARCHAR column is the client's error,
			// said with the limit before anything is written (the
			// database's refusal would be the server's, a 500).
			if dialect != "sqlite" { // SQLite does not enforce VARCHAR(n)
				st, body := call(t, c, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": "x@example.com", "password": password, "name": strings.Repeat("n", 21)})
				if st != 400 || str(body, "error", "code") != "INVALID_NAME" || !strings.Contains(str(body, "error", "message"), "20") {
					t.Errorf("sign-up with a 21-character name: %d %v, want 400 INVALID_NAME naming the limit", st, body)
				}
			}
			if dialect == "mysql" {
				long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 40) + ".com"
				st, body := call(t, c, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": long, "password": password})
				if st != 400 || str(body, "error", "code") != "INVALID_EMAIL" || !strings.Contains(str(body, "error", "message"), "100") {
					t.Errorf("sign-up with a %d-character address: %d %v, want 400 INVALID_EMAIL naming the limit", len(long), st, body)
				}
			}
			s.stop(t)
		})
	}
}

// TestLucia2SchemaTypes: latchd starts on every column type it can write
// and refuses, naming the column, its type and the fix, one it cannot.
func TestLucia2SchemaTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cols string
		want []string // in the error; none: accepted
		// session is the session table's extra columns.
		session string
	}{
		{", email TEXT UNIQUE, email_verified INTEGER", nil, ", latch_created_at INTEGER"},
		{", email TEXT UNIQUE, email_verified INTEGER", []string{"latch_created_at", "BOOLEAN", "DATETIME, INTEGER"}, ", latch_created_at BOOLEAN"},
		{", email TEXT UNIQUE, email_verified INTEGER NOT NULL DEFAULT 0, name VARCHAR(100), created_at INTEGER", nil, ""},
		{", email TEXT UNIQUE, email_verified BOOLEAN, name TEXT, created_at TEXT", nil, ""},
		{", email TEXT UNIQUE, email_verified TINYINT(1), created_at DATETIME", nil, ""},
		{", email TEXT UNIQUE, email_verified TEXT", []string{"email_verified", "TEXT", "INTEGER or BOOLEAN"}, ""},
		{", email INTEGER UNIQUE, email_verified BOOLEAN", []string{"column email ", "INTEGER", "goes in TEXT"}, ""},
		{", email TEXT UNIQUE, email_verified BOOLEAN, created_at BOOLEAN", []string{"created_at", "BOOLEAN", "DATETIME, INTEGER (Unix milliseconds) or TEXT"}, ""},
		{", email TEXT UNIQUE, email_verified BOOLEAN, name REAL", []string{"column name ", "REAL", "goes in TEXT"}, ""},
		// Accepted with a warning: sign-in works, sign-up cannot.
		{", email TEXT UNIQUE, email_verified BOOLEAN, username TEXT NOT NULL", nil, ""},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		d := newLucia2DB(t, "sqlite", dir)
		ddl := lucia2DDL("sqlite", false)
		ddl[0] = strings.Replace(ddl[0], ", username TEXT", tc.cols, 1)
		ddl[2] = strings.Replace(ddl[2], ", FOREIGN KEY", tc.session+", FOREIGN KEY", 1)
		for _, stmt := range ddl {
			d.exec(t, stmt)
		}
		code, _, errOut := runCmd(t, dir, "", "migrate", "--database-url", d.url, "--schema", "lucia2")
		if tc.want == nil {
			if code != 0 {
				t.Errorf("latchd migrate on auth_user (id%s), user_session (…%s): exit %d, want it accepted\n%s", tc.cols, tc.session, code, errOut)
			}
			warned := strings.Contains(errOut, "column username is NOT NULL without a default")
			if want := strings.Contains(tc.cols, "NOT NULL,") || strings.HasSuffix(tc.cols, "username TEXT NOT NULL"); warned != want {
				t.Errorf("latchd migrate on auth_user (id%s): warned about username %v, want %v\n%s", tc.cols, warned, want, errOut)
			}
			continue
		}
		if code != 1 {
			t.Errorf("latchd migrate on auth_user (id%s): exit %d, want 1", tc.cols, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("latchd migrate on auth_user (id%s): the error does not say %q:\n%s", tc.cols, w, errOut)
			}
		}
	}
}
