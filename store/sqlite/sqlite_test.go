package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/store/storetest"
)

// open returns a migrated store on a new file in a temporary directory.
func open(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the shared store suite on one store, on a real file,
// shared by every subtest (they use random ids and run in parallel, which
// also puts the writer queue under load).
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

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	if err := s.CreateUser(ctx, latch.UserRecord{ID: "u1", Attributes: latch.Attributes{"n": 1}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened, the file keeps its data and its migration record.
	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after reopening: %v", err)
	}
	u, err := s.GetUser(ctx, "u1")
	if err != nil || u.Attributes.Int("n") != 1 {
		t.Fatalf("GetUser after reopening = %+v, %v", u, err)
	}
	var versions, applied int
	if err := s.DB().QueryRow("SELECT count(*), count(DISTINCT version) FROM latch_migration").Scan(&applied, &versions); err != nil {
		t.Fatal(err)
	}
	if applied != versions || applied == 0 {
		t.Errorf("latch_migration has %d rows for %d versions, want one row per version", applied, versions)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "latch.db")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 { // four stores, as four processes would: separate writers
		wg.Go(func() {
			s, err := sqlite.Open(path)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(context.Background())
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestUnmigratedStoreFails(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.GetUser(context.Background(), "u")
	if err == nil || errors.Is(err, latch.ErrNotFound) || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("GetUser before Migrate = %v, want a 'no such table' error", err)
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := open(t)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"synchronous":  "1", // NORMAL
		"busy_timeout": "10000",
	} {
		var got string
		if err := s.DB().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
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

	// Deleting a user cascades.
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"}))
	must(t, s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1, IdleExpires: 2}))
	must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "u", Expires: 1}))
	if _, err := s.AddAttempt(ctx, "k", "u", 0, 10); err != nil {
		t.Fatal(err)
	}
	must(t, s.CreateFactor(ctx, latch.FactorRecord{ID: "f", UserID: "u", Kind: latch.FactorTOTP, CreatedAt: 1}))
	must(t, s.DeleteUser(ctx, "u"))
	for _, table := range []string{"latch_key", "latch_session", "latch_token", "latch_token_attempt", "latch_factor"} {
		var n int
		if err := s.DB().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows after DeleteUser, want 0", table, n)
		}
	}
}

// TestConcurrentWrites: 100 goroutines writing at once get no
// SQLITE_BUSY and lose nothing.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "shared"}, nil))
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n*8)
	for i := range n {
		wg.Go(func() {
			uid := fmt.Sprintf("user-%d", i)
			report := func(err error) {
				if err != nil {
					errs <- err
				}
			}
			report(s.CreateUser(ctx, latch.UserRecord{ID: uid, Attributes: latch.Attributes{"i": i}},
				&latch.KeyRecord{ID: "email:" + uid, UserID: uid}))
			report(s.CreateSession(ctx, latch.SessionRecord{ID: "s-" + uid, UserID: uid, ActiveExpires: 1, IdleExpires: 2}))
			report(s.UpdateUserAttributes(ctx, "shared", latch.Attributes{fmt.Sprintf("k%d", i): int64(i)}))
			report(s.UpdateSessionExpiry(ctx, "s-"+uid, 3, 4))
			report(s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: uid, UserID: uid, Expires: 5}))
			_, err := s.AddAttempt(ctx, "code", "shared", 0, 1000)
			report(err)
			_, _, err = s.GetSessionAndUser(ctx, "s-"+uid)
			report(err)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	u, err := s.GetUser(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Attributes) != n {
		t.Errorf("shared user has %d attributes after %d concurrent merges, want %d (lost updates)", len(u.Attributes), n, n)
	}
	if got, err := s.Attempts(ctx, "code", "shared", 0); err != nil || got != n {
		t.Errorf("Attempts = %d, %v; want %d", got, err, n)
	}
	var sessions int
	must(t, s.DB().QueryRow("SELECT count(*) FROM latch_session WHERE active_expires = 3").Scan(&sessions))
	if sessions != n {
		t.Errorf("%d sessions updated, want %d", sessions, n)
	}
}

func TestConcurrentTakeToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil))
	for round := range 20 {
		id := fmt.Sprint(round)
		must(t, s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: id, UserID: "u", Expires: 1}))
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			won int
		)
		for range 20 {
			wg.Go(func() {
				_, err := s.TakeToken(ctx, "k", id, "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, latch.ErrNotFound):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("round %d: %d takers got the token, want 1", round, won)
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

func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "u"}, &latch.KeyRecord{ID: "email:u", UserID: "u"}))
	tests := []struct {
		name string
		err  error
		want error
		op   string
	}{
		{"duplicate user", s.CreateUser(ctx, latch.UserRecord{ID: "u"}, nil), latch.ErrDuplicate, "sqlite: create user: "},
		{"duplicate key in CreateUser", s.CreateUser(ctx, latch.UserRecord{ID: "v"}, &latch.KeyRecord{ID: "email:u", UserID: "v"}), latch.ErrDuplicate, "sqlite: create user: "},
		{"duplicate key", s.CreateKey(ctx, latch.KeyRecord{ID: "email:u", UserID: "u"}), latch.ErrDuplicate, "sqlite: create key: "},
		{"key of missing user", s.CreateKey(ctx, latch.KeyRecord{ID: "email:x", UserID: "x"}), latch.ErrNotFound, "sqlite: create key: "},
		{"token of missing user", s.PutToken(ctx, latch.TokenRecord{Kind: "k", ID: "t", UserID: "x"}), latch.ErrNotFound, "sqlite: put token: "},
		{"missing key password", s.UpdateKeyPassword(ctx, "email:x", nil), latch.ErrNotFound, "sqlite: update key password: "},
		{"missing session expiry", s.UpdateSessionExpiry(ctx, "x", 1, 2), latch.ErrNotFound, "sqlite: update session expiry: "},
		{"missing user attributes", s.UpdateUserAttributes(ctx, "x", latch.Attributes{"a": 1}), latch.ErrNotFound, "sqlite: update user attributes: "},
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

func TestIDsAreCaseSensitive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "Ada"}, nil))
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "ada"}, nil))
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
	must(t, s.DB().QueryRow("SELECT count(*) FROM latch_token_attempt").Scan(&rows))
	if rows != 0 {
		t.Errorf("%d attempt counters left after DeleteExpiredTokens at their expiry, want 0", rows)
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
	want := latch.Attributes{}
	for k, v := range attrs {
		want[k] = v
	}
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

	// Merge: keys replaced, nil stored as nil, others kept.
	must(t, s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"email": nil, "n": int64(7), "new": "x"}))
	want["email"], want["n"], want["new"] = nil, int64(7), "x"
	sess, err = s.GetSession(ctx, "s")
	if err != nil || !reflect.DeepEqual(sess.Attributes, want) {
		t.Errorf("after merge: %#v, %v\nwant %#v", sess.Attributes, err, want)
	}
}

func TestOddPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"a?b.db", "c#d%20e.db", "f?g#h%3f.db", "with space.db"} {
		path := filepath.Join(dir, name)
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatalf("Open(%q): %v", path, err)
		}
		if err := s.Migrate(context.Background()); err != nil {
			t.Errorf("Migrate(%q): %v", path, err)
		}
		s.Close()
		if matches, _ := filepath.Glob(filepath.Join(dir, "*")); !slices.Contains(matches, path) {
			t.Errorf("Open(%q) made %v", path, matches)
		}
	}
	for _, bad := range []string{"", ":memory:", "file:x.db"} {
		if s, err := sqlite.Open(bad); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", bad)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateConcurrentlyRounds runs TestMigrateConcurrently's four
// concurrent opens of one new file LATCH_SQLITE_OPEN_ROUNDS times (1000 to
// prove that open waits on a busy database instead of failing now and then
// with SQLITE_BUSY) and fails with the number of rounds that failed. It is
// skipped when the variable is unset: it is a soak loop, not a unit test.
func TestMigrateConcurrentlyRounds(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LATCH_SQLITE_OPEN_ROUNDS"))
	if n <= 0 {
		t.Skip("set LATCH_SQLITE_OPEN_ROUNDS=1000 to run")
	}
	dir := t.TempDir()
	failed := 0
	var first error
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("latch-%d.db", i))
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				s, err := sqlite.Open(path)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				errs <- s.Migrate(context.Background())
			})
		}
		wg.Wait()
		close(errs)
		var roundErr error
		for err := range errs {
			roundErr = errors.Join(roundErr, err)
		}
		if roundErr != nil {
			failed++
			if first == nil {
				first = roundErr
			}
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}
	t.Logf("%d of %d rounds failed", failed, n)
	if failed > 0 {
		t.Errorf("%d of %d rounds failed; the first: %v", failed, n, first)
	}
}
