package lucia2_test

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/luciajs"
	"github.com/latchauth/latch/store/lucia2"
)

// needLuciaJS skips the test, or fails it under
// LATCH_TEST_REQUIRE_SERVICES=1, when node cannot run the helper.
func needLuciaJS(t *testing.T) { luciajs.Need(t) }

// luciaDB is how the helper reaches the backend's database.
func luciaDB(t *testing.T, b *backend) map[string]any {
	t.Helper()
	switch b.dialect {
	case lucia2.SQLite:
		return map[string]any{"dialect": "sqlite", "file": b.dsn}
	case lucia2.Postgres:
		u, err := url.Parse(b.dsn)
		must(t, "parsing the PostgreSQL URL", err)
		q := u.Query()
		schema := q.Get("search_path")
		q.Del("search_path")
		u.RawQuery = q.Encode()
		return map[string]any{"dialect": "postgres", "connectionString": u.String(), "schema": schema}
	case lucia2.MySQL:
		cfg, err := gomysql.ParseDSN(b.dsn)
		must(t, "parsing the MySQL DSN", err)
		host, port, err := net.SplitHostPort(cfg.Addr)
		must(t, "parsing the MySQL address", err)
		p, err := strconv.Atoi(port)
		must(t, "parsing the MySQL port", err)
		return map[string]any{"dialect": "mysql", "host": host, "port": p, "user": cfg.User, "password": cfg.Passwd, "database": cfg.DBName}
	}
	t.Fatalf("unknown dialect %s", b.dialect)
	return nil
}

// luciaResult is one command's result from the helper.
type luciaResult = luciajs.Result

// lucia runs commands through the real Lucia v2 on the backend's tables.
func lucia(t *testing.T, b *backend, commands ...map[string]any) []luciaResult {
	t.Helper()
	return luciajs.Run(t, luciajs.Request{
		DB:       luciaDB(t, b),
		Tables:   map[string]string{"user": b.userTable, "key": lucia2.DefaultKeyTable, "session": lucia2.DefaultSessionTable},
		Commands: commands,
	})
}

// ok returns the result, failing the test when Lucia threw.
func ok(t *testing.T, what string, r luciaResult) luciaResult {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("Lucia %s: %s: %s", what, r.Error.Code, r.Error.Message)
	}
	return r
}

// luciaErr checks that Lucia threw the LuciaError code.
func luciaErr(t *testing.T, what string, r luciaResult, code string) {
	t.Helper()
	if r.Error == nil || r.Error.Code != code {
		t.Errorf("Lucia %s: got %+v, want error %s", what, r, code)
	}
}

