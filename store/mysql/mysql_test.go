package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/storetest"
)

// open returns a migrated store on a new, empty database.
func open(t testing.TB) *mysql.Store {
	t.Helper()
	s, err := mysql.Open(context.Background(), testenv.MySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the shared store suite on one store, shared by every
// subtest (they use random ids and run in parallel).
func TestConformance(t *testing.T) {
	t.Parallel()
	s := open(t)
	storetest.RunStore(t, func(*testing.T) latch.Store { return s })
}

// sessionView and tokenView hide the store's type, so that the suite treats
// sessions and tokens as another backend and checks Auth across stores.
type (
	sessionView struct{ latch.SessionStore }
	tokenView   struct{ latch.TokenStore }
)

func TestConformanceSplit(t *testing.T) {
	t.Parallel()
	s := open(t)
	storetest.Run(t, func(*testing.T) storetest.Stores {
		return storetest.Stores{Users: s, Keys: s, Sessions: sessionView{s}, Tokens: tokenView{s}}
	})
}

// migrationRecords returns how many rows latch_schema_migrations holds and
// for how many versions.
func migrationRecords(t *testing.T, db *sql.DB) (rows, versions int) {
	t.Helper()
	if err := db.QueryRow("SELECT count(*), count(DISTINCT version) FROM latch_schema_migrations").Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	return rows, versions
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testenv.MySQL(t)
	s, err := mysql.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"n": 1}}, nil))
	if rows, versions := migrationRecords(t, s.DB()); rows != versions || rows == 0 {
		t.Errorf("latch_schema_migrations has %d rows for %d versions, want one row per version", rows, versions)
	}
	must(t, s.Close())

	// Another store on the same database keeps the data and the records.
	s, err = mysql.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate on a migrated database: %v", err)
	}
	u, err := s.GetUser(ctx, "u1")
	if err != nil || u.Attributes.Int("n") != 1 {
		t.Fatalf("GetUser after migrating again = %+v, %v", u, err)
	}
	if rows, versions := migrationRecords(t, s.DB()); rows != versions || rows == 0 {
		t.Errorf("latch_schema_migrations has %d rows for %d versions after a second store migrated", rows, versions)
	}
	// The lock is released: another session gets it (once the other
	// tests' migrations, which share the server-wide lock, let go).
	other, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got sql.NullInt64
	must(t, conn.QueryRowContext(ctx, "SELECT GET_LOCK('latch_migrate', 30)").Scan(&got))
	if !got.Valid || got.Int64 != 1 {
		t.Errorf("GET_LOCK('latch_migrate') from another session after Migrate = %v, want 1 (Migrate must release it)", got)
	}
	_, _ = conn.ExecContext(ctx, "DO RELEASE_LOCK('latch_migrate')")
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 { // four stores, as four processes would have: separate pools
		wg.Go(func() {
			ctx := context.Background()
			s, err := mysql.Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	check, err := mysql.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	if rows, versions := migrationRecords(t, check.DB()); rows != versions || rows == 0 {
		t.Errorf("latch_schema_migrations has %d rows for %d versions after concurrent migrations", rows, versions)
	}
	var tables int
	must(t, check.DB().QueryRow(`SELECT count(*) FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_name LIKE 'latch\_%'`).Scan(&tables))
	if tables != 10 { // users, keys, sessions, tokens, attempts, migrations, activity, outbox, factors, throttle
		t.Errorf("%d latch_ tables, want 10", tables)
	}
	must(t, check.CreateUser(context.Background(), latch.UserRecord{ID: "u"}, nil))
}

// TestUnmigratedStoreFails: before Migrate, operations fail with the
// server's error (not ErrNotFound); after it, the same store works.
func TestUnmigratedStoreFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := mysql.Open(ctx, testenv.MySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.GetUser(ctx, "u")
	if err == nil || errors.Is(err, latch.ErrNotFound) || !strings.Contains(err.Error(), "doesn't exist") {
		t.Fatalf("GetUser before Migrate = %v, want a \"doesn't exist\" error", err)
	}
	must(t, s.Migrate(ctx))
	if _, err := s.GetUser(ctx, "u"); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("GetUser after Migrate = %v, want ErrNotFound", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if s, err := mysql.Open(ctx, "not a dsn"); err == nil {
		s.Close()
		t.Error("Open of a malformed DSN succeeded")
	}
	// A DSN asking for latin1, parseTime and multiStatements: Open keeps
	// its own settings.
	dsn := testenv.MySQL(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	s, err := mysql.Open(ctx, dsn+sep+"charset=latin1&parseTime=true&multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must(t, s.Migrate(ctx))
	var charset, mode string
	must(t, s.DB().QueryRow("SELECT @@character_set_client, @@sql_mode").Scan(&charset, &mode))
	if charset != "utf8mb4" {
		t.Errorf("character_set_client = %q, want utf8mb4", charset)
	}
	if !strings.Contains(mode, "STRICT_ALL_TABLES") {
		t.Errorf("sql_mode = %q, want STRICT_ALL_TABLES in it", mode)
	}
	if _, err := s.DB().Exec("SELECT 1; SELECT 2"); err == nil {
		t.Error("two statements in one Exec succeeded: multiStatements is on")
	}
	emoji := latch.Attributes{"e": "🐱 ✓ 日本"}
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u", Attributes: emoji}, nil))
	u, err := s.GetUser(ctx, "u")
	if err != nil || !reflect.DeepEqual(u.Attributes, emoji) {
		t.Errorf("GetUser = %v, %v; want %v", u.Attributes, err, emoji)
	}
	// Strict mode: an id longer than the column is refused, not cut.
	long := strings.Repeat("x", 255)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: long}, nil))
	if err := s.CreateUser(ctx, latch.UserRecord{ID: long + "y"}, nil); err == nil || errors.Is(err, latch.ErrDuplicate) {
		t.Errorf("CreateUser with a 256-byte id = %v, want a data-too-long error", err)
	}
	if got := s.DB().Stats().MaxOpenConnections; got < 16 {
		t.Errorf("MaxOpenConnections = %d, want at least 16", got)
	}
}

// TestNew runs a store on a pool opened without Open's settings (no
// clientFoundRows): updates that change nothing still find their row.
func TestNew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sql.Open("mysql", testenv.MySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := mysql.New(db)
	must(t, s.Migrate(ctx))
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u", HashedPassword: ptr("h")}))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1, IdleExpires: 2}))
	for range 2 {
		must(t, s.UpdateKeyPassword(ctx, "email:u", ptr("h2")))
		must(t, s.UpdateSessionExpiry(ctx, "s", 3, 4))
	}
	if err := s.UpdateKeyPassword(ctx, "email:x", nil); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("UpdateKeyPassword of a missing key = %v, want ErrNotFound", err)
	}
	if err := s.UpdateSessionExpiry(ctx, "x", 1, 2); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("UpdateSessionExpiry of a missing session = %v, want ErrNotFound", err)
	}
	must(t, s.Close())
	if err := db.PingContext(ctx); err != nil {
		t.Errorf("the pool given to New is closed after Store.Close: %v", err)
	}
	if _, err := s.GetUser(ctx, "u"); err == nil {
		t.Error("GetUser on a closed store succeeded")
	}
}

func TestForeignKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	err := s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "nobody", ActiveExpires: 1, IdleExpires: 2})
	if !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("CreateSession for a missing user = %v, want ErrNotFound", err)
	}
	err = s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:x", UserID: "someone-else"})
	if !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("CreateUser with a key of another, missing user = %v, want ErrNotFound", err)
	}
	if _, err := s.GetUser(ctx, "u"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("user of a failed CreateUser exists (err %v): the transaction was not rolled back", err)
	}
	if _, err := s.AddAttempt(ctx, "code", "nobody", 0, 10); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("AddAttempt for a missing user = %v, want ErrNotFound", err)
	}

	// Deleting a user cascades.
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"}))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1, IdleExpires: 2}))
	must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "u", Expires: 1}))
	if _, err := s.AddAttempt(ctx, "k", "u", 0, 10); err != nil {
		t.Fatal(err)
	}
	must(t, s.CreateFactor(ctx, latch.FactorRecord{ID: "f", UserID: "u", Kind: latch.FactorTOTP, CreatedAt: 1}))
	must(t, s.DeleteUser(ctx, "u"))
	for _, table := range []string{"latch_user", "latch_key", "latch_session", "latch_token", "latch_token_attempt", "latch_factor"} {
		if n := count(t, s, table); n != 0 {
			t.Errorf("%s has %d rows after DeleteUser, want 0", table, n)
		}
	}
}

