package token_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/storetest"
	"github.com/latchauth/latch/token"
)

// TestHandlers runs the handler suite of store/storetest on the memory and
// SQLite stores, and on the memory store split as Redis beside SQL would be.
func TestHandlers(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			storetest.RunTokenHandlers(t, func(t *testing.T) storetest.Stores {
				s := b.open(t)
				return storetest.Stores{Users: s, Keys: s, Sessions: s, Tokens: s}
			})
		})
	}
	t.Run("memory-split", func(t *testing.T) {
		t.Parallel()
		storetest.RunTokenHandlers(t, func(t *testing.T) storetest.Stores {
			s := memory.New()
			return storetest.Stores{Users: s, Keys: s, Sessions: sessionView{s}, Tokens: tokenView{s}}
		})
	})
}

// sessionView and tokenView present one store under other types, so that
// latch.Auth treats it as a separate backend.
type (
	sessionView struct{ latch.SessionStore }
	tokenView   struct{ latch.TokenStore }
)

func TestPasswordTokens(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		codes := must(token.NewPasswordTokens(e.auth, "code", token.PasswordTokenOptions{ExpiresIn: 10 * time.Minute, MaxAttempts: 2}))(t, "NewPasswordTokens")
		u := e.user()

		// A user that does not exist has no code, whatever the store says
		// about counting its attempts.
		_, err := codes.Validate(e.ctx, "12345678", "no-such-user")
		wantErr(t, "Validate for an unknown user", err, token.ErrInvalidToken)
		_, err = codes.Issue(e.ctx, "no-such-user")
		wantErr(t, "Issue for an unknown user", err, latch.ErrInvalidUserID)
		_, err = codes.GetAllUserTokens(e.ctx, "no-such-user")
		wantErr(t, "GetAllUserTokens for an unknown user", err, latch.ErrInvalidUserID)

		// Locked out, then the window ends: the counter starts again, and
		// the invalidated code stays invalid.
		code := must(codes.Issue(e.ctx, u))(t, "Issue")
		_, err = codes.Validate(e.ctx, "00000000x", u)
		wantErr(t, "first wrong code", err, token.ErrInvalidToken)
		_, err = codes.Validate(e.ctx, "00000000y", u)
		wantErr(t, "second wrong code", err, token.ErrTooManyAttempts)
		e.clock.Add(10*time.Minute - time.Millisecond)
		_, err = codes.Validate(e.ctx, code.String(), u)
		wantErr(t, "right code within the window", err, token.ErrTooManyAttempts)
		e.clock.Add(time.Millisecond)
		_, err = codes.Validate(e.ctx, code.String(), u)
		wantErr(t, "the invalidated code after the window", err, token.ErrInvalidToken)

		// Listing: the one open code, valid then expired.
		code = must(codes.Issue(e.ctx, u))(t, "Issue")
		list := must(codes.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens")
		if len(list) != 1 || list[0].Expired() || list[0].String() != "" || !list[0].ExpiresAt.Equal(code.ExpiresAt) {
			t.Fatalf("GetAllUserTokens = %+v, want the open code without its value", list)
		}
		e.clock.Add(10 * time.Minute)
		list = must(codes.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens")
		if len(list) != 1 || !list[0].Expired() {
			t.Fatalf("GetAllUserTokens after expiry = %+v, want one expired code", list)
		}
		must(0, codes.InvalidateAllUserTokens(e.ctx, u))(t, "InvalidateAllUserTokens")
		if list := must(codes.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens"); len(list) != 0 {
			t.Fatalf("GetAllUserTokens after InvalidateAllUserTokens = %d codes", len(list))
		}
	})
}

