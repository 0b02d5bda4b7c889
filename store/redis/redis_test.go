package redis

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
)

// openStore returns a Store on the test server under a fresh prefix, whose
// keys are removed when the test ends.
func openStore(t testing.TB, opts Options) *Store {
	t.Helper()
	url, prefix := testenv.Redis(t)
	opts.Prefix = prefix
	s, err := Open(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = s.scan(ctx, globEscape(prefix)+"*", func(ctx context.Context, keys []string) error {
			return s.client.Del(ctx, keys...).Err()
		})
		_ = s.Close()
	})
	return s
}

// prefixKeys lists the store's keys, without the prefix, sorted.
func prefixKeys(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	err := s.scan(context.Background(), globEscape(s.prefix)+"*", func(_ context.Context, keys []string) error {
		for _, k := range keys {
			out = append(out, strings.TrimPrefix(k, s.prefix))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func mustNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("%s: got %v, want ErrNotFound", what, err)
	}
}

// A clock far from the wall clock, as the core's tests use.
var past = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).UnixMilli()

func TestSessionRoundTrip(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	when := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	in := latch.SessionRecord{
		ID: "s:1:ü", UserID: "u:1", ActiveExpires: past + 1000, IdleExpires: past + 2000,
		Attributes: latch.Attributes{"ip": "10.0.0.1", "n": int64(3), "f": 2.0, "b": true, "at": when, "none": nil},
	}
	if err := s.CreateSession(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("got %#v\nwant %#v", got, in)
	}
	if err := s.CreateSession(ctx, latch.SessionRecord{ID: in.ID, UserID: "other"}); !errors.Is(err, latch.ErrDuplicate) {
		t.Fatalf("duplicate id: got %v, want ErrDuplicate", err)
	}
	if got, _ := s.GetSession(ctx, in.ID); got.UserID != "u:1" {
		t.Fatalf("a refused duplicate changed the session: %+v", got)
	}
	_, err = s.GetSession(ctx, "missing")
	mustNotFound(t, "get missing session", err)
	if err := s.CreateSession(ctx, latch.SessionRecord{ID: "bad", UserID: "u", Attributes: latch.Attributes{"x": struct{}{}}}); !errors.Is(err, latch.ErrInvalidAttributes) {
		t.Fatalf("bad attributes: got %v", err)
	}
}

func TestSessionIndex(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	// "u" and "u:x" must not share an index; ids hold ':'.
	for _, r := range []latch.SessionRecord{
		{ID: "a", UserID: "u"}, {ID: "b:c", UserID: "u"}, {ID: "d", UserID: "u"},
		{ID: "e", UserID: "u:x"}, {ID: "x:f", UserID: "u:x"},
	} {
		r.ActiveExpires, r.IdleExpires = past, past
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(user string) []string {
		t.Helper()
		rs, err := s.ListSessions(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			if r.UserID != user {
				t.Fatalf("ListSessions(%q) returned %+v", user, r)
			}
			out = append(out, r.ID)
		}
		sort.Strings(out)
		return out
	}
	if got := ids("u"); !reflect.DeepEqual(got, []string{"a", "b:c", "d"}) {
		t.Fatalf("u: %v", got)
	}
	if got := ids("u:x"); !reflect.DeepEqual(got, []string{"e", "x:f"}) {
		t.Fatalf("u:x: %v", got)
	}
	if got := ids("nobody"); len(got) != 0 {
		t.Fatalf("nobody: %v", got)
	}

	if err := s.DeleteSession(ctx, "b:c"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "never"); err != nil {
		t.Fatal(err)
	}
	// A session Redis expired by itself leaves its id in the index; a
	// list drops it.
	if err := s.client.Del(ctx, s.sessionKey("d")).Err(); err != nil {
		t.Fatal(err)
	}
	if got := ids("u"); !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("u after deletes: %v", got)
	}
	if members := s.client.SMembers(ctx, s.sessionIndexKey("u")).Val(); !reflect.DeepEqual(members, []string{"a"}) {
		t.Fatalf("index of u after deletes: %v", members)
	}

	if err := s.DeleteSessionsByUser(ctx, "u:x"); err != nil {
		t.Fatal(err)
	}
	if got := ids("u:x"); len(got) != 0 {
		t.Fatalf("u:x after delete by user: %v", got)
	}
	if got := ids("u"); !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("deleting u:x's sessions touched u's: %v", got)
	}
	want := []string{"session:a", "user_sessions:u"}
	if got := prefixKeys(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys left: %q, want %q", got, want)
	}
}

