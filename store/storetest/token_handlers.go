package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

// RunTokenHandlers runs the token package's handlers (IDTokens,
// PasswordTokens, OneTimeTokens, PasswordResets, DeleteExpired) over the
// stores open returns, with an injected clock: issue, validate, consume
// once, expiry, attempts, list, invalidate, purge, and 200 goroutines
// validating one token at once. Subtests are named "id/…", "password/…",
// "one-time/…", "reset/…", "purge" and "race/…"; they skip when
// Stores.Tokens is nil.
func RunTokenHandlers(t *testing.T, open Open) {
	t.Helper()
	for _, c := range thCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			if s.Users == nil || s.Keys == nil || s.Sessions == nil {
				t.Fatal("storetest: Open returned nil Users, Keys or Sessions")
			}
			if s.Tokens == nil {
				t.Skip("Stores.Tokens is nil")
			}
			c.run(t, s)
		})
	}
}

// thStart is the clock's start in the handler subtests, but for the purge
// one (see thPurge).
var thStart = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// thClock is the injected clock.
type thClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *thClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *thClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// thEnv is one subtest's Auth over the stores, with its clock.
type thEnv struct {
	t     *testing.T
	ctx   context.Context
	s     Stores
	auth  *latch.Auth
	clock *thClock
}

// thNewEnv builds an Auth whose token store is tokens (the stores' own,
// or a wrapper of it), with a clock starting at start.
func thNewEnv(t *testing.T, s Stores, tokens latch.TokenStore, start time.Time) *thEnv {
	t.Helper()
	c := &thClock{now: start}
	a, err := latch.New(latch.Config{Users: s.Users, Keys: s.Keys, Sessions: s.Sessions, Tokens: tokens, Now: c.Now})
	if err != nil {
		t.Fatalf("latch.New: %v", err)
	}
	return &thEnv{t: t, ctx: t.Context(), s: s, auth: a, clock: c}
}

func thEnvOf(t *testing.T, s Stores) *thEnv { return thNewEnv(t, s, s.Tokens, thStart) }

// user creates a user without keys and returns its id.
func (e *thEnv) user() string {
	e.t.Helper()
	u, err := e.auth.CreateUser(e.ctx, latch.CreateUserOptions{})
	if err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	return u.ID
}

// thMust takes a call's two results and returns a check that fails the
// test on the error: v := thMust(f())(t, "f").
func thMust[T any](v T, err error) func(t *testing.T, op string) T {
	return func(t *testing.T, op string) T {
		t.Helper()
		thNoErr(t, op, err)
		return v
	}
}

func thNoErr(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", op, err)
	}
}

func thWant(t *testing.T, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one matching %v", op, err, target)
	}
}

// thCheck compares a token with what it should be.
func thCheck(t *testing.T, op string, got token.Token, kind, value, userID string, expires time.Time, expired bool) {
	t.Helper()
	if got.Kind != kind || got.String() != value || got.UserID != userID || !got.ExpiresAt.Equal(expires) || got.Expired() != expired {
		t.Fatalf("%s = {Kind %q, value %q, UserID %q, ExpiresAt %v, Expired %v}, want {%q, %q, %q, %v, %v}",
			op, got.Kind, got.String(), got.UserID, got.ExpiresAt, got.Expired(), kind, value, userID, expires, expired)
	}
}

// thValues returns the tokens' values.
func thValues(toks []token.Token) []string {
	out := make([]string, len(toks))
	for i, tk := range toks {
		out[i] = tk.String()
	}
	return out
}

// thCountingTokens counts TakeToken calls of a token store.
type thCountingTokens struct {
	latch.TokenStore
	takes atomic.Int64
}

func (c *thCountingTokens) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	c.takes.Add(1)
	return c.TokenStore.TakeToken(ctx, kind, id, userID)
}

