package storetest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
)

// race runs fn(0) … fn(n-1) in n goroutines released at the same moment
// and returns their errors by index.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// noErrors fails the test listing every error (first few in full).
func noErrors(t *testing.T, op string, errs []error) {
	t.Helper()
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Sprintf("#%d: %v", i, err))
		}
	}
	if len(failed) > 0 {
		if len(failed) > 5 {
			failed = append(failed[:5], "…")
		}
		t.Fatalf("%s: %d of %d concurrent calls failed:\n\t%v", op, countNonNil(errs), len(errs), failed)
	}
}

func countNonNil(errs []error) int {
	n := 0
	for _, err := range errs {
		if err != nil {
			n++
		}
	}
	return n
}

// oneWinner checks that exactly one call succeeded and that every other
// failed with errors.Is(err, loser); it returns the winner's index.
func oneWinner(t *testing.T, op string, errs []error, loser error) int {
	t.Helper()
	winner, wins := -1, 0
	for i, err := range errs {
		switch {
		case err == nil:
			winner = i
			wins++
		case !errors.Is(err, loser):
			t.Errorf("%s #%d: got error %v, want one matching %v", op, i, err, loser)
		}
	}
	if wins != 1 {
		t.Fatalf("%s: %d of %d concurrent calls succeeded, want exactly 1", op, wins, len(errs))
	}
	return winner
}

// padding is a large attribute value (see update-user-attributes).
var padding = strings.Repeat("p", 32<<10)

func testConcurrency(t *testing.T, open Open) {
	t.Run("create-sessions-and-keys", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		const n = 100
		sessions := make([]latch.SessionRecord, n)
		keys := make([]latch.KeyRecord, n)
		for i := range n {
			sessions[i] = latch.SessionRecord{
				ID: newSessionID(t), UserID: u, ActiveExpires: baseMS + hour, IdleExpires: baseMS + 2*hour,
				Attributes: latch.Attributes{"i": int64(i)},
			}
			keys[i] = latch.KeyRecord{ID: newKeyID(t), UserID: u, HashedPassword: ptr(fmt.Sprint("hash", i))}
		}
		errs := race(2*n, func(i int) error {
			if i%2 == 0 {
				return f.Sessions.CreateSession(f.ctx, sessions[i/2])
			}
			return f.Keys.CreateKey(f.ctx, keys[i/2])
		})
		noErrors(t, "CreateSession and CreateKey", errs)
		gotSessions, err := f.Sessions.ListSessions(f.ctx, u)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions after concurrent creates", sessionIDs(gotSessions), sessionIDs(sessions))
		gotKeys, err := f.Keys.ListKeys(f.ctx, u)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys after concurrent creates", keyIDs(gotKeys), keyIDs(keys))
	})

	t.Run("create-user-same-id", func(t *testing.T) {
		f := setup(t, open)
		id := newID(t, "u")
		const n = 20
		keys := make([]latch.KeyRecord, n)
		for i := range keys {
			keys[i] = latch.KeyRecord{ID: newKeyID(t), UserID: id}
		}
		errs := race(n, func(i int) error {
			return f.Users.CreateUser(f.ctx, latch.UserRecord{ID: id, Attributes: latch.Attributes{"i": int64(i)}}, &keys[i])
		})
		w := oneWinner(t, "CreateUser with one id", errs, latch.ErrDuplicate)
		got, err := f.Users.GetUser(f.ctx, id)
		must(t, "GetUser", err)
		checkAttributes(t, "the user", got.Attributes, latch.Attributes{"i": int64(w)})
		list, err := f.Keys.ListKeys(f.ctx, id)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys (only the winner's key may exist)", keyIDs(list), []string{keys[w].ID})
	})

	t.Run("take-token", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		tok := latch.TokenRecord{ID: newTokenID(t), Kind: "magic-link", UserID: u, Expires: baseMS + hour, Data: tokenData}
		must(t, "PutToken", f.Tokens.PutToken(f.ctx, tok))
		const n = 200
		got := make([]latch.TokenRecord, n)
		errs := race(n, func(i int) error {
			var err error
			got[i], err = f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, "")
			return err
		})
		w := oneWinner(t, "TakeToken of one token", errs, latch.ErrNotFound)
		checkToken(t, "the winner's token", got[w], tok)
	})

	t.Run("put-token-same-id", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		id := newTokenID(t)
		const n = 50
		errs := race(n, func(i int) error {
			return f.Tokens.PutToken(f.ctx, latch.TokenRecord{ID: id, Kind: "verify", UserID: u, Expires: baseMS + int64(i), Data: []byte{byte(i)}})
		})
		w := oneWinner(t, "PutToken of one (kind, id)", errs, latch.ErrDuplicate)
		got, err := f.Tokens.GetToken(f.ctx, "verify", id)
		must(t, "GetToken", err)
		checkToken(t, "the token", got, latch.TokenRecord{ID: id, Kind: "verify", UserID: u, Expires: baseMS + int64(w), Data: []byte{byte(w)}})
	})

	t.Run("add-attempt", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		const n = 50
		counts := make([]int, n)
		errs := race(n, func(i int) error {
			var err error
			counts[i], err = f.Tokens.AddAttempt(f.ctx, "code", u, baseMS, baseMS+hour)
			return err
		})
		noErrors(t, "AddAttempt", errs)
		sort.Ints(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("concurrent AddAttempt counts, sorted = %v; want exactly 1 to %d, each once", counts, n)
			}
		}
		got, err := f.Tokens.Attempts(f.ctx, "code", u, baseMS)
		must(t, "Attempts", err)
		if got != n {
			t.Errorf("Attempts = %d, want %d", got, n)
		}
	})

	t.Run("update-user-attributes", func(t *testing.T) {
		f := setup(t, open)
		// A large attribute makes each merge slow enough that a store
		// merging outside a transaction or lock loses updates here.
		u := f.user(latch.Attributes{"base": "kept", "pad": padding})
		const n = 50
		errs := race(n, func(i int) error {
			return f.Users.UpdateUserAttributes(f.ctx, u, latch.Attributes{fmt.Sprintf("k%d", i): int64(i)})
		})
		noErrors(t, "UpdateUserAttributes", errs)
		want := latch.Attributes{"base": "kept", "pad": padding}
		for i := range n {
			want[fmt.Sprintf("k%d", i)] = int64(i)
		}
		got, err := f.Users.GetUser(f.ctx, u)
		must(t, "GetUser", err)
		checkAttributes(t, "user after concurrent merges (none may be lost)", got.Attributes, want)
	})

	t.Run("update-session-attributes", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		s := f.session(u, baseMS+hour, latch.Attributes{"base": "kept", "pad": padding})
		const n = 50
		errs := race(n, func(i int) error {
			return f.Sessions.UpdateSessionAttributes(f.ctx, s.ID, latch.Attributes{fmt.Sprintf("k%d", i): int64(i)})
		})
		noErrors(t, "UpdateSessionAttributes", errs)
		want := latch.Attributes{"base": "kept", "pad": padding}
		for i := range n {
			want[fmt.Sprintf("k%d", i)] = int64(i)
		}
		got, err := f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkAttributes(t, "session after concurrent merges (none may be lost)", got.Attributes, want)
	})
}