func TestUpdateSessionExpiry(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	if err := s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: past, IdleExpires: past + 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateSessionExpiry(ctx, "s", past+10, past+20); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if got.ActiveExpires != past+10 || got.IdleExpires != past+20 || got.UserID != "u" {
		t.Fatalf("after update: %+v", got)
	}
	mustNotFound(t, "update missing", s.UpdateSessionExpiry(ctx, "missing", 1, 2))
	if err := s.DeleteSession(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	mustNotFound(t, "update deleted", s.UpdateSessionExpiry(ctx, "s", 1, 2))
	if keys := prefixKeys(t, s); len(keys) != 0 {
		t.Fatalf("an update brought back keys: %q", keys)
	}
}

func TestUpdateSessionAttributes(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	if err := s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", Attributes: latch.Attributes{"keep": "k", "gone": 1}}); err != nil {
		t.Fatal(err)
	}
	// Concurrent patches of different names all land.
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.UpdateSessionAttributes(ctx, "s", latch.Attributes{fmt.Sprintf("k%d", i): i})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"gone": nil, "f": 1.5}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := latch.Attributes{"keep": "k", "gone": nil, "f": 1.5}
	for i := range n {
		want[fmt.Sprintf("k%d", i)] = int64(i)
	}
	if !reflect.DeepEqual(got.Attributes, want) {
		t.Fatalf("attributes: %v\nwant %v", got.Attributes, want)
	}
	mustNotFound(t, "patch missing", s.UpdateSessionAttributes(ctx, "missing", latch.Attributes{"a": 1}))
	if keys := prefixKeys(t, s); len(keys) != 2 {
		t.Fatalf("a patch of a missing session wrote keys: %q", keys)
	}
	big := strings.Repeat("x", latch.MaxAttributesSize/2)
	if err := s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"big1": big}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"big2": big}); !errors.Is(err, latch.ErrInvalidAttributes) {
		t.Fatalf("merge over the size limit: got %v, want ErrInvalidAttributes", err)
	}
}