func count(t *testing.T, s *mysql.Store, table string) int {
	t.Helper()
	var n int
	must(t, s.DB().QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"}))
	_, getErr := s.GetSession(ctx, "x")
	_, takeErr := s.TakeToken(ctx, "k", "x", "")
	tests := []struct {
		name string
		err  error
		want error
		op   string
	}{
		{"duplicate user", s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil), latch.ErrDuplicate, "mysql: create user: "},
		{"duplicate key in CreateUser", s.CreateUser(ctx, latch.UserRecord{ID: "v"}, &latch.KeyRecord{ID: "email:u", UserID: "v"}), latch.ErrDuplicate, "mysql: create user: "},
		{"duplicate key", s.CreateKey(ctx, latch.KeyRecord{ID: "email:u", UserID: "u"}), latch.ErrDuplicate, "mysql: create key: "},
		{"key of missing user", s.CreateKey(ctx, latch.KeyRecord{ID: "email:x", UserID: "x"}), latch.ErrNotFound, "mysql: create key: "},
		{"token of missing user", s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "x"}), latch.ErrNotFound, "mysql: put token: "},
		{"missing key password", s.UpdateKeyPassword(ctx, "email:x", nil), latch.ErrNotFound, "mysql: update key password: "},
		{"missing session expiry", s.UpdateSessionExpiry(ctx, "x", 1, 2), latch.ErrNotFound, "mysql: update session expiry: "},
		{"missing user attributes", s.UpdateUserAttributes(ctx, "x", latch.Attributes{"a": 1}), latch.ErrNotFound, "mysql: update user attributes: "},
		{"missing session", getErr, latch.ErrNotFound, "mysql: get session: "},
		{"missing token", takeErr, latch.ErrNotFound, "mysql: take token: "},
		{"invalid attributes", s.CreateUser(ctx, latch.UserRecord{ID: "w", Attributes: latch.Attributes{"1x": 1}}, nil), latch.ErrInvalidAttributes, "mysql: create user: "},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || !strings.HasPrefix(fmt.Sprint(tt.err), tt.op) {
			t.Errorf("%s: err = %v, want %v prefixed %q", tt.name, tt.err, tt.want, tt.op)
		}
	}
	if _, err := s.GetUser(ctx, "v"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("user v of the failed CreateUser: err = %v, want ErrNotFound", err)
	}
}

