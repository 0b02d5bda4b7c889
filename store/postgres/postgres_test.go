package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/storetest"
)

// open returns a migrated store in a fresh schema of the test server.
func open(t testing.TB) *postgres.Store {
	t.Helper()
	s := openUnmigrated(t, testenv.Postgres(t))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// openUnmigrated opens a store on url, closed when the test ends.
func openUnmigrated(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestConformance runs the shared store suite on one store, shared by
// every subtest (they use random ids and run in parallel, which also puts
// the pool under load).
func TestConformance(t *testing.T) {
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
	s := open(t)
	storetest.Run(t, func(*testing.T) storetest.Stores {
		return storetest.Stores{Users: s, Keys: s, Sessions: sessionView{s}, Tokens: tokenView{s}}
	})
}

// migrationRows returns the rows of latch_schema_migrations and how many
// distinct versions they hold.
func migrationRows(t *testing.T, s *postgres.Store) (rows, versions int) {
	t.Helper()
	err := s.Pool().QueryRow(context.Background(),
		"SELECT count(*), count(DISTINCT version) FROM latch_schema_migrations").Scan(&rows, &versions)
	if err != nil {
		t.Fatal(err)
	}
	return rows, versions
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.Postgres(t)
	s := openUnmigrated(t, url)
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"n": 1}}, nil))

	// Another store (another process) migrating the same schema keeps the
	// data and the record.
	s2 := openUnmigrated(t, url)
	if err := s2.Migrate(ctx); err != nil {
		t.Fatalf("Migrate from a second store: %v", err)
	}
	u, err := s2.GetUser(ctx, "u1")
	if err != nil || u.Attributes.Int("n") != 1 {
		t.Fatalf("GetUser after migrating again = %+v, %v", u, err)
	}
	if rows, versions := migrationRows(t, s2); rows != versions || rows < 3 {
		t.Errorf("latch_schema_migrations has %d rows for %d versions, want one row per version (at least 0001 to 0003)", rows, versions)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	const n = 4
	stores := make([]*postgres.Store, n)
	for i := range stores { // four pools, as four processes would have
		stores[i] = openUnmigrated(t, url)
	}
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			<-start
			errs[i] = s.Migrate(context.Background())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	if rows, versions := migrationRows(t, stores[0]); rows != versions || rows < 3 {
		t.Errorf("latch_schema_migrations has %d rows for %d versions, want one row per version (at least 0001 to 0003)", rows, versions)
	}
	must(t, stores[1].CreateUser(context.Background(), latch.UserRecord{ID: "u"}, nil))
}

func TestUnmigratedStoreFails(t *testing.T) {
	t.Parallel()
	s := openUnmigrated(t, testenv.Postgres(t))
	_, err := s.GetUser(context.Background(), "u")
	if err == nil || errors.Is(err, latch.ErrNotFound) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("GetUser before Migrate = %v, want a 'relation does not exist' error", err)
	}
}

func TestSchema(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := context.Background()
	// Every id column compares byte for byte.
	rows, err := s.Pool().Query(ctx, `SELECT table_name, column_name, coalesce(collation_name, '')
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name LIKE 'latch\_%' AND data_type = 'text'
			AND column_name IN ('id', 'user_id', 'kind', 'session_id')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, column, collation string
		must(t, rows.Scan(&table, &column, &collation))
		if collation != "C" {
			t.Errorf("%s.%s has collation %q, want C", table, column, collation)
		}
		n++
	}
	must(t, rows.Err())
	if n != 18 { // 11 of the users, keys, sessions and tokens; 2 of the activity; 2 of the outbox; 3 of the factors
		t.Errorf("found %d id columns, want 18", n)
	}
	// Every foreign key cascades, and its column is indexed.
	var fks, cascading, indexed int
	err = s.Pool().QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE c.confdeltype = 'c'),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]))
		FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`).Scan(&fks, &cascading, &indexed)
	must(t, err)
	if fks != 6 || cascading != 6 || indexed != 6 {
		t.Errorf("%d foreign keys, %d ON DELETE CASCADE, %d indexed; want 6 of each", fks, cascading, indexed)
	}
}