func TestOneTimeTokens(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ott := must(token.NewOneTimeTokens(e.auth, "ott", token.OneTimeTokenOptions{Storage: token.Plain}))(t, "NewOneTimeTokens")
		u := e.user()
		sess := e.session(u)
		tok := must(ott.Generate(e.ctx, sess))(t, "Generate")

		// The row: the value (plain storage), the session id, and the
		// session token sealed, not readable.
		rec := must(e.store.GetToken(e.ctx, "ott", tok.String()))(t, "GetToken")
		if rec.SessionID != sess.ID || rec.UserID != u {
			t.Fatalf("row: session %q, user %q; want %q, %q", rec.SessionID, rec.UserID, sess.ID, u)
		}
		if bytes.Contains(rec.Data, []byte(sess.Token)) || len(rec.Data) < len(sess.Token)+16 {
			t.Fatalf("row data %q holds the session token in the clear (or is too short to seal it)", rec.Data)
		}

		// A tampered seal, or a seal moved to another value, opens nothing.
		tampered := rec
		tampered.Data = bytes.Clone(rec.Data)
		tampered.Data[len(tampered.Data)-1] ^= 1
		must(e.store.TakeToken(e.ctx, "ott", rec.ID, ""))(t, "TakeToken")
		noErr(t, "PutToken", e.store.PutToken(e.ctx, tampered))
		_, err := ott.Verify(e.ctx, tok.String())
		wantErr(t, "Verify of a tampered row", err, token.ErrInvalidToken)
		moved := rec
		moved.ID = "another-value-entirely"
		noErr(t, "PutToken", e.store.PutToken(e.ctx, moved))
		_, err = ott.Verify(e.ctx, moved.ID)
		wantErr(t, "Verify of a seal moved to another value", err, token.ErrInvalidToken)
		other := e.session(u)
		rebound := rec
		rebound.SessionID = other.ID // the seal names the session it was made for
		noErr(t, "PutToken", e.store.PutToken(e.ctx, rebound))
		_, err = ott.Verify(e.ctx, tok.String())
		wantErr(t, "Verify of a seal rebound to another session", err, token.ErrInvalidToken)

		// A session's token with another session's id is refused.
		mixed := sess
		mixed.ID = other.ID
		_, err = ott.Generate(e.ctx, mixed)
		wantErr(t, "Generate for a session whose Token is another's", err, latch.ErrInvalidSessionID)
		_, err = ott.Generate(e.ctx, latch.Session{Token: "not-a-session"})
		wantErr(t, "Generate for an unknown session token", err, latch.ErrInvalidSessionID)

		// The custom generator sees the session.
		var seen latch.Session
		custom := must(token.NewOneTimeTokens(e.auth, "custom", token.OneTimeTokenOptions{ExpiresIn: time.Minute, Generate: func(s latch.Session) (string, error) {
			seen = s
			return latch.RandomString(40, latch.AlphabetLowerNumeric)
		}}))(t, "NewOneTimeTokens")
		tok = must(custom.Generate(e.ctx, sess))(t, "Generate")
		if seen.ID != sess.ID || len(tok.String()) != 40 || !tok.ExpiresAt.Equal(start.Add(time.Minute)) {
			t.Fatalf("custom Generate saw session %q and made %q expiring %v", seen.ID, tok, tok.ExpiresAt)
		}
		got := must(custom.Verify(e.ctx, tok.String()))(t, "Verify")
		if got.ID != sess.ID || got.Token != sess.Token {
			t.Fatalf("Verify = %q, want %q", got.ID, sess.ID)
		}
	})
}

// TestOneTimeTokensLucia2 hands over a session of the lucia2 profile,
// whose stored id is its token.
func TestOneTimeTokensLucia2(t *testing.T) {
	t.Parallel()
	s := memory.New()
	a := must(latch.New(latch.Config{Store: s, Profile: latch.ProfileLucia2}))(t, "latch.New")
	ott := must(token.NewOneTimeTokens(a, "ott", token.OneTimeTokenOptions{}))(t, "NewOneTimeTokens")
	u := must(a.CreateUser(t.Context(), latch.CreateUserOptions{}))(t, "CreateUser")
	sess := must(a.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID}))(t, "CreateSession")
	tok := must(ott.Generate(t.Context(), sess))(t, "Generate")
	got := must(ott.Verify(t.Context(), tok.String()))(t, "Verify")
	if got.ID != sess.ID || got.Token != sess.Token {
		t.Fatalf("Verify = %q, want %q", got.ID, sess.ID)
	}
}

func TestPasswordResets(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		resets := must(token.NewPasswordResets(e.auth, token.PasswordResetOptions{IssueLimit: 2, IssueWindow: time.Hour, ExpiresIn: time.Hour, Length: 50}))(t, "NewPasswordResets")
		a, b := e.user(), e.user()
		first := must(resets.Issue(e.ctx, a))(t, "Issue")
		if len(first.String()) != 50 {
			t.Fatalf("Issue: %d characters, want Length 50", len(first.String()))
		}
		must(resets.Issue(e.ctx, a))(t, "Issue")
		puts := e.spy.puts.Load()
		_, err := resets.Issue(e.ctx, a)
		wantErr(t, "Issue over the limit", err, token.ErrTooManyRequests)
		if e.spy.puts.Load() != puts {
			t.Fatal("Issue over the limit stored a token")
		}
		// The limit is per user.
		must(resets.Issue(e.ctx, b))(t, "Issue for another user")

		// Validation consumes; expiry; invalidation.
		must(resets.Validate(e.ctx, first.String()))(t, "Validate")
		_, err = resets.Validate(e.ctx, first.String())
		wantErr(t, "second Validate", err, token.ErrInvalidToken)
		e.clock.Add(time.Hour)
		late := must(resets.Issue(e.ctx, a))(t, "Issue after the window")
		list := must(resets.GetAllUserTokens(e.ctx, a))(t, "GetAllUserTokens")
		if len(list) != 2 || !list[0].Expired() || list[1].Expired() {
			t.Fatalf("GetAllUserTokens = %+v, want one expired and one valid", list)
		}
		must(0, resets.Invalidate(e.ctx, late.String()))(t, "Invalidate")
		_, err = resets.Validate(e.ctx, late.String())
		wantErr(t, "Validate after Invalidate", err, token.ErrInvalidToken)
		must(0, resets.InvalidateAllUserTokens(e.ctx, a))(t, "InvalidateAllUserTokens")
		if list := must(resets.GetAllUserTokens(e.ctx, a))(t, "GetAllUserTokens"); len(list) != 0 {
			t.Fatalf("GetAllUserTokens after InvalidateAllUserTokens = %d", len(list))
		}
		expiring := must(resets.Issue(e.ctx, a))(t, "Issue")
		e.clock.Add(time.Hour)
		_, err = resets.Validate(e.ctx, expiring.String())
		wantErr(t, "Validate of an expired link", err, token.ErrExpiredToken)
	})
}