// TestIDsCompareByteForByte: no case folding, no accent folding, no
// trailing-space padding, whatever the database's default collation.
func TestIDsCompareByteForByte(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	// The database's own default collation, were the columns to follow it,
	// would pad and fold.
	_, err := s.DB().Exec("ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
	must(t, err)
	ids := []string{"abc", "abc ", "ABC", "Abc", "é", "e\u0301", "e", "straße", "strasse", "a\x00", "a", "\xff"}
	for i, id := range ids {
		must(t, s.CreateUser(ctx, latch.UserRecord{ID: id, Attributes: latch.Attributes{"i": i}}, &latch.KeyRecord{ID: "k:" + id, UserID: id}))
		must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s:" + id, UserID: id, ActiveExpires: 1, IdleExpires: 2}))
		must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: id, UserID: id, Expires: 1}))
	}
	for i, id := range ids {
		u, err := s.GetUser(ctx, id)
		if err != nil || u.Attributes.Int("i") != int64(i) {
			t.Errorf("GetUser(%q) = %v, %v", id, u.Attributes, err)
		}
		k, err := s.GetKey(ctx, "k:"+id)
		if err != nil || k.UserID != id {
			t.Errorf("GetKey(%q) = %+v, %v", "k:"+id, k, err)
		}
		sess, usr, err := s.GetSessionAndUser(ctx, "s:"+id)
		if err != nil || sess.UserID != id || usr.ID != id {
			t.Errorf("GetSessionAndUser(%q) = %+v, %+v, %v", "s:"+id, sess, usr, err)
		}
		tok, err := s.TakeToken(ctx, "k", id, id)
		if err != nil || tok.UserID != id {
			t.Errorf("TakeToken(%q) = %+v, %v", id, tok, err)
		}
	}
	if _, err := s.GetUser(ctx, "ABc"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("GetUser(ABc) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetUser(ctx, "abc  "); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("GetUser(\"abc  \") = %v, want ErrNotFound", err)
	}
}

func TestTokenData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil))
	big := []byte(strings.Repeat("\x00\xff", 1<<20)) // 2 MiB: over the driver's long-data threshold
	for _, data := range [][]byte{nil, {}, {0}, []byte("payload\x00\xff"), big} {
		id := fmt.Sprintf("%q", data)
		if len(id) > 40 {
			id = fmt.Sprintf("big-%d", len(data))
		}
		tok := latch.TokenRecord{Kind: "k", ID: id, UserID: "u", Expires: -7, SessionID: "sess", Data: data}
		must(t, s.PutToken(ctx, tok))
		got, err := s.GetToken(ctx, tok.Kind, tok.ID)
		if err != nil || !reflect.DeepEqual(got, tok) {
			t.Errorf("GetToken(%s) = %.80q, %v", id, fmt.Sprintf("%#v", got), err)
		}
		list, err := s.ListTokens(ctx, "u", "k")
		if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], tok) {
			t.Errorf("ListTokens(%s) = %d tokens, %v", id, len(list), err)
		}
		got, err = s.TakeToken(ctx, tok.Kind, tok.ID, "u")
		if err != nil || !reflect.DeepEqual(got, tok) {
			t.Errorf("TakeToken(%s) = %.80q, %v", id, fmt.Sprintf("%#v", got), err)
		}
	}
}

func TestAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil))
	steps := []struct {
		now, expires int64
		want         int
	}{
		{now: 0, expires: 100, want: 1},
		{now: 50, expires: 200, want: 2},  // window still open: expiry kept at 100
		{now: 99, expires: 300, want: 3},  // last instant of the window
		{now: 100, expires: 400, want: 1}, // window ended at 100: restarts, expiry 400
		{now: 399, expires: 500, want: 2},
	}
	for _, st := range steps {
		got, err := s.AddAttempt(ctx, "code", "u", st.now, st.expires)
		if err != nil || got != st.want {
			t.Fatalf("AddAttempt(now %d) = %d, %v; want %d", st.now, got, err, st.want)
		}
	}
	if n, _ := s.Attempts(ctx, "code", "u", 399); n != 2 {
		t.Errorf("Attempts at 399 = %d, want 2", n)
	}
	if n, _ := s.Attempts(ctx, "code", "u", 400); n != 0 {
		t.Errorf("Attempts at 400 = %d, want 0 (expired)", n)
	}
	if n, err := s.DeleteExpiredTokens(ctx, 400); err != nil || n != 0 {
		t.Errorf("DeleteExpiredTokens = %d, %v", n, err)
	}
	if n := count(t, s, "latch_token_attempt"); n != 0 {
		t.Errorf("%d attempt counters left after DeleteExpiredTokens at their expiry, want 0", n)
	}
}