// TestStoppedConnection: a call whose context is done, or on a closed
// store, fails with an error that names the operation and wraps the cause.
func TestStoppedConnection(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.GetSession(ctx, "s")
	if !errors.Is(err, context.Canceled) || errors.Is(err, latch.ErrNotFound) || !strings.HasPrefix(err.Error(), "postgres: get session: ") {
		t.Errorf("GetSession with a canceled context = %v, want a wrapped context.Canceled", err)
	}
	err = s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "postgres: create user: ") {
		t.Errorf("CreateUser with a canceled context = %v, want a wrapped context.Canceled", err)
	}
	err = s.InTx(ctx, func(context.Context) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("InTx with a canceled context = %v, want a wrapped context.Canceled", err)
	}

	s2 := openUnmigrated(t, testenv.Postgres(t))
	s2.Close()
	_, err = s2.GetKey(context.Background(), "email:x")
	if err == nil || errors.Is(err, latch.ErrNotFound) || !strings.HasPrefix(err.Error(), "postgres: get key: ") {
		t.Errorf("GetKey on a closed store = %v, want a wrapped pool error", err)
	}

	if _, err := postgres.Open(context.Background(), "postgres://root@127.0.0.1:1/test?connect_timeout=2"); err == nil || !strings.HasPrefix(err.Error(), "postgres: open: ") {
		t.Errorf("Open of a port nobody listens on = %v, want an error", err)
	}
}

// TestNewLeavesPoolOpen: a Store from New does not own its pool.
func TestNewLeavesPoolOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.New(pool)
	must(t, s.Migrate(ctx))
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil))
	s.Close()
	if s.Pool() != pool {
		t.Error("Pool() is not the pool given to New")
	}
	if err := pool.Ping(ctx); err != nil {
		t.Errorf("pool after Store.Close: %v", err)
	}
	if _, err := postgres.New(pool).GetUser(ctx, "u"); err != nil {
		t.Errorf("GetUser on the pool after Store.Close: %v", err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"}))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1, IdleExpires: 2}))
	must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "u", Expires: 1}))
	_, addErr := s.AddAttempt(ctx, "k", "x", 0, 10)
	_, getErr := s.GetSession(ctx, "x")
	_, _, joinErr := s.GetSessionAndUser(ctx, "x")
	_, takeErr := s.TakeToken(ctx, "k", "t", "someone-else")
	tests := []struct {
		name string
		err  error
		want error
		op   string
	}{
		{"duplicate user", s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil), latch.ErrDuplicate, "postgres: create user: "},
		{"duplicate key in CreateUser", s.CreateUser(ctx, latch.UserRecord{ID: "v"}, &latch.KeyRecord{ID: "email:u", UserID: "v"}), latch.ErrDuplicate, "postgres: create user: "},
		{"key of another, missing user in CreateUser", s.CreateUser(ctx, latch.UserRecord{ID: "w"}, &latch.KeyRecord{ID: "email:w", UserID: "nobody"}), latch.ErrNotFound, "postgres: create user: "},
		{"duplicate key", s.CreateKey(ctx, latch.KeyRecord{ID: "email:u", UserID: "u"}), latch.ErrDuplicate, "postgres: create key: "},
		{"key of missing user", s.CreateKey(ctx, latch.KeyRecord{ID: "email:x", UserID: "x"}), latch.ErrNotFound, "postgres: create key: "},
		{"duplicate session", s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u"}), latch.ErrDuplicate, "postgres: create session: "},
		{"session of missing user", s.CreateSession(ctx, latch.SessionRecord{ID: "s2", UserID: "x"}), latch.ErrNotFound, "postgres: create session: "},
		{"duplicate token", s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "u"}), latch.ErrDuplicate, "postgres: put token: "},
		{"token of missing user", s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t2", UserID: "x"}), latch.ErrNotFound, "postgres: put token: "},
		{"attempt of missing user", addErr, latch.ErrNotFound, "postgres: add attempt: "},
		{"missing session", getErr, latch.ErrNotFound, "postgres: get session: "},
		{"missing session and user", joinErr, latch.ErrNotFound, "postgres: get session and user: "},
		{"another user's token", takeErr, latch.ErrNotFound, "postgres: take token: "},
		{"missing key password", s.UpdateKeyPassword(ctx, "email:x", nil), latch.ErrNotFound, "postgres: update key password: "},
		{"missing session expiry", s.UpdateSessionExpiry(ctx, "x", 1, 2), latch.ErrNotFound, "postgres: update session expiry: "},
		{"missing user attributes", s.UpdateUserAttributes(ctx, "x", latch.Attributes{"a": 1}), latch.ErrNotFound, "postgres: update user attributes: "},
		{"missing session attributes", s.UpdateSessionAttributes(ctx, "x", latch.Attributes{"a": 1}), latch.ErrNotFound, "postgres: update session attributes: "},
		{"bad attribute", s.UpdateUserAttributes(ctx, "u", latch.Attributes{"a": struct{}{}}), latch.ErrInvalidAttributes, "postgres: update user attributes: "},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || !strings.HasPrefix(fmt.Sprint(tt.err), tt.op) {
			t.Errorf("%s: err = %v, want %v prefixed %q", tt.name, tt.err, tt.want, tt.op)
		}
	}
	for _, id := range []string{"v", "w"} {
		if _, err := s.GetUser(ctx, id); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("user %s of a failed CreateUser: err = %v, want ErrNotFound (not rolled back)", id, err)
		}
	}
	if _, err := s.GetToken(ctx, "k", "t"); err != nil {
		t.Errorf("token after TakeToken by another user: %v, want it left in place", err)
	}
}