// TestLuciaRoundTrip proves, on each dialect, that the real Lucia v2 and
// Latch's lucia2 store over latch.ProfileLucia2 read what the other wrote:
// users, password keys (Lucia's s2 scrypt hashes), sessions (plain ids)
// and their renewal, and deletions.
func TestLuciaRoundTrip(t *testing.T) {
	needLuciaJS(t)
	forEach(t, func(t *testing.T, b *backend) {
		b.exec(t, docsSchema(b)...)
		s := b.open(t) // with Latch's token tables, which Lucia must live with
		c := ctx(t)
		auth, err := latch.New(latch.Config{Store: s, Profile: latch.ProfileLucia2})
		must(t, "latch.New", err)

		// Lucia writes a user with a password key, and a session.
		const luciaPW = "lucia's password ✓"
		res := lucia(t, b,
			map[string]any{"op": "createUser", "providerId": "email", "providerUserId": "lucia@example.com", "password": luciaPW,
				"attributes": map[string]any{"email": "lucia@example.com", "username": "lucia"}},
			map[string]any{"op": "createSession", "userId": "$user"},
		)
		lu, ls := ok(t, "createUser", res[0]), ok(t, "createSession", res[1])
		if len(lu.UserID) != 15 || ls.UserID != lu.UserID || len(ls.SessionID) != 40 {
			t.Fatalf("Lucia wrote user %q and session %q of %q", lu.UserID, ls.SessionID, ls.UserID)
		}

		// Latch validates Lucia's session and accepts Lucia's password.
		v, err := auth.ValidateSession(c, ls.SessionID)
		must(t, "Latch ValidateSession of Lucia's session", err)
		if v.ID != ls.SessionID || v.UserID != lu.UserID || v.State != latch.StateActive ||
			v.IdleExpires.UnixMilli() != ls.IdlePeriodExpiresAt || v.ActiveExpires.UnixMilli() != ls.ActivePeriodExpiresAt {
			t.Errorf("Latch ValidateSession = %+v, want Lucia's session %+v", v, ls)
		}
		checkAttrs(t, "Lucia's user read by Latch", v.User.Attributes, latch.Attributes{"email": "lucia@example.com", "username": "lucia"})
		k, err := auth.UseKey(c, "email", "lucia@example.com", ptr(luciaPW))
		must(t, "Latch UseKey with Lucia's password", err)
		if k.UserID != lu.UserID || !k.PasswordDefined {
			t.Errorf("Latch UseKey = %+v", k)
		}
		_, err = auth.UseKey(c, "email", "lucia@example.com", ptr("wrong"))
		wantIs(t, "Latch UseKey with a wrong password", err, latch.ErrInvalidPassword)
		rec, err := s.GetKey(c, "email:lucia@example.com")
		must(t, "GetKey", err)
		if rec.HashedPassword == nil || !strings.HasPrefix(*rec.HashedPassword, "s2:") {
			t.Errorf("Lucia's hash %v, want s2:…", rec.HashedPassword)
		}

		// Latch writes a user with a password key, and a session.
		const latchPW = "latch's password ✓"
		lt, err := auth.CreateUser(c, latch.CreateUserOptions{
			Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: "latch@example.com", Password: ptr(latchPW)},
			Attributes: latch.Attributes{"email": "latch@example.com", "username": "latch"},
		})
		must(t, "Latch CreateUser", err)
		sess, err := auth.CreateSession(c, latch.CreateSessionOptions{UserID: lt.ID})
		must(t, "Latch CreateSession", err)
		rec, err = s.GetKey(c, "email:latch@example.com")
		must(t, "GetKey", err)
		if rec.HashedPassword == nil || !strings.HasPrefix(*rec.HashedPassword, "s2:") {
			t.Errorf("Latch's hash in the lucia2 profile %v, want s2:…", rec.HashedPassword)
		}

		// Lucia accepts Latch's password and validates Latch's session.
		res = lucia(t, b,
			map[string]any{"op": "useKey", "providerId": "email", "providerUserId": "latch@example.com", "password": latchPW},
			map[string]any{"op": "useKey", "providerId": "email", "providerUserId": "latch@example.com", "password": "wrong"},
			map[string]any{"op": "validateSession", "sessionId": sess.Token},
		)
		key := ok(t, "useKey of Latch's key", res[0])
		if key.UserID != lt.ID || !key.PasswordDefined || key.ProviderUserID != "latch@example.com" {
			t.Errorf("Lucia useKey = %+v", key)
		}
		luciaErr(t, "useKey with a wrong password", res[1], "AUTH_INVALID_PASSWORD")
		vs := ok(t, "validateSession of Latch's session", res[2])
		if vs.SessionID != sess.Token || vs.UserID != lt.ID || vs.State != "active" || vs.Fresh ||
			vs.IdlePeriodExpiresAt != sess.IdleExpires.UnixMilli() {
			t.Errorf("Lucia validateSession = %+v, want Latch's session %+v", vs, sess)
		}
		if vs.User["email"] != "latch@example.com" || vs.User["username"] != "latch" {
			t.Errorf("Latch's user read by Lucia: %v", vs.User)
		}

		// An idle session is renewed by either, and the other sees it.
		now := time.Now()
		must(t, "UpdateSessionExpiry", s.UpdateSessionExpiry(c, sess.ID, now.Add(-time.Minute).UnixMilli(), now.Add(time.Hour).UnixMilli()))
		vs = ok(t, "validateSession of an idle session", lucia(t, b, map[string]any{"op": "validateSession", "sessionId": sess.Token})[0])
		if !vs.Fresh || vs.ActivePeriodExpiresAt <= now.UnixMilli() {
			t.Errorf("Lucia validateSession of an idle session = %+v, want it renewed", vs)
		}
		v, err = auth.ValidateSession(c, sess.Token)
		must(t, "Latch ValidateSession after Lucia's renewal", err)
		if v.Fresh || v.State != latch.StateActive || v.ActiveExpires.UnixMilli() != vs.ActivePeriodExpiresAt || v.IdleExpires.UnixMilli() != vs.IdlePeriodExpiresAt {
			t.Errorf("Latch ValidateSession after Lucia's renewal = %+v, want Lucia's expiries %+v", v, vs)
		}

		// Lucia deletes Latch's user, who has a Latch token: the token
		// table's foreign key cascades, so Lucia's own deleteUser works.
		must(t, "PutToken", s.PutToken(c, latch.TokenRecord{Kind: "verify", ID: "t1", UserID: lt.ID, Expires: now.Add(time.Hour).UnixMilli()}))
		ok(t, "deleteUser of Latch's user", lucia(t, b, map[string]any{"op": "deleteUser", "userId": lt.ID})[0])
		_, err = auth.GetUser(c, lt.ID)
		wantIs(t, "Latch GetUser of the user Lucia deleted", err, latch.ErrInvalidUserID)
		_, err = s.GetToken(c, "verify", "t1")
		wantIs(t, "GetToken of the user Lucia deleted", err, latch.ErrNotFound)
		_, err = auth.ValidateSession(c, sess.Token)
		wantIs(t, "Latch ValidateSession of the user Lucia deleted", err, latch.ErrInvalidSessionID)

		// Latch deletes Lucia's user: Lucia finds neither user nor session.
		must(t, "Latch DeleteUser", auth.DeleteUser(c, lu.UserID))
		res = lucia(t, b,
			map[string]any{"op": "getUser", "userId": lu.UserID},
			map[string]any{"op": "validateSession", "sessionId": ls.SessionID},
			map[string]any{"op": "useKey", "providerId": "email", "providerUserId": "lucia@example.com", "password": luciaPW},
		)
		luciaErr(t, "getUser of the user Latch deleted", res[0], "AUTH_INVALID_USER_ID")
		luciaErr(t, "validateSession of the user Latch deleted", res[1], "AUTH_INVALID_SESSION_ID")
		luciaErr(t, "useKey of the user Latch deleted", res[2], "AUTH_INVALID_KEY_ID")
	})
}