// TestDeleteUserTokensAllKinds: the user's attempt counters stay, with a
// kind or without.
func TestDeleteUserTokensAllKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	for _, u := range []string{"u", "other"} {
		must(t, s.CreateUser(ctx, latch.UserRecord{ID: u}, nil))
		must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "code", ID: "t-" + u, UserID: u, Expires: 10}))
		if _, err := s.AddAttempt(ctx, "code", u, 0, 10); err != nil {
			t.Fatal(err)
		}
	}
	must(t, s.DeleteUserTokens(ctx, "u", "code"))
	if n, _ := s.Attempts(ctx, "code", "u", 0); n != 1 {
		t.Errorf("Attempts after DeleteUserTokens(u, code) = %d, want 1 (kept)", n)
	}
	must(t, s.DeleteUserTokens(ctx, "u", ""))
	if n, _ := s.Attempts(ctx, "code", "u", 0); n != 1 {
		t.Errorf("Attempts after DeleteUserTokens(u, \"\") = %d, want 1 (kept)", n)
	}
	if n, _ := s.Attempts(ctx, "code", "other", 0); n != 1 {
		t.Errorf("another user's Attempts = %d, want 1", n)
	}
	if _, err := s.GetToken(ctx, "code", "t-other"); err != nil {
		t.Errorf("another user's token: %v", err)
	}
}

// TestAttributesLimit: a merge whose result encodes over
// latch.MaxAttributesSize is refused and changes nothing.
func TestAttributesLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	half := strings.Repeat("x", latch.MaxAttributesSize/2)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u", Attributes: latch.Attributes{"a": half}}, nil))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1, IdleExpires: 2, Attributes: latch.Attributes{"a": half}}))
	if err := s.UpdateUserAttributes(ctx, "u", latch.Attributes{"b": half}); !errors.Is(err, latch.ErrInvalidAttributes) {
		t.Errorf("UpdateUserAttributes over the limit = %v, want ErrInvalidAttributes", err)
	}
	if err := s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"b": half}); !errors.Is(err, latch.ErrInvalidAttributes) {
		t.Errorf("UpdateSessionAttributes over the limit = %v, want ErrInvalidAttributes", err)
	}
	sess, u, err := s.GetSessionAndUser(ctx, "s")
	must(t, err)
	for what, a := range map[string]latch.Attributes{"user": u.Attributes, "session": sess.Attributes} {
		if len(a) != 1 || a.String("a") != half {
			t.Errorf("%s has %d attributes after a refused merge, want the 1 it had", what, len(a))
		}
	}
	// Just under the limit is fine: {"a":"…","b":"…"} is 15 bytes of syntax.
	fit := strings.Repeat("y", latch.MaxAttributesSize/2-15)
	must(t, s.UpdateUserAttributes(ctx, "u", latch.Attributes{"b": fit}))
}

// TestConcurrentAttempts: many users' fresh counters raced at once (the
// upsert's gap locks make deadlocks likely) all count exactly.
func TestConcurrentAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	const users, calls = 10, 20
	for i := range users {
		must(t, s.CreateUser(ctx, latch.UserRecord{ID: fmt.Sprint("u", i)}, nil))
	}
	var wg sync.WaitGroup
	errs := make(chan error, users*calls)
	for i := range users * calls {
		wg.Go(func() {
			_, err := s.AddAttempt(ctx, "code", fmt.Sprint("u", i%users), 0, 1000)
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range users {
		if n, err := s.Attempts(ctx, "code", fmt.Sprint("u", i), 0); err != nil || n != calls {
			t.Errorf("Attempts(u%d) = %d, %v; want %d", i, n, err, calls)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