// TestMergedAttributesOverLimit: the merged result, not only the patch, is
// held to latch.MaxAttributesSize, and nothing is written when it is over.
func TestMergedAttributesOverLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	half := strings.Repeat("x", latch.MaxAttributesSize/2+16)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u", Attributes: latch.Attributes{"a": half}}, nil))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", Attributes: latch.Attributes{"a": half}}))
	if err := s.UpdateUserAttributes(ctx, "u", latch.Attributes{"b": half}); !errors.Is(err, latch.ErrInvalidAttributes) {
		t.Errorf("UpdateUserAttributes over the limit = %v, want ErrInvalidAttributes", err)
	}
	if err := s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"b": half}); !errors.Is(err, latch.ErrInvalidAttributes) {
		t.Errorf("UpdateSessionAttributes over the limit = %v, want ErrInvalidAttributes", err)
	}
	sess, u, err := s.GetSessionAndUser(ctx, "s")
	must(t, err)
	if len(u.Attributes) != 1 || len(sess.Attributes) != 1 {
		t.Errorf("after refused merges: user %d attributes, session %d; want 1 each", len(u.Attributes), len(sess.Attributes))
	}
	// Replacing a big value with a small one is fine.
	must(t, s.UpdateUserAttributes(ctx, "u", latch.Attributes{"a": "small", "b": half}))
}

// TestUnstorableIDs: strings PostgreSQL cannot hold (NUL, invalid UTF-8)
// are no stored row's id: not found, nothing deleted, no server error, and
// a transaction they are used in goes on.
func TestUnstorableIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil))
	for _, bad := range []string{"a\x00b", "\xff", "u\x00"} {
		err := s.InTx(ctx, func(ctx context.Context) error {
			if _, err := s.GetUser(ctx, bad); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("GetUser(%q) = %v, want ErrNotFound", bad, err)
			}
			if _, err := s.GetKey(ctx, bad); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("GetKey(%q) = %v, want ErrNotFound", bad, err)
			}
			if _, _, err := s.GetSessionAndUser(ctx, bad); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("GetSessionAndUser(%q) = %v, want ErrNotFound", bad, err)
			}
			if _, err := s.TakeToken(ctx, "k", bad, ""); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("TakeToken(%q) = %v, want ErrNotFound", bad, err)
			}
			if err := s.UpdateSessionAttributes(ctx, bad, latch.Attributes{"a": 1}); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("UpdateSessionAttributes(%q) = %v, want ErrNotFound", bad, err)
			}
			if _, err := s.AddAttempt(ctx, "k", bad, 0, 1); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("AddAttempt(%q) = %v, want ErrNotFound", bad, err)
			}
			if err := s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: bad}); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("CreateSession for user %q = %v, want ErrNotFound", bad, err)
			}
			for name, err := range map[string]error{
				"DeleteUser":       s.DeleteUser(ctx, bad),
				"DeleteKey":        s.DeleteKey(ctx, bad),
				"DeleteSession":    s.DeleteSession(ctx, bad),
				"DeleteToken":      s.DeleteToken(ctx, bad, bad),
				"DeleteUserTokens": s.DeleteUserTokens(ctx, bad, ""),
				"ResetAttempts":    s.ResetAttempts(ctx, "k", bad),
			} {
				if err != nil {
					t.Errorf("%s(%q) = %v, want nil", name, bad, err)
				}
			}
			if list, err := s.ListTokens(ctx, bad, "k"); err != nil || len(list) != 0 {
				t.Errorf("ListTokens(%q) = %v, %v", bad, list, err)
			}
			// The transaction is still usable.
			return s.UpdateUserAttributes(ctx, "u", latch.Attributes{"ok": true})
		})
		if err != nil {
			t.Errorf("InTx with %q: %v", bad, err)
		}
	}
}