func TestDeleteExpiredSessions(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	for i, user := range []string{"u1", "u1", "u1", "u2", "u2", "u:3"} {
		r := latch.SessionRecord{ID: fmt.Sprintf("s%d", i), UserID: user, ActiveExpires: past, IdleExpires: past + int64(i)*1000}
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// u1's s0 (past) and s1 (past+1000, at now) are dead; s2 lives.
	n, err := s.DeleteExpiredSessions(ctx, "u1", past+1000)
	if err != nil || n != 2 {
		t.Fatalf("purge u1: %d, %v; want 2", n, err)
	}
	// Everyone at past+4000: s2, s3, s4 (s5 at past+5000 lives).
	n, err = s.DeleteExpiredSessions(ctx, "", past+4000)
	if err != nil || n != 3 {
		t.Fatalf("purge all: %d, %v; want 3", n, err)
	}
	want := []string{"session:s5", "user_sessions:u:3"}
	if got := prefixKeys(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys left: %q, want %q", got, want)
	}
	if n, err := s.DeleteExpiredSessions(ctx, "", past+4000); err != nil || n != 0 {
		t.Fatalf("second purge: %d, %v", n, err)
	}
}

// TestTTL checks the rule of Store.ttl on real keys: alive by the wall
// clock → until the expiry; dead or far in the past → minTTL; indexes
// outlive their records.
func TestTTL(t *testing.T) {
	t.Parallel()
	wall := time.Now()
	s := openStore(t, Options{Now: func() time.Time { return wall }})
	ctx := context.Background()
	hour3 := wall.Add(3 * time.Hour).UnixMilli()
	for _, r := range []latch.SessionRecord{
		{ID: "dead", UserID: "u", IdleExpires: past},
		{ID: "alive", UserID: "u", IdleExpires: hour3},
	} {
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	near := func(key string, want time.Duration) {
		t.Helper()
		got := s.client.PTTL(ctx, key).Val()
		if got > want || got < want-time.Minute {
			t.Errorf("TTL of %s is %v, want about %v", key, got, want)
		}
	}
	near(s.sessionKey("dead"), minTTL)
	near(s.sessionKey("alive"), 3*time.Hour)
	near(s.sessionIndexKey("u"), 3*time.Hour)
	if err := s.UpdateSessionExpiry(ctx, "dead", 0, wall.Add(5*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	near(s.sessionKey("dead"), 5*time.Hour)
	near(s.sessionIndexKey("u"), 5*time.Hour)
	if err := s.CreateSession(ctx, latch.SessionRecord{ID: "forever", UserID: "v", IdleExpires: 1<<63 - 1}); err != nil {
		t.Fatal(err)
	}
	near(s.sessionKey("forever"), maxTTL)

	if err := s.PutToken(ctx, latch.TokenRecord{ID: "t", Kind: "k", UserID: "u", Expires: wall.Add(2 * time.Hour).UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	near(s.tokenKey("k", "t"), 2*time.Hour)
	near(s.tokenIndexKey("u", "k"), 2*time.Hour)
	near(s.tokenKindsKey("u"), 2*time.Hour)
	if _, err := s.AddAttempt(ctx, "k", "u", past, past+1); err != nil {
		t.Fatal(err)
	}
	near(s.attemptKey("k", "u"), minTTL)
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	toks := []latch.TokenRecord{
		{ID: "plain", Kind: "k", UserID: "u", Expires: past},
		{ID: "empty-data", Kind: "k", UserID: "u", Expires: past + 1, SessionID: "s:1", Data: []byte{}},
		{ID: "bin", Kind: "k", UserID: "u", Expires: past + 2, Data: []byte{0, 1, 0xff, ':', '\n'}},
		{ID: "other-kind", Kind: "j", UserID: "u", Expires: past},
	}
	for _, tok := range toks {
		if err := s.PutToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range toks {
		got, err := s.GetToken(ctx, tok.Kind, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tok) {
			t.Fatalf("got %#v\nwant %#v", got, tok)
		}
	}
	if err := s.PutToken(ctx, latch.TokenRecord{ID: "plain", Kind: "k", UserID: "v"}); !errors.Is(err, latch.ErrDuplicate) {
		t.Fatalf("duplicate: got %v", err)
	}
	if err := s.PutToken(ctx, latch.TokenRecord{ID: "plain", Kind: "k2", UserID: "v"}); err != nil {
		t.Fatalf("same id, other kind: %v", err)
	}
	_, err := s.GetToken(ctx, "k", "missing")
	mustNotFound(t, "get missing token", err)

	list, err := s.ListTokens(ctx, "u", "k")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Expires < list[j].Expires })
	if !reflect.DeepEqual(list, toks[:3]) {
		t.Fatalf("list: %#v\nwant %#v", list, toks[:3])
	}
	got, err := s.TakeToken(ctx, "k", "bin", "")
	if err != nil || !reflect.DeepEqual(got, toks[2]) {
		t.Fatalf("take: %#v, %v", got, err)
	}
	_, err = s.TakeToken(ctx, "k", "bin", "")
	mustNotFound(t, "take twice", err)
	if err := s.DeleteToken(ctx, "k", "plain"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, "k", "never"); err != nil {
		t.Fatal(err)
	}
	list, _ = s.ListTokens(ctx, "u", "k")
	if len(list) != 1 || list[0].ID != "empty-data" {
		t.Fatalf("list after take and delete: %+v", list)
	}
	if l, err := s.ListTokens(ctx, "nobody", "k"); err != nil || len(l) != 0 {
		t.Fatalf("list of nobody: %v, %v", l, err)
	}
}

func TestTakeTokenRace(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	if err := s.PutToken(ctx, latch.TokenRecord{ID: "once", Kind: "k", UserID: "u", Expires: past}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		wins, notFounds int
		other           []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := s.TakeToken(ctx, "k", "once", "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, latch.ErrNotFound):
				notFounds++
			default:
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 || notFounds != n-1 || len(other) > 0 {
		t.Fatalf("%d winners, %d not found, other errors %v; want 1 winner", wins, notFounds, other)
	}
	if keys := prefixKeys(t, s); len(keys) != 0 {
		t.Fatalf("keys left after the take: %q", keys)
	}
}

func TestTakeTokenUserFilter(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	tok := latch.TokenRecord{ID: "t", Kind: "k", UserID: "u", Expires: past}
	if err := s.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, err := s.TakeToken(ctx, "k", "t", "intruder")
	mustNotFound(t, "take with another user", err)
	if _, err := s.GetToken(ctx, "k", "t"); err != nil {
		t.Fatalf("another user's take removed the token: %v", err)
	}
	if l, _ := s.ListTokens(ctx, "u", "k"); len(l) != 1 {
		t.Fatalf("another user's take touched the index: %v", l)
	}
	got, err := s.TakeToken(ctx, "k", "t", "u")
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Fatalf("take by the owner: %+v, %v", got, err)
	}
}

func TestDeleteUserTokens(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	for _, tok := range []latch.TokenRecord{
		{ID: "1", Kind: "a", UserID: "u"}, {ID: "2", Kind: "a", UserID: "u"},
		{ID: "3", Kind: "b", UserID: "u"}, {ID: "4", Kind: "", UserID: "u"},
		{ID: "5", Kind: "a", UserID: "v"}, {ID: "6", Kind: "b", UserID: "u:b"},
	} {
		if err := s.PutToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUserTokens(ctx, "u", "a"); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"a", "b", ""} {
		l, _ := s.ListTokens(ctx, "u", kind)
		if want := map[string]int{"a": 0, "b": 1, "": 1}[kind]; len(l) != want {
			t.Fatalf("u's %q tokens after deleting kind a: %v", kind, l)
		}
	}
	if err := s.DeleteUserTokens(ctx, "u", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"token:1:a:5", "token:1:b:6",
		"user_token_kinds:u:b", "user_token_kinds:v",
		"user_tokens:1:v:a", "user_tokens:3:u:b:b",
	}
	if got := prefixKeys(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys left: %q\nwant %q", got, want)
	}
}

func TestDeleteExpiredTokens(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	for i, tok := range []latch.TokenRecord{
		{ID: "x:1", Kind: "a:b"}, {ID: "2", Kind: "a:b"}, {ID: "3", Kind: "c"}, {ID: "4", Kind: "c"},
	} {
		tok.UserID, tok.Expires = "u:1", past+int64(i)*1000
		if err := s.PutToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	for i, kind := range []string{"old", "new"} {
		if _, err := s.AddAttempt(ctx, kind, "u:1", past, past+int64(i)*5000); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpiredTokens(ctx, past+2000)
	if err != nil || n != 3 {
		t.Fatalf("purge: %d, %v; want 3", n, err)
	}
	want := []string{"attempt:3:new:u:1", "token:1:c:4", "user_token_kinds:u:1", "user_tokens:3:u:1:c"}
	if got := prefixKeys(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys left: %q\nwant %q", got, want)
	}
	if kinds := s.client.SMembers(ctx, s.tokenKindsKey("u:1")).Val(); !reflect.DeepEqual(kinds, []string{"c"}) {
		t.Fatalf("kinds left: %q", kinds)
	}
}

// TestKeyLayout checks that parts holding ':' cannot make two records meet.
func TestKeyLayout(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	pairs := [][2]string{{"a:b", "c"}, {"a", "b:c"}, {"a:b:c", ""}, {"", "a:b:c"}, {"2:a", "b"}}
	for i, p := range pairs {
		user := p[0] // users "a:b" and "a" with kinds "c" and "b:c", and so on
		if err := s.PutToken(ctx, latch.TokenRecord{Kind: p[0], ID: p[1], UserID: user, Expires: int64(i)}); err != nil {
			t.Fatalf("kind %q id %q: %v", p[0], p[1], err)
		}
		if _, err := s.AddAttempt(ctx, p[0], p[1], 0, past+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range pairs {
		got, err := s.GetToken(ctx, p[0], p[1])
		if err != nil || got.Expires != int64(i) {
			t.Fatalf("kind %q id %q: %+v, %v", p[0], p[1], got, err)
		}
		if l, err := s.ListTokens(ctx, p[0], p[0]); err != nil || len(l) != 1 || l[0].ID != p[1] {
			t.Fatalf("list of user %q kind %q: %+v, %v", p[0], p[0], l, err)
		}
		if n, err := s.Attempts(ctx, p[0], p[1], 0); err != nil || n != 1 {
			t.Fatalf("attempts of %q %q: %d, %v", p[0], p[1], n, err)
		}
	}
	// The key names the Lua scripts build match the Go ones.
	for _, p := range pairs {
		if err := s.DeleteToken(ctx, p[0], p[1]); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetAttempts(ctx, p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	if keys := prefixKeys(t, s); len(keys) != 0 {
		t.Fatalf("keys left: %q", keys)
	}
}

func TestAttempts(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	add := func(now, expires int64) int {
		t.Helper()
		n, err := s.AddAttempt(ctx, "code", "u", now, expires)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	attempts := func(now int64) int {
		t.Helper()
		n, err := s.Attempts(ctx, "code", "u", now)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := attempts(past); n != 0 {
		t.Fatalf("absent counter: %d", n)
	}
	if a, b := add(past, past+100), add(past+50, past+999); a != 1 || b != 2 {
		t.Fatalf("counts %d, %d", a, b)
	}
	if n := attempts(past + 99); n != 2 {
		t.Fatalf("before expiry: %d", n)
	}
	if n := attempts(past + 100); n != 0 {
		t.Fatalf("at expiry: %d", n)
	}
	// At its expiry the counter starts again, with the new expiry.
	if n := add(past+100, past+300); n != 1 {
		t.Fatalf("restarted count %d", n)
	}
	if n := attempts(past + 299); n != 1 {
		t.Fatalf("restarted window: %d", n)
	}
	if err := s.ResetAttempts(ctx, "code", "u"); err != nil {
		t.Fatal(err)
	}
	if n := attempts(past); n != 0 {
		t.Fatalf("after reset: %d", n)
	}
	if err := s.ResetAttempts(ctx, "never", "u"); err != nil {
		t.Fatal(err)
	}

	// Concurrent attempts each see a distinct count.
	const n = 100
	seen := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c, err := s.AddAttempt(ctx, "race", "u", past, past+1000)
			if err != nil {
				t.Error(err)
			}
			seen <- c
		})
	}
	wg.Wait()
	close(seen)
	got := map[int]bool{}
	for c := range seen {
		got[c] = true
	}
	for i := 1; i <= n; i++ {
		if !got[i] {
			t.Fatalf("count %d was never returned: %v", i, got)
		}
	}
}

func TestHit(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	for i := int64(1); i <= 3; i++ {
		n, retry, err := s.Hit(ctx, "login:1.2.3.4", time.Minute)
		if err != nil || n != i || retry <= 50*time.Second || retry > time.Minute {
			t.Fatalf("hit %d: %d, %v, %v", i, n, retry, err)
		}
	}
	if n, _, _ := s.Hit(ctx, "login:1.2.3.5", time.Minute); n != 1 {
		t.Fatalf("another key shares the counter: %d", n)
	}
	if err := s.ResetHits(ctx, "login:1.2.3.4"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.Hit(ctx, "login:1.2.3.4", time.Minute); n != 1 {
		t.Fatalf("after reset: %d", n)
	}

	// A window ends on the server's clock; a later hit in it does not
	// extend it, and a hit after it opens a new one. (Two seconds: the two
	// hits must land in one window on a loaded machine.)
	const window = 2 * time.Second
	n1, retry1, _ := s.Hit(ctx, "short", window)
	n2, retry2, _ := s.Hit(ctx, "short", window)
	if n1 != 1 || n2 != 2 || retry2 > retry1 || retry1 > window {
		t.Fatalf("in the window: counts %d, %d, retry after %v then %v", n1, n2, retry1, retry2)
	}
	time.Sleep(retry2 + 50*time.Millisecond)
	if n, _, _ := s.Hit(ctx, "short", window); n != 1 {
		t.Fatalf("after the window: %d", n)
	}

	const hits = 100
	var wg sync.WaitGroup
	counts := make(chan int64, hits)
	for range hits {
		wg.Go(func() {
			n, _, err := s.Hit(ctx, "race", time.Minute)
			if err != nil {
				t.Error(err)
			}
			counts <- n
		})
	}
	wg.Wait()
	close(counts)
	seen := map[int64]bool{}
	for c := range counts {
		seen[c] = true
	}
	if len(seen) != hits {
		t.Fatalf("%d distinct counts from %d concurrent hits", len(seen), hits)
	}
	if _, _, err := s.Hit(ctx, "x", 0); err == nil {
		t.Fatal("a zero window was accepted")
	}
}

// TestUnreachable points a store at a closed port: every call returns an
// error naming the operation, quickly, never ErrNotFound or a panic.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	s, err := Open("redis://127.0.0.1:1/0", Options{}) // default retries
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := map[string]func() error{
		"create session": func() error { return s.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u"}) },
		"get session":    func() error { _, err := s.GetSession(ctx, "s"); return err },
		"list sessions":  func() error { _, err := s.ListSessions(ctx, "u"); return err },
		"update session expiry": func() error {
			return s.UpdateSessionExpiry(ctx, "s", 1, 2)
		},
		"update session attributes": func() error {
			return s.UpdateSessionAttributes(ctx, "s", latch.Attributes{"a": 1})
		},
		"delete session":          func() error { return s.DeleteSession(ctx, "s") },
		"delete user sessions":    func() error { return s.DeleteSessionsByUser(ctx, "u") },
		"delete expired sessions": func() error { _, err := s.DeleteExpiredSessions(ctx, "", 1); return err },
		"put token":               func() error { return s.PutToken(ctx, latch.TokenRecord{ID: "t", Kind: "k"}) },
		"take token":              func() error { _, err := s.TakeToken(ctx, "k", "t", ""); return err },
		"get token":               func() error { _, err := s.GetToken(ctx, "k", "t"); return err },
		"list tokens":             func() error { _, err := s.ListTokens(ctx, "u", "k"); return err },
		"delete token":            func() error { return s.DeleteToken(ctx, "k", "t") },
		"delete user tokens":      func() error { return s.DeleteUserTokens(ctx, "u", "") },
		"delete expired tokens":   func() error { _, err := s.DeleteExpiredTokens(ctx, 1); return err },
		"add attempt":             func() error { _, err := s.AddAttempt(ctx, "k", "u", 1, 2); return err },
		"attempts":                func() error { _, err := s.Attempts(ctx, "k", "u", 1); return err },
		"reset attempts":          func() error { return s.ResetAttempts(ctx, "k", "u") },
		"hit":                     func() error { _, _, err := s.Hit(ctx, "k", time.Second); return err },
		"peek":                    func() error { _, _, err := s.Peek(ctx, "k"); return err },
		"reset hits":              func() error { return s.ResetHits(ctx, "k") },
	}
	var wg sync.WaitGroup
	for op, call := range calls {
		wg.Go(func() {
			start := time.Now()
			err := call()
			if err == nil || errors.Is(err, latch.ErrNotFound) || !strings.HasPrefix(err.Error(), "redis: "+op+":") {
				t.Errorf("%s: got %v, want a connection error prefixed %q", op, err, "redis: "+op+":")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s took %v", op, d)
			}
		})
	}
	wg.Wait()
}

func TestOpen(t *testing.T) {
	t.Parallel()
	if _, err := Open("http://example.com", Options{}); err == nil || !strings.HasPrefix(err.Error(), "redis: open: ") {
		t.Fatalf("bad URL: %v", err)
	}
	s, err := Open("redis://127.0.0.1:1/3", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.prefix != DefaultPrefix || s.Client() == nil {
		t.Fatalf("defaults: %q %v", s.prefix, s.Client())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// New leaves the client to its owner.
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	if err := New(c, Options{}).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("New's Close closed the caller's client: %v", err)
	}
}

func TestGlobEscape(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := context.Background()
	// A store whose prefix is a pattern must not purge its neighbours.
	wild := New(s.client, Options{Prefix: s.prefix + "[*]?\\"})
	t.Cleanup(func() {
		_ = wild.DeleteSessionsByUser(context.Background(), "u")
	})
	for _, st := range []*Store{s, wild} {
		if err := st.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", IdleExpires: past}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := wild.DeleteExpiredSessions(ctx, "", past); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if _, err := s.GetSession(ctx, "s"); err != nil {
		t.Fatalf("another prefix's purge removed the session: %v", err)
	}
}

// TestActivityCap: past ActivityCap events a user's record drops its
// oldest, in the set and in the hash alike.
func TestActivityCap(t *testing.T) {
	t.Parallel()
	s := openStore(t, Options{})
	ctx := t.Context()
	for i := range ActivityCap + 5 {
		e := latch.ActivityEvent{ID: fmt.Sprintf("e%05d", i), UserID: "capped", Type: "sign-in-failed", At: int64(1000 + i)}
		if err := s.AddActivity(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListActivity(ctx, "capped", 0, "", ActivityCap+10)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.client.HLen(ctx, s.activityEventsKey("capped")).Result(); n != ActivityCap {
		t.Errorf("the hash keeps %d events, want %d", n, ActivityCap)
	}
	if len(all) != ActivityCap || all[0].ID != fmt.Sprintf("e%05d", ActivityCap+4) || all[len(all)-1].ID != "e00005" {
		t.Fatalf("kept %d events, %s to %s; want the newest %d", len(all), all[0].ID, all[len(all)-1].ID, ActivityCap)
	}
}