func TestDeleteExpired(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		h := newHandlers(t, e)
		u, v := e.user(), e.user()
		short := must(token.NewIDTokens(e.auth, "short", token.IDTokenOptions{ExpiresIn: time.Minute}))(t, "NewIDTokens")
		for range 3 {
			must(short.Issue(e.ctx, u))(t, "Issue")
		}
		must(short.Issue(e.ctx, v))(t, "Issue")
		must(h.ott.Generate(e.ctx, e.session(u)))(t, "Generate") // 3 minutes
		code := must(h.codes.Issue(e.ctx, u))(t, "Issue")        // 1 hour
		_, err := h.codes.Validate(e.ctx, "wrong", u)            // a counter with a 1-hour window
		wantErr(t, "Validate", err, token.ErrInvalidToken)
		link := must(h.ids.Issue(e.ctx, v))(t, "Issue") // 1 hour

		e.clock.Add(time.Minute)
		if n := must(token.DeleteExpired(e.ctx, e.auth))(t, "DeleteExpired"); n != 4 {
			t.Fatalf("DeleteExpired after a minute = %d, want 4", n)
		}
		e.clock.Add(2 * time.Minute)
		if n := must(token.DeleteExpired(e.ctx, e.auth))(t, "DeleteExpired"); n != 1 {
			t.Fatalf("DeleteExpired after three minutes = %d, want 1 (the one-time token)", n)
		}
		if n := must(e.store.Attempts(e.ctx, "code", u, e.clock.Now().UnixMilli()))(t, "Attempts"); n != 1 {
			t.Fatalf("attempt counter = %d before its window ends, want 1", n)
		}
		must(h.codes.Validate(e.ctx, code.String(), u))(t, "Validate of a code that has not expired")
		must(h.ids.Validate(e.ctx, link.String()))(t, "Validate of a link that has not expired")
		e.clock.Add(time.Hour)
		if n := must(token.DeleteExpired(e.ctx, e.auth))(t, "DeleteExpired"); n != 0 {
			t.Fatalf("DeleteExpired with nothing left = %d", n)
		}
	})
}

// TestErrorCodes: the errors are latch.Errors with stable codes.
func TestErrorCodes(t *testing.T) {
	for err, code := range map[error]string{
		token.ErrInvalidToken:    "TOKEN_INVALID",
		token.ErrExpiredToken:    "TOKEN_EXPIRED",
		token.ErrDuplicateToken:  "TOKEN_DUPLICATE",
		token.ErrTooManyAttempts: "TOKEN_TOO_MANY_ATTEMPTS",
		token.ErrTooManyRequests: "TOKEN_TOO_MANY_REQUESTS",
	} {
		var le *latch.Error
		if !errors.As(err, &le) || le.Code != code {
			t.Errorf("%v: code %v, want %s", err, le, code)
		}
	}
}

// TestPeekDoesNotConsume: Peek says whether a link works without using
// it; after the use, or past expiry, it says why not.
func TestPeekDoesNotConsume(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		resets := must(token.NewPasswordResets(e.auth, token.PasswordResetOptions{ExpiresIn: time.Hour}))(t, "NewPasswordResets")
		links := must(token.NewIDTokens(e.auth, "check-link", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
		u := e.user()
		r := must(resets.Issue(e.ctx, u))(t, "Issue")
		for range 2 {
			if got := must(resets.Peek(e.ctx, r.String()))(t, "Peek"); got.UserID != u {
				t.Fatalf("Peek = %+v, want the user's token", got)
			}
		}
		must(resets.Validate(e.ctx, r.String()))(t, "Validate after Peek")
		_, err := resets.Peek(e.ctx, r.String())
		wantErr(t, "Peek of a used link", err, token.ErrInvalidToken)
		_, err = resets.Peek(e.ctx, "")
		wantErr(t, "Peek of nothing", err, token.ErrInvalidToken)

		l := must(links.Issue(e.ctx, u))(t, "Issue")
		must(links.Peek(e.ctx, l.String()))(t, "Peek")
		e.clock.Add(time.Hour)
		_, err = links.Peek(e.ctx, l.String())
		wantErr(t, "Peek of an expired link", err, token.ErrExpiredToken)
	})
}