// TestTxSurvivesRefusedWrite: inside InTx, a refused write is undone alone
// (a savepoint) and the transaction's other writes commit.
func TestTxSurvivesRefusedWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"}))
	err := s.InTx(ctx, func(ctx context.Context) error {
		must(t, s.UpdateUserAttributes(ctx, "u", latch.Attributes{"before": true}))
		refusals := map[string]struct {
			err  error
			want error
		}{
			"CreateKey duplicate":           {s.CreateKey(ctx, latch.KeyRecord{ID: "email:u", UserID: "u"}), latch.ErrDuplicate},
			"CreateUser duplicate key":      {s.CreateUser(ctx, latch.UserRecord{ID: "v"}, &latch.KeyRecord{ID: "email:u", UserID: "v"}), latch.ErrDuplicate},
			"CreateSession of missing user": {s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "nobody"}), latch.ErrNotFound},
			"PutToken of missing user":      {s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "nobody"}), latch.ErrNotFound},
			"AddAttempt of missing user": {func() error {
				_, err := s.AddAttempt(ctx, "k", "nobody", 0, 1)
				return err
			}(), latch.ErrNotFound},
		}
		for name, r := range refusals {
			if !errors.Is(r.err, r.want) {
				t.Errorf("%s in tx = %v, want %v", name, r.err, r.want)
			}
		}
		must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u"}))
		if n, err := s.AddAttempt(ctx, "k", "u", 0, 10); err != nil || n != 1 {
			t.Errorf("AddAttempt in tx = %d, %v; want 1", n, err)
		}
		n, err := s.DeleteExpiredTokens(ctx, 0)
		if err != nil || n != 0 {
			t.Errorf("DeleteExpiredTokens in tx = %d, %v", n, err)
		}
		return nil
	})
	must(t, err)
	u, err := s.GetUser(ctx, "u")
	if err != nil || u.Attributes["before"] != true {
		t.Errorf("GetUser after commit = %+v, %v; want the attribute written before the refusals", u, err)
	}
	if _, err := s.GetSession(ctx, "s"); err != nil {
		t.Errorf("GetSession after commit: %v", err)
	}
	if _, err := s.GetUser(ctx, "v"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("user of the refused CreateUser: %v, want ErrNotFound", err)
	}
	if n, err := s.Attempts(ctx, "k", "u", 0); err != nil || n != 1 {
		t.Errorf("Attempts after commit = %d, %v; want 1", n, err)
	}

	// fn's error is returned as it is, and rolls everything back.
	errBoom := errors.New("boom")
	err = s.InTx(ctx, func(ctx context.Context) error {
		must(t, s.DeleteUser(ctx, "u"))
		return errBoom
	})
	if err != errBoom {
		t.Errorf("InTx = %v, want fn's error unwrapped", err)
	}
	if _, err := s.GetUser(ctx, "u"); err != nil {
		t.Errorf("user after a rolled-back delete: %v", err)
	}
}

// TestCascade: DeleteUser removes every row of the user, and
// DeleteUserTokens with kind "" the tokens and attempt counters.
func TestCascade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	count := func(table string) int {
		t.Helper()
		var n int
		must(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n))
		return n
	}
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"}))
	must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "u", Expires: 1}))
	must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "j", ID: "t", UserID: "u", Expires: 1}))
	if _, err := s.AddAttempt(ctx, "k", "u", 0, 10); err != nil {
		t.Fatal(err)
	}
	must(t, s.DeleteUserTokens(ctx, "u", ""))
	if n, m := count("latch_token"), count("latch_token_attempt"); n != 0 || m != 1 {
		t.Errorf("after DeleteUserTokens(u, \"\"): %d tokens, %d attempt counters; want 0 and 1 (counters stay)", n, m)
	}

	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1, IdleExpires: 2}))
	must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "u", Expires: 1}))
	if _, err := s.AddAttempt(ctx, "k", "u", 0, 10); err != nil {
		t.Fatal(err)
	}
	must(t, s.CreateFactor(ctx, latch.FactorRecord{ID: "f", UserID: "u", Kind: latch.FactorTOTP, CreatedAt: 1}))
	must(t, s.DeleteUser(ctx, "u"))
	for _, table := range []string{"latch_user", "latch_key", "latch_session", "latch_token", "latch_token_attempt", "latch_factor"} {
		if n := count(table); n != 0 {
			t.Errorf("%s has %d rows after DeleteUser, want 0", table, n)
		}
	}
}