// thRace runs fn(0) … fn(n-1) in n goroutines released at once and returns
// their errors.
func thRace(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

var thCases = []struct {
	name string
	run  func(t *testing.T, s Stores)
}{
	{"id/issue-validate", thIDIssueValidate},
	{"id/expiry", thIDExpiry},
	{"id/list-invalidate", thIDListInvalidate},
	{"id/plain", thIDPlain},
	{"password/bound-to-user", thPasswordBound},
	{"password/attempts", thPasswordAttempts},
	{"password/concurrent-guesses", thPasswordConcurrent},
	{"one-time/verify", thOneTime},
	{"authorization-code/session-bound", thAuthCodeSession},
	{"id/peek", thIDPeek},
	{"reset/limit-reuse", thReset},
	{"purge", thPurge},
	{"race/validate-200", thRaceValidate},
}

func thIDIssueValidate(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	tokens := thMust(token.NewIDTokens(e.auth, "email-verification", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	u := e.user()
	tok := thMust(tokens.Issue(e.ctx, u))(t, "Issue")
	exp := thStart.Add(time.Hour)
	thCheck(t, "Issue", tok, "email-verification", tok.String(), u, exp, false)
	if len(tok.String()) != 43 {
		t.Fatalf("Issue: value %q has %d characters, want 43", tok, len(tok.String()))
	}
	got := thMust(tokens.Validate(e.ctx, tok.String()))(t, "Validate")
	thCheck(t, "Validate", got, "email-verification", tok.String(), u, exp, false)
	_, err := tokens.Validate(e.ctx, tok.String())
	thWant(t, "second Validate (consumed)", err, token.ErrInvalidToken)
	if _, err := s.Tokens.GetToken(e.ctx, "email-verification", latch.HashToken(tok.String())); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("GetToken after Validate: %v, want ErrNotFound (the row must be gone)", err)
	}

	_, err = tokens.Issue(e.ctx, "no-such-user-"+u)
	thWant(t, "Issue for an unknown user", err, latch.ErrInvalidUserID)
	_, err = tokens.Validate(e.ctx, "never-issued")
	thWant(t, "Validate of an unknown value", err, token.ErrInvalidToken)
}

func thIDExpiry(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	tokens := thMust(token.NewIDTokens(e.auth, "magic-link", token.IDTokenOptions{ExpiresIn: 10 * time.Minute}))(t, "NewIDTokens")
	u := e.user()
	early := thMust(tokens.Issue(e.ctx, u))(t, "Issue")
	late := thMust(tokens.Issue(e.ctx, u))(t, "Issue")
	e.clock.Add(10*time.Minute - time.Millisecond)
	thMust(tokens.Validate(e.ctx, early.String()))(t, "Validate a millisecond before expiry")
	e.clock.Add(time.Millisecond)
	_, err := tokens.Validate(e.ctx, late.String())
	thWant(t, "Validate at the expiry instant", err, token.ErrExpiredToken)
	_, err = tokens.Validate(e.ctx, late.String())
	thWant(t, "Validate after an expired validation (consumed too)", err, token.ErrInvalidToken)
}

func thIDListInvalidate(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	links := thMust(token.NewIDTokens(e.auth, "verify", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	other := thMust(token.NewIDTokens(e.auth, "other", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	u, v := e.user(), e.user()
	first := thMust(links.Issue(e.ctx, u))(t, "Issue")
	e.clock.Add(30 * time.Minute)
	second := thMust(links.Issue(e.ctx, u))(t, "Issue")
	third := thMust(links.Issue(e.ctx, u))(t, "Issue")
	otherKind := thMust(other.Issue(e.ctx, u))(t, "Issue")
	otherUser := thMust(links.Issue(e.ctx, v))(t, "Issue")
	e.clock.Add(30 * time.Minute) // first has just expired

	list := thMust(links.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens")
	if len(list) != 3 {
		t.Fatalf("GetAllUserTokens = %d tokens, want 3", len(list))
	}
	// Earliest expiry first; hashed storage keeps no value.
	thCheck(t, "GetAllUserTokens[0]", list[0], "verify", "", u, first.ExpiresAt, true)
	for _, tk := range list[1:] {
		thCheck(t, "GetAllUserTokens[1:]", tk, "verify", "", u, second.ExpiresAt, false)
	}
	_, err := links.GetAllUserTokens(e.ctx, "no-such-user-"+u)
	thWant(t, "GetAllUserTokens of an unknown user", err, latch.ErrInvalidUserID)

	thNoErr(t, "Invalidate", links.Invalidate(e.ctx, second.String()))
	_, err = links.Validate(e.ctx, second.String())
	thWant(t, "Validate after Invalidate", err, token.ErrInvalidToken)
	for _, bad := range []string{"", "never-issued", "a\x00b", "é"} {
		thNoErr(t, "Invalidate of a bad value", links.Invalidate(e.ctx, bad))
	}
	thNoErr(t, "InvalidateAllUserTokens", links.InvalidateAllUserTokens(e.ctx, u))
	for _, bad := range []string{"", "no-such-user", "a\x00b"} {
		thNoErr(t, "InvalidateAllUserTokens of a bad user", links.InvalidateAllUserTokens(e.ctx, bad))
	}
	if list := thMust(links.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens"); len(list) != 0 {
		t.Fatalf("GetAllUserTokens after InvalidateAllUserTokens = %d tokens, want 0", len(list))
	}
	_, err = links.Validate(e.ctx, third.String())
	thWant(t, "Validate after InvalidateAllUserTokens", err, token.ErrInvalidToken)
	// Another name and another user are left alone.
	thMust(other.Validate(e.ctx, otherKind.String()))(t, "Validate of another name's token")
	thMust(links.Validate(e.ctx, otherUser.String()))(t, "Validate of another user's token")
}

func thIDPlain(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	links := thMust(token.NewIDTokens(e.auth, "plain-link", token.IDTokenOptions{ExpiresIn: time.Hour, Storage: token.Plain}))(t, "NewIDTokens")
	u := e.user()
	a := thMust(links.Issue(e.ctx, u))(t, "Issue")
	e.clock.Add(time.Second)
	b := thMust(links.Issue(e.ctx, u))(t, "Issue")
	list := thMust(links.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens")
	if got := thValues(list); len(got) != 2 || got[0] != a.String() || got[1] != b.String() {
		t.Fatalf("GetAllUserTokens values = %q, want [%q %q] (plain storage keeps values)", got, a, b)
	}
	if _, err := s.Tokens.GetToken(e.ctx, "plain-link", a.String()); err != nil {
		t.Fatalf("GetToken(value) with plain storage: %v", err)
	}
	thMust(links.Validate(e.ctx, a.String()))(t, "Validate")
}

func thPasswordBound(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	codes := thMust(token.NewPasswordTokens(e.auth, "email-code", token.PasswordTokenOptions{ExpiresIn: 15 * time.Minute}))(t, "NewPasswordTokens")
	a, b := e.user(), e.user()
	code := thMust(codes.Issue(e.ctx, a))(t, "Issue")
	if len(code.String()) != 8 || !thAll(code.String(), latch.AlphabetDigits) {
		t.Fatalf("Issue: code %q, want 8 digits", code)
	}
	_, err := codes.Validate(e.ctx, code.String(), b)
	thWant(t, "Validate of A's code for B", err, token.ErrInvalidToken)
	got := thMust(codes.Validate(e.ctx, code.String(), a))(t, "Validate of A's code for A (B's try must not consume it)")
	thCheck(t, "Validate", got, "email-code", code.String(), a, thStart.Add(15*time.Minute), false)
	_, err = codes.Validate(e.ctx, code.String(), a)
	thWant(t, "second Validate", err, token.ErrInvalidToken)

	// Expiry.
	code = thMust(codes.Issue(e.ctx, a))(t, "Issue")
	e.clock.Add(15 * time.Minute)
	_, err = codes.Validate(e.ctx, code.String(), a)
	thWant(t, "Validate of an expired code", err, token.ErrExpiredToken)
	_, err = codes.Validate(e.ctx, code.String(), a)
	thWant(t, "Validate after expiry", err, token.ErrInvalidToken)
}

// thWrong returns a code of the same shape as code that differs from it.
func thWrong(code string, i int) string {
	b := []byte(code)
	b[i%len(b)] = '0' + (b[i%len(b)]-'0'+1)%10
	return string(b)
}

func thAll(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		ok := false
		for j := 0; j < len(alphabet); j++ {
			ok = ok || s[i] == alphabet[j]
		}
		if !ok {
			return false
		}
	}
	return true
}

func thPasswordAttempts(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	codes := thMust(token.NewPasswordTokens(e.auth, "signin-code", token.PasswordTokenOptions{ExpiresIn: 10 * time.Minute, MaxAttempts: 3}))(t, "NewPasswordTokens")
	u := e.user()
	code := thMust(codes.Issue(e.ctx, u))(t, "Issue")
	for i := range 2 {
		_, err := codes.Validate(e.ctx, thWrong(code.String(), i), u)
		thWant(t, "Validate of a wrong code", err, token.ErrInvalidToken)
	}
	thMust(codes.Validate(e.ctx, code.String(), u))(t, "Validate of the right code on the last try")

	// A success resets the counter: three more tries now.
	code = thMust(codes.Issue(e.ctx, u))(t, "Issue")
	for i := range 2 {
		_, err := codes.Validate(e.ctx, thWrong(code.String(), i), u)
		thWant(t, "Validate of a wrong code", err, token.ErrInvalidToken)
	}
	_, err := codes.Validate(e.ctx, thWrong(code.String(), 2), u)
	thWant(t, "the MaxAttempts-th wrong code", err, token.ErrTooManyAttempts)
	_, err = codes.Validate(e.ctx, code.String(), u)
	thWant(t, "the right code after too many attempts", err, token.ErrTooManyAttempts)
	if list := thMust(codes.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens"); len(list) != 0 {
		t.Fatalf("GetAllUserTokens after too many attempts = %d codes, want 0 (invalidated)", len(list))
	}

	// A new code restores the tries.
	code = thMust(codes.Issue(e.ctx, u))(t, "Issue")
	thMust(codes.Validate(e.ctx, code.String(), u))(t, "Validate of a new code")

	// Issue replaces the user's open code.
	old := thMust(codes.Issue(e.ctx, u))(t, "Issue")
	code = thMust(codes.Issue(e.ctx, u))(t, "Issue")
	if old.String() != code.String() {
		_, err = codes.Validate(e.ctx, old.String(), u)
		thWant(t, "Validate of a replaced code", err, token.ErrInvalidToken)
	}
	thMust(codes.Validate(e.ctx, code.String(), u))(t, "Validate of the newest code")

	// Invalidate deletes the user's code only.
	code = thMust(codes.Issue(e.ctx, u))(t, "Issue")
	thNoErr(t, "Invalidate with another user", codes.Invalidate(e.ctx, code.String(), e.user()))
	thNoErr(t, "Invalidate", codes.Invalidate(e.ctx, code.String(), u))
	_, err = codes.Validate(e.ctx, code.String(), u)
	thWant(t, "Validate after Invalidate", err, token.ErrInvalidToken)
}

func thPasswordConcurrent(t *testing.T, s Stores) {
	counting := &thCountingTokens{TokenStore: s.Tokens}
	e := thNewEnv(t, s, counting, thStart)
	const max = 5
	codes := thMust(token.NewPasswordTokens(e.auth, "otp", token.PasswordTokenOptions{ExpiresIn: 10 * time.Minute, MaxAttempts: max}))(t, "NewPasswordTokens")
	u := e.user()
	code := thMust(codes.Issue(e.ctx, u))(t, "Issue")
	counting.takes.Store(0)
	errs := thRace(50, func(i int) error {
		_, err := codes.Validate(e.ctx, thWrong(code.String(), i), u)
		return err
	})
	tooMany := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, token.ErrTooManyAttempts):
			tooMany++
		case !errors.Is(err, token.ErrInvalidToken):
			t.Errorf("guess #%d: %v, want ErrInvalidToken or ErrTooManyAttempts", i, err)
		}
	}
	if n := counting.takes.Load(); n > max {
		t.Fatalf("50 concurrent guesses looked up %d codes, want at most MaxAttempts = %d", n, max)
	}
	if tooMany < 50-max+1 {
		t.Fatalf("%d of 50 concurrent guesses got ErrTooManyAttempts, want at least %d", tooMany, 50-max+1)
	}
	_, err := codes.Validate(e.ctx, code.String(), u)
	thWant(t, "the right code after 50 guesses", err, token.ErrTooManyAttempts)
	code = thMust(codes.Issue(e.ctx, u))(t, "Issue")
	thMust(codes.Validate(e.ctx, code.String(), u))(t, "Validate of a new code")
}

func thOneTime(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	ott := thMust(token.NewOneTimeTokens(e.auth, "one-time", token.OneTimeTokenOptions{}))(t, "NewOneTimeTokens")
	u := e.user()
	sess := thMust(e.auth.CreateSession(e.ctx, latch.CreateSessionOptions{UserID: u}))(t, "CreateSession")
	tok := thMust(ott.Generate(e.ctx, sess))(t, "Generate")
	thCheck(t, "Generate", tok, "one-time", tok.String(), u, thStart.Add(3*time.Minute), false)
	if len(tok.String()) != 32 {
		t.Fatalf("Generate: value of %d characters, want 32", len(tok.String()))
	}
	got := thMust(ott.Verify(e.ctx, tok.String()))(t, "Verify")
	if got.ID != sess.ID || got.Token != sess.Token || got.UserID != u || got.User.ID != u {
		t.Fatalf("Verify = session %q (token set %v) of %q/%q, want %q of %q", got.ID, got.Token == sess.Token, got.UserID, got.User.ID, sess.ID, u)
	}
	_, err := ott.Verify(e.ctx, tok.String())
	thWant(t, "second Verify", err, token.ErrInvalidToken)

	// Expired token.
	tok = thMust(ott.Generate(e.ctx, sess))(t, "Generate")
	e.clock.Add(3 * time.Minute)
	_, err = ott.Verify(e.ctx, tok.String())
	thWant(t, "Verify of an expired token", err, token.ErrExpiredToken)

	// Revoked session.
	tok = thMust(ott.Generate(e.ctx, sess))(t, "Generate")
	thNoErr(t, "InvalidateSession", e.auth.InvalidateSession(e.ctx, sess.ID))
	_, err = ott.Verify(e.ctx, tok.String())
	thWant(t, "Verify for a revoked session", err, token.ErrInvalidToken)
	_, err = ott.Generate(e.ctx, sess)
	thWant(t, "Generate for a revoked session", err, latch.ErrInvalidSessionID)

	// Expired session, live token.
	short := thMust(e.auth.CreateSession(e.ctx, latch.CreateSessionOptions{UserID: u, ActivePeriod: time.Minute, IdlePeriod: time.Minute}))(t, "CreateSession")
	tok = thMust(ott.Generate(e.ctx, short))(t, "Generate")
	e.clock.Add(2 * time.Minute)
	_, err = ott.Verify(e.ctx, tok.String())
	thWant(t, "Verify for an expired session", err, token.ErrInvalidToken)

	// A session without its secret cannot be handed over.
	live := thMust(e.auth.CreateSession(e.ctx, latch.CreateSessionOptions{UserID: u}))(t, "CreateSession")
	listed := live
	listed.Token = ""
	_, err = ott.Generate(e.ctx, listed)
	thWant(t, "Generate for a session without Token", err, latch.ErrInvalidSessionID)
}

// thAuthCodeSession: a code is bound to the session that issued it; it
// exchanges while that session lives, and for nothing once it has ended
// or the user's codes are voided.
func thAuthCodeSession(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	codes := thMust(token.NewAuthorizationCodes(e.auth, "cli-code", token.AuthorizationCodeOptions{}))(t, "NewAuthorizationCodes")
	u := e.user()
	sess := thMust(e.auth.CreateSession(e.ctx, latch.CreateSessionOptions{UserID: u}))(t, "CreateSession")
	verifier := strings.Repeat("v", 43)
	challenge := token.CodeChallengeS256(verifier)
	const redirect = "http://127.0.0.1:5000/cb"

	c := thMust(codes.Issue(e.ctx, sess, challenge, redirect))(t, "Issue")
	got := thMust(codes.Exchange(e.ctx, c.String(), verifier, redirect))(t, "Exchange")
	if got.UserID != u {
		t.Fatalf("Exchange: user %q, want %q", got.UserID, u)
	}

	c = thMust(codes.Issue(e.ctx, sess, challenge, redirect))(t, "Issue")
	thNoErr(t, "InvalidateAllUserTokens", codes.InvalidateAllUserTokens(e.ctx, u))
	_, err := codes.Exchange(e.ctx, c.String(), verifier, redirect)
	thWant(t, "Exchange after InvalidateAllUserTokens", err, token.ErrInvalidToken)

	c = thMust(codes.Issue(e.ctx, sess, challenge, redirect))(t, "Issue")
	thNoErr(t, "InvalidateAllUserSessions", e.auth.InvalidateAllUserSessions(e.ctx, u))
	_, err = codes.Exchange(e.ctx, c.String(), verifier, redirect)
	thWant(t, "Exchange after the session ended", err, token.ErrInvalidToken)
	_, err = codes.Issue(e.ctx, sess, challenge, redirect)
	thWant(t, "Issue for an ended session", err, latch.ErrInvalidSessionID)
}

// thIDPeek: Peek reads a token without consuming it.
func thIDPeek(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	links := thMust(token.NewIDTokens(e.auth, "peek-link", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	u := e.user()
	tok := thMust(links.Issue(e.ctx, u))(t, "Issue")
	for range 2 {
		got := thMust(links.Peek(e.ctx, tok.String()))(t, "Peek")
		thCheck(t, "Peek", got, "peek-link", tok.String(), u, thStart.Add(time.Hour), false)
	}
	thMust(links.Validate(e.ctx, tok.String()))(t, "Validate after Peek")
	_, err := links.Peek(e.ctx, tok.String())
	thWant(t, "Peek of a used token", err, token.ErrInvalidToken)
	tok = thMust(links.Issue(e.ctx, u))(t, "Issue")
	e.clock.Add(time.Hour)
	_, err = links.Peek(e.ctx, tok.String())
	thWant(t, "Peek of an expired token", err, token.ErrExpiredToken)
	thMust(links.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens") // still listed: Peek removes nothing
}

func thReset(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	resets := thMust(token.NewPasswordResets(e.auth, token.PasswordResetOptions{}))(t, "NewPasswordResets")
	u := e.user()
	var issued []string
	for i := range 3 {
		tok := thMust(resets.Issue(e.ctx, u))(t, "Issue")
		thCheck(t, "Issue", tok, "password-reset", tok.String(), u, thStart.Add(time.Duration(i)*time.Minute+2*time.Hour), false)
		issued = append(issued, tok.String())
		e.clock.Add(time.Minute)
	}
	if issued[0] == issued[1] || issued[1] == issued[2] {
		t.Fatalf("Issue with hashed storage reused a value: %q", issued)
	}
	_, err := resets.Issue(e.ctx, u)
	thWant(t, "the 4th Issue within 15 minutes", err, token.ErrTooManyRequests)
	if list := thMust(resets.GetAllUserTokens(e.ctx, u))(t, "GetAllUserTokens"); len(list) != 3 {
		t.Fatalf("GetAllUserTokens after a refused Issue = %d tokens, want 3", len(list))
	}
	e.clock.Add(12 * time.Minute) // 15 minutes after the first request
	tok := thMust(resets.Issue(e.ctx, u))(t, "Issue after the window")
	got := thMust(resets.Validate(e.ctx, tok.String()))(t, "Validate")
	thCheck(t, "Validate", got, "password-reset", tok.String(), u, tok.ExpiresAt, false)
	_, err = resets.Validate(e.ctx, tok.String())
	thWant(t, "second Validate", err, token.ErrInvalidToken)
	_, err = resets.Issue(e.ctx, "no-such-user-"+u)
	thWant(t, "Issue for an unknown user", err, latch.ErrInvalidUserID)

	// Plain storage: a link with more than half its life left is reused.
	plain := thMust(token.NewPasswordResets(e.auth, token.PasswordResetOptions{Name: "plain-reset", Storage: token.Plain, IssueLimit: 10}))(t, "NewPasswordResets")
	v := e.user()
	first := thMust(plain.Issue(e.ctx, v))(t, "Issue")
	e.clock.Add(time.Hour - time.Millisecond)
	again := thMust(plain.Issue(e.ctx, v))(t, "Issue with more than half the life left")
	if again.String() != first.String() || !again.ExpiresAt.Equal(first.ExpiresAt) {
		t.Fatalf("Issue with plain storage and more than half the life left = %q, want the same %q", again, first)
	}
	e.clock.Add(time.Millisecond)
	fresh := thMust(plain.Issue(e.ctx, v))(t, "Issue with half the life left")
	if fresh.String() == first.String() {
		t.Fatalf("Issue with half the life left reused %q, want a new token", first)
	}
	thMust(plain.Validate(e.ctx, first.String()))(t, "Validate of the older link")
	thMust(plain.Validate(e.ctx, fresh.String()))(t, "Validate of the newer link")
}

// thPurgeStart is the purge subtest's clock: in January 1970 (100 000 ms),
// below the expiries of every other subtest, tokens/purge's included (about
// 500 000 ms), so that purging for everyone at its times removes no other
// subtest's rows. On a shared store its expired tokens may still be purged
// by tokens/purge running at the same moment (and counted there), so it
// checks which of its own tokens remain, not an exact count. thPurgeMu
// serializes purges for everyone; a subtest that purges and counts exactly
// should hold it too.
var (
	thPurgeStart = time.UnixMilli(100_000).UTC()
	thPurgeMu    sync.Mutex
)

func thPurge(t *testing.T, s Stores) {
	thPurgeMu.Lock()
	defer thPurgeMu.Unlock()
	e := thNewEnv(t, s, s.Tokens, thPurgeStart)
	short := thMust(token.NewIDTokens(e.auth, "short", token.IDTokenOptions{ExpiresIn: time.Minute}))(t, "NewIDTokens")
	long := thMust(token.NewIDTokens(e.auth, "long", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	codes := thMust(token.NewPasswordTokens(e.auth, "code", token.PasswordTokenOptions{ExpiresIn: time.Minute}))(t, "NewPasswordTokens")
	u, v := e.user(), e.user()
	gone := []token.Token{
		thMust(short.Issue(e.ctx, u))(t, "Issue"),
		thMust(short.Issue(e.ctx, v))(t, "Issue"),
		thMust(codes.Issue(e.ctx, u))(t, "Issue"),
	}
	kept := thMust(long.Issue(e.ctx, u))(t, "Issue")
	e.clock.Add(time.Minute) // the short ones expire now
	n := thMust(token.DeleteExpired(e.ctx, e.auth))(t, "DeleteExpired")
	if n < 0 || n > int64(len(gone)) {
		t.Fatalf("DeleteExpired = %d, want 0 to %d (its own expired tokens, unless another purge took them first)", n, len(gone))
	}
	for _, tk := range gone {
		id := latch.HashToken(tk.String())
		if _, err := s.Tokens.GetToken(e.ctx, tk.Kind, id); !errors.Is(err, latch.ErrNotFound) {
			t.Fatalf("GetToken of a purged %s token: %v, want ErrNotFound", tk.Kind, err)
		}
	}
	thMust(long.Validate(e.ctx, kept.String()))(t, "Validate of a token that has not expired")
}

func thRaceValidate(t *testing.T, s Stores) {
	e := thEnvOf(t, s)
	links := thMust(token.NewIDTokens(e.auth, "race", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	tok := thMust(links.Issue(e.ctx, e.user()))(t, "Issue")
	errs := thRace(200, func(int) error {
		_, err := links.Validate(e.ctx, tok.String())
		return err
	})
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, token.ErrInvalidToken):
			t.Errorf("Validate #%d: %v, want ErrInvalidToken", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("200 concurrent Validate of one token: %d succeeded, want exactly 1", wins)
	}
}
