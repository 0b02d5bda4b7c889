package storetest

import (
	"strconv"
	"testing"

	"github.com/latchauth/latch"
)

// tokenData is an opaque payload with NUL bytes and bytes that are not
// UTF-8, which a text column or a C string would damage.
var tokenData = []byte{0, 'a', 0, 0, 0xff, 0xfe, '\n', 0, '"', '\\', 0x80}

func testTokens(t *testing.T, open Open) {
	t.Run("put-take", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		tok := latch.TokenRecord{
			ID: newTokenID(t), Kind: "password-reset", UserID: u, Expires: baseMS + hour + 7,
			SessionID: newSessionID(t), Data: tokenData,
		}
		must(t, "PutToken", f.Tokens.PutToken(f.ctx, tok))
		got, err := f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, "")
		must(t, "TakeToken", err)
		checkToken(t, "TakeToken", got, tok)
		_, err = f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		wantNotFound(t, "GetToken after TakeToken (take deletes)", err)
		list, err := f.Tokens.ListTokens(f.ctx, u, tok.Kind)
		must(t, "ListTokens", err)
		checkIDs(t, "ListTokens after TakeToken", tokenIDs(list), nil)
		_, err = f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, "")
		wantNotFound(t, "second TakeToken", err)
		_, err = f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, u)
		wantNotFound(t, "TakeToken with the right user after it was taken", err)

		bare := latch.TokenRecord{ID: newTokenID(t), Kind: "magic-link", UserID: u, Expires: baseMS}
		must(t, "PutToken without session or data", f.Tokens.PutToken(f.ctx, bare))
		got, err = f.Tokens.TakeToken(f.ctx, bare.Kind, bare.ID, u)
		must(t, "TakeToken with its user", err)
		checkToken(t, "TakeToken of a token without session or data", got, bare)
	})

	t.Run("duplicate", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u, other := f.user(nil), f.user(nil)
		tok := latch.TokenRecord{ID: newTokenID(t), Kind: "verify", UserID: u, Expires: baseMS, Data: []byte("first")}
		must(t, "PutToken", f.Tokens.PutToken(f.ctx, tok))
		again := latch.TokenRecord{ID: tok.ID, Kind: tok.Kind, UserID: other, Expires: baseMS + hour, Data: []byte("second")}
		wantErr(t, "PutToken with a taken (kind, id)", f.Tokens.PutToken(f.ctx, again), latch.ErrDuplicate)
		got, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		must(t, "GetToken", err)
		checkToken(t, "the token after a refused duplicate", got, tok)
	})

	t.Run("same-id-other-kind", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		id := newTokenID(t)
		a := latch.TokenRecord{ID: id, Kind: "verify", UserID: u, Expires: baseMS, Data: []byte("a")}
		b := latch.TokenRecord{ID: id, Kind: "reset", UserID: u, Expires: baseMS + 1, Data: []byte("b")}
		must(t, "PutToken", f.Tokens.PutToken(f.ctx, a))
		must(t, "PutToken of the same id under another kind", f.Tokens.PutToken(f.ctx, b))
		got, err := f.Tokens.GetToken(f.ctx, b.Kind, id)
		must(t, "GetToken", err)
		checkToken(t, "GetToken", got, b)
		got, err = f.Tokens.TakeToken(f.ctx, a.Kind, id, "")
		must(t, "TakeToken", err)
		checkToken(t, "TakeToken", got, a)
		got, err = f.Tokens.GetToken(f.ctx, b.Kind, id)
		must(t, "GetToken of the other kind after TakeToken", err)
		checkToken(t, "the other kind after TakeToken", got, b)
		_, err = f.Tokens.TakeToken(f.ctx, "no-such-kind", id, "")
		wantNotFound(t, "TakeToken under a kind it was not put with", err)
	})

	t.Run("missing-user", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		if !f.tokensWithUsers() {
			t.Skip("tokens and users are kept by different stores")
		}
		tok := latch.TokenRecord{ID: newTokenID(t), Kind: "verify", UserID: newID(t, "u"), Expires: baseMS}
		wantNotFound(t, "PutToken for a missing user", f.Tokens.PutToken(f.ctx, tok))
		_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		wantNotFound(t, "GetToken of a token refused for a missing user", err)
	})

	t.Run("take-other-user", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u, other := f.user(nil), f.user(nil)
		tok := f.token(u, "code", baseMS+hour)
		_, err := f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, other)
		wantNotFound(t, "TakeToken with another user's id", err)
		got, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		must(t, "GetToken after another user's TakeToken (the token must stay)", err)
		checkToken(t, "the token after another user's TakeToken", got, tok)
		got, err = f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, u)
		must(t, "TakeToken with the right user", err)
		checkToken(t, "TakeToken", got, tok)
	})

	t.Run("take-expired", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		tok := f.token(u, "verify", baseMS-24*hour)
		got, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		must(t, "GetToken of an expired token (the store does not judge expiry)", err)
		checkToken(t, "GetToken", got, tok)
		got, err = f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, "")
		must(t, "TakeToken of an expired token (the store does not judge expiry)", err)
		checkToken(t, "TakeToken", got, tok)
		_, err = f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		wantNotFound(t, "GetToken after taking an expired token", err)
	})

	t.Run("get", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		tok := latch.TokenRecord{ID: newTokenID(t), Kind: "one-time", UserID: u, Expires: baseMS, SessionID: newSessionID(t), Data: tokenData}
		must(t, "PutToken", f.Tokens.PutToken(f.ctx, tok))
		for i := range 2 {
			got, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			must(t, "GetToken #"+strconv.Itoa(i+1), err)
			checkToken(t, "GetToken", got, tok)
		}
		_, err := f.Tokens.GetToken(f.ctx, tok.Kind, newTokenID(t))
		wantNotFound(t, "GetToken of a missing token", err)
		_, err = f.Tokens.GetToken(f.ctx, "other-kind", tok.ID)
		wantNotFound(t, "GetToken under another kind", err)
	})

	t.Run("list", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u, other := f.user(nil), f.user(nil)
		want := []latch.TokenRecord{
			{ID: newTokenID(t), Kind: "verify", UserID: u, Expires: baseMS + hour, Data: tokenData, SessionID: newSessionID(t)},
			{ID: newTokenID(t), Kind: "verify", UserID: u, Expires: baseMS - hour}, // expired: listed too
		}
		for _, tok := range want {
			must(t, "PutToken", f.Tokens.PutToken(f.ctx, tok))
		}
		f.token(u, "reset", baseMS+hour)
		f.token(other, "verify", baseMS+hour)
		list, err := f.Tokens.ListTokens(f.ctx, u, "verify")
		must(t, "ListTokens", err)
		checkIDs(t, "ListTokens", tokenIDs(list), tokenIDs(want))
		for _, got := range list {
			for _, w := range want {
				if got.ID == w.ID {
					checkToken(t, "ListTokens", got, w)
				}
			}
		}
		none, err := f.Tokens.ListTokens(f.ctx, u, "no-such-kind")
		must(t, "ListTokens of a kind without tokens", err)
		checkIDs(t, "ListTokens of a kind without tokens", tokenIDs(none), nil)
		none, err = f.Tokens.ListTokens(f.ctx, newID(t, "u"), "verify")
		must(t, "ListTokens of a missing user", err)
		checkIDs(t, "ListTokens of a missing user", tokenIDs(none), nil)
	})

	t.Run("delete-one", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		tok, kept := f.token(u, "verify", baseMS), f.token(u, "verify", baseMS)
		must(t, "DeleteToken", f.Tokens.DeleteToken(f.ctx, tok.Kind, tok.ID))
		_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		wantNotFound(t, "GetToken after DeleteToken", err)
		list, err := f.Tokens.ListTokens(f.ctx, u, "verify")
		must(t, "ListTokens", err)
		checkIDs(t, "ListTokens after DeleteToken", tokenIDs(list), tokenIDs([]latch.TokenRecord{kept}))
		// The (kind, id) is free again.
		must(t, "PutToken with a deleted token's id", f.Tokens.PutToken(f.ctx, tok))
	})

	t.Run("delete-user-tokens-by-kind", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u, other := f.user(nil), f.user(nil)
		gone := []latch.TokenRecord{f.token(u, "verify", baseMS), f.token(u, "verify", baseMS-hour)}
		keptKind := f.token(u, "reset", baseMS)
		keptUser := f.token(other, "verify", baseMS)
		must(t, "DeleteUserTokens", f.Tokens.DeleteUserTokens(f.ctx, u, "verify"))
		for _, tok := range gone {
			_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			wantNotFound(t, "GetToken after DeleteUserTokens", err)
		}
		for _, tok := range []latch.TokenRecord{keptKind, keptUser} {
			got, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			must(t, "GetToken of a token of another kind or user", err)
			checkToken(t, "a token of another kind or user", got, tok)
		}
		list, err := f.Tokens.ListTokens(f.ctx, u, "verify")
		must(t, "ListTokens", err)
		checkIDs(t, "ListTokens after DeleteUserTokens", tokenIDs(list), nil)
	})

	t.Run("delete-user-tokens-all-kinds", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u, other := f.user(nil), f.user(nil)
		gone := []latch.TokenRecord{f.token(u, "verify", baseMS), f.token(u, "reset", baseMS), f.token(u, "one-time", baseMS)}
		kept := f.token(other, "verify", baseMS)
		_, err := f.Tokens.AddAttempt(f.ctx, "code", u, baseMS, baseMS+hour)
		must(t, "AddAttempt", err)
		must(t, "DeleteUserTokens with kind \"\"", f.Tokens.DeleteUserTokens(f.ctx, u, ""))
		// Attempt counters stay: a new code must not lift an attempt limit.
		n, err := f.Tokens.Attempts(f.ctx, "code", u, baseMS)
		must(t, "Attempts", err)
		if n != 1 {
			t.Errorf("Attempts after DeleteUserTokens(user, \"\") = %d, want 1 (counters stay)", n)
		}
		for _, tok := range gone {
			_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			wantNotFound(t, "GetToken of a "+tok.Kind+" token after DeleteUserTokens(user, \"\")", err)
		}
		_, err = f.Tokens.GetToken(f.ctx, kept.Kind, kept.ID)
		must(t, "GetToken of another user's token", err)
		// New tokens of the user are kept apart from the deleted ones.
		tok := f.token(u, "verify", baseMS)
		list, err := f.Tokens.ListTokens(f.ctx, u, "verify")
		must(t, "ListTokens", err)
		checkIDs(t, "ListTokens after a new token", tokenIDs(list), tokenIDs([]latch.TokenRecord{tok}))
	})

	t.Run("deletes-succeed-for-missing", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		must(t, "DeleteToken of a missing token", f.Tokens.DeleteToken(f.ctx, "verify", newTokenID(t)))
		must(t, "DeleteUserTokens of a missing user", f.Tokens.DeleteUserTokens(f.ctx, newID(t, "u"), "verify"))
		must(t, "DeleteUserTokens of a missing user, every kind", f.Tokens.DeleteUserTokens(f.ctx, newID(t, "u"), ""))
		must(t, "ResetAttempts of a missing counter", f.Tokens.ResetAttempts(f.ctx, "code", newID(t, "u")))
	})

	t.Run("delete-expired", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		// The handler suite's purge subtest purges the same range.
		thPurgeMu.Lock()
		defer thPurgeMu.Unlock()
		now := purgeNow
		// Leftovers in the purge range from an earlier run would spoil the count.
		_, err := f.Tokens.DeleteExpiredTokens(f.ctx, now)
		must(t, "DeleteExpiredTokens", err)
		a, b := f.user(nil), f.user(nil)
		gone := []latch.TokenRecord{f.token(a, "verify", now-1), f.token(a, "reset", now), f.token(b, "verify", now-1000)}
		kept := []latch.TokenRecord{f.token(a, "verify", now+1), f.token(b, "verify", baseMS)}
		// Attempt counters: one whose window ends at now, one a moment later.
		for _, c := range []struct {
			kind    string
			expires int64
		}{{"ended", now}, {"running", now + 1}} {
			n, err := f.Tokens.AddAttempt(f.ctx, c.kind, a, 1, c.expires)
			must(t, "AddAttempt", err)
			if n != 1 {
				t.Fatalf("AddAttempt on a new counter = %d, want 1", n)
			}
		}

		n, err := f.Tokens.DeleteExpiredTokens(f.ctx, now)
		must(t, "DeleteExpiredTokens", err)
		if n != int64(len(gone)) {
			t.Errorf("DeleteExpiredTokens(now) = %d, want %d (tokens expiring before or at now)", n, len(gone))
		}
		for _, tok := range gone {
			_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			wantNotFound(t, "GetToken of a purged token", err)
		}
		for _, tok := range kept {
			_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			must(t, "GetToken of a token expiring after now", err)
		}
		// Asked at a time inside both windows, a removed counter reads 0.
		for kind, want := range map[string]int{"ended": 0, "running": 1} {
			got, err := f.Tokens.Attempts(f.ctx, kind, a, 2)
			must(t, "Attempts", err)
			if got != want {
				t.Errorf("Attempts(%q) after DeleteExpiredTokens = %d, want %d (counters whose window ended are removed)", kind, got, want)
			}
		}
	})

	t.Run("expiry-round-trip", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		for _, v := range expiryValues {
			tok := f.token(u, "verify", v)
			got, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			must(t, "GetToken", err)
			checkToken(t, "GetToken", got, tok)
			got, err = f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, u)
			must(t, "TakeToken", err)
			checkToken(t, "TakeToken", got, tok)
		}
	})

	t.Run("no-aliasing", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		data := []byte("original")
		tok := latch.TokenRecord{ID: newTokenID(t), Kind: "verify", UserID: u, Expires: baseMS, Data: data}
		must(t, "PutToken", f.Tokens.PutToken(f.ctx, tok))
		copy(data, "CHANGED!")
		got, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		must(t, "GetToken", err)
		if string(got.Data) != "original" {
			t.Fatalf("Data after the caller changed its slice = %q, want %q", got.Data, "original")
		}
		copy(got.Data, "CHANGED!")
		list, err := f.Tokens.ListTokens(f.ctx, u, "verify")
		must(t, "ListTokens", err)
		for _, l := range list {
			copy(l.Data, "CHANGED!")
		}
		got, err = f.Tokens.TakeToken(f.ctx, tok.Kind, tok.ID, "")
		must(t, "TakeToken", err)
		if string(got.Data) != "original" {
			t.Errorf("Data after the caller changed returned slices = %q, want %q", got.Data, "original")
		}
	})

	t.Run("attempts-count", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		now, expires := baseMS, baseMS+10*minute
		n, err := f.Tokens.Attempts(f.ctx, "code", u, now)
		must(t, "Attempts", err)
		if n != 0 {
			t.Errorf("Attempts before any = %d, want 0", n)
		}
		for want := 1; want <= 3; want++ {
			n, err := f.Tokens.AddAttempt(f.ctx, "code", u, now+int64(want), expires)
			must(t, "AddAttempt", err)
			if n != want {
				t.Errorf("AddAttempt #%d = %d, want %d", want, n, want)
			}
		}
		n, err = f.Tokens.Attempts(f.ctx, "code", u, now+4)
		must(t, "Attempts", err)
		if n != 3 {
			t.Errorf("Attempts after three = %d, want 3", n)
		}
	})

	t.Run("attempts-window", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		start, end := baseMS, baseMS+10*minute
		for range 2 {
			_, err := f.Tokens.AddAttempt(f.ctx, "code", u, start, end)
			must(t, "AddAttempt", err)
		}
		// A later expires does not move a running window.
		n, err := f.Tokens.AddAttempt(f.ctx, "code", u, start+1, end+hour)
		must(t, "AddAttempt", err)
		if n != 3 {
			t.Fatalf("AddAttempt #3 = %d, want 3", n)
		}
		for _, c := range []struct {
			at   int64
			want int
		}{{end - 1, 3}, {end, 0}, {end + 1, 0}} {
			n, err := f.Tokens.Attempts(f.ctx, "code", u, c.at)
			must(t, "Attempts", err)
			if n != c.want {
				t.Errorf("Attempts at window end %+d ms = %d, want %d (the window is set when the counter starts and ends at its expiry)", c.at-end, n, c.want)
			}
		}
		// At the window's end the counter starts again, with the new window.
		n, err = f.Tokens.AddAttempt(f.ctx, "code", u, end, end+10*minute)
		must(t, "AddAttempt", err)
		if n != 1 {
			t.Errorf("AddAttempt after the window ended = %d, want 1", n)
		}
		n, err = f.Tokens.AddAttempt(f.ctx, "code", u, end+1, end+hour)
		must(t, "AddAttempt", err)
		if n != 2 {
			t.Errorf("AddAttempt in the new window = %d, want 2", n)
		}
		n, err = f.Tokens.Attempts(f.ctx, "code", u, end+10*minute-1)
		must(t, "Attempts", err)
		if n != 2 {
			t.Errorf("Attempts in the new window = %d, want 2", n)
		}
		n, err = f.Tokens.Attempts(f.ctx, "code", u, end+10*minute)
		must(t, "Attempts", err)
		if n != 0 {
			t.Errorf("Attempts at the new window's end = %d, want 0", n)
		}
	})

	t.Run("attempts-reset", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u := f.user(nil)
		for range 3 {
			_, err := f.Tokens.AddAttempt(f.ctx, "code", u, baseMS, baseMS+hour)
			must(t, "AddAttempt", err)
		}
		must(t, "ResetAttempts", f.Tokens.ResetAttempts(f.ctx, "code", u))
		n, err := f.Tokens.Attempts(f.ctx, "code", u, baseMS)
		must(t, "Attempts", err)
		if n != 0 {
			t.Errorf("Attempts after ResetAttempts = %d, want 0", n)
		}
		n, err = f.Tokens.AddAttempt(f.ctx, "code", u, baseMS, baseMS+hour)
		must(t, "AddAttempt", err)
		if n != 1 {
			t.Errorf("AddAttempt after ResetAttempts = %d, want 1", n)
		}
		must(t, "ResetAttempts twice", f.Tokens.ResetAttempts(f.ctx, "code", u))
		must(t, "ResetAttempts twice", f.Tokens.ResetAttempts(f.ctx, "code", u))
	})

	t.Run("attempts-independent", func(t *testing.T) {
		f := setup(t, open)
		f.needTokens()
		u, other := f.user(nil), f.user(nil)
		add := func(kind, user string, times int) {
			t.Helper()
			for range times {
				_, err := f.Tokens.AddAttempt(f.ctx, kind, user, baseMS, baseMS+hour)
				must(t, "AddAttempt", err)
			}
		}
		add("code", u, 3)
		add("login", u, 2)
		add("code", other, 1)
		add("login", other, 1)
		must(t, "ResetAttempts", f.Tokens.ResetAttempts(f.ctx, "login", other))
		// Replacing a user's codes must not reset the count of wrong
		// guesses, or asking for a new code would lift the limit.
		f.token(u, "code", baseMS+hour)
		must(t, "DeleteUserTokens", f.Tokens.DeleteUserTokens(f.ctx, u, "code"))
		for _, c := range []struct {
			kind, user string
			want       int
		}{{"code", u, 3}, {"login", u, 2}, {"code", other, 1}, {"login", other, 0}} {
			n, err := f.Tokens.Attempts(f.ctx, c.kind, c.user, baseMS+1)
			must(t, "Attempts", err)
			if n != c.want {
				who := "the user"
				if c.user == other {
					who = "another user"
				}
				t.Errorf("Attempts(%q, %s) = %d, want %d (counters are per kind and user, and tokens are not counters)", c.kind, who, n, c.want)
			}
		}
	})
}