func TestIDsAreComparedByteForByte(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "Ada"}, nil))
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "ada"}, nil))
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "\u00e9"}, nil))  // é, composed
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "e\u0301"}, nil)) // é, decomposed
	if _, err := s.GetUser(ctx, "ADA"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("GetUser(ADA) = %v, want ErrNotFound", err)
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
	var rows int
	must(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM latch_token_attempt").Scan(&rows))
	if rows != 0 {
		t.Errorf("%d attempt counters left after DeleteExpiredTokens at their expiry, want 0", rows)
	}
}

// TestConcurrentMerges: concurrent merges into one row lose nothing (the
// row lock of SELECT … FOR UPDATE), and concurrent AddAttempt calls each
// get their own count.
func TestConcurrentMerges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u"}))
	const n = 50
	counts := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := fmt.Sprintf("k%d", i)
			if err := s.UpdateUserAttributes(ctx, "u", latch.Attributes{key: int64(i)}); err != nil {
				t.Error(err)
			}
			if err := s.UpdateSessionAttributes(ctx, "s", latch.Attributes{key: int64(i)}); err != nil {
				t.Error(err)
			}
			c, err := s.AddAttempt(ctx, "code", "u", 0, 1000)
			if err != nil {
				t.Error(err)
			}
			counts[i] = c
		})
	}
	wg.Wait()
	sess, u, err := s.GetSessionAndUser(ctx, "s")
	must(t, err)
	if len(u.Attributes) != n || len(sess.Attributes) != n {
		t.Errorf("after %d concurrent merges: user has %d attributes, session %d (lost updates)", n, len(u.Attributes), len(sess.Attributes))
	}
	seen := map[int]bool{}
	for _, c := range counts {
		seen[c] = true
	}
	for c := 1; c <= n; c++ {
		if !seen[c] {
			t.Errorf("no AddAttempt returned %d: counts %v", c, counts)
			break
		}
	}
}

func TestTokenData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil))
	for _, data := range [][]byte{nil, {}, {0}, []byte("payload\x00\xff")} {
		tok := latch.TokenRecord{Kind: "k", ID: fmt.Sprintf("%q", data), UserID: "u", Expires: 7, SessionID: "sess", Data: data}
		must(t, s.PutToken(ctx, tok))
		got, err := s.GetToken(ctx, tok.Kind, tok.ID)
		if err != nil || !reflect.DeepEqual(got, tok) {
			t.Errorf("GetToken = %#v, %v; want %#v", got, err, tok)
		}
		got, err = s.TakeToken(ctx, tok.Kind, tok.ID, "u")
		if err != nil || !reflect.DeepEqual(got, tok) {
			t.Errorf("TakeToken = %#v, %v; want %#v", got, err, tok)
		}
	}
}

// TestAttributesRoundTrip stores every attribute type and reads it back
// through each path that decodes attributes.
func TestAttributesRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	when := time.Date(2026, 11, 22, 18, 0, 0, 123456789, time.FixedZone("X", 3600))
	attrs := latch.Attributes{
		"email": "ada@example.com", "quote": `say "hi" <b>&</b> \ é 😀`, "empty": "",
		"verified": true, "off": false, "n": int64(-42), "big": int64(1 << 62),
		"f": 1.5, "whole": 2.0, "tiny": 1e-300, "when": when, "gone": nil,
	}
	want := attrs.Clone()
	want["when"] = when.UTC()
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u", Attributes: attrs}, nil))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1, IdleExpires: 2, Attributes: attrs}))
	u, err := s.GetUser(ctx, "u")
	if err != nil || !reflect.DeepEqual(u.Attributes, want) {
		t.Errorf("GetUser attributes = %#v, %v\nwant %#v", u.Attributes, err, want)
	}
	sess, u2, err := s.GetSessionAndUser(ctx, "s")
	if err != nil || !reflect.DeepEqual(sess.Attributes, want) || !reflect.DeepEqual(u2.Attributes, want) {
		t.Errorf("GetSessionAndUser = %#v, %#v, %v", sess, u2, err)
	}
	list, err := s.ListSessions(ctx, "u")
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0].Attributes, want) {
		t.Errorf("ListSessions = %#v, %v", list, err)
	}

	// Merge: keys replaced, nil stored as nil, others kept.
	must(t, s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"email": nil, "n": int64(7), "new": "x"}))
	want["email"], want["n"], want["new"] = nil, int64(7), "x"
	sess, err = s.GetSession(ctx, "s")
	if err != nil || !reflect.DeepEqual(sess.Attributes, want) {
		t.Errorf("after merge: %#v, %v\nwant %#v", sess.Attributes, err, want)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
