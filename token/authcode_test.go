package token_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

func TestCodeChallenge(t *testing.T) {
	// RFC 7636 appendix B.
	if got := token.CodeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("S256 challenge %q", got)
	}
	for v, ok := range map[string]bool{
		strings.Repeat("a", 43): true, strings.Repeat("a", 128): true, "aB0-._~" + strings.Repeat("z", 36): true,
		strings.Repeat("a", 42): false, strings.Repeat("a", 129): false, strings.Repeat("a", 42) + "+": false,
		strings.Repeat("a", 42) + "\x00": false, strings.Repeat("é", 30): false,
	} {
		if token.ValidCodeVerifier(v) != ok {
			t.Errorf("ValidCodeVerifier(%q) = %v", v, !ok)
		}
	}
	for c, ok := range map[string]bool{
		token.CodeChallengeS256(strings.Repeat("a", 43)): true,
		"": false, strings.Repeat("A", 42): false, strings.Repeat("A", 44): false,
		strings.Repeat("A", 42) + "=": false, strings.Repeat("A", 42) + "/": false,
	} {
		if token.ValidCodeChallenge(c) != ok {
			t.Errorf("ValidCodeChallenge(%q) = %v", c, !ok)
		}
	}
}

func TestAuthorizationCodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		codes, err := token.NewAuthorizationCodes(e.auth, "cli", token.AuthorizationCodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		user := e.user()
		sess := e.session(user)
		verifier := strings.Repeat("v", 20) + "-._~" + strings.Repeat("w", 30)
		challenge := token.CodeChallengeS256(verifier)
		const redirect = "http://127.0.0.1:49152/callback"
		issue := func() token.Token {
			t.Helper()
			c, err := codes.Issue(e.ctx, sess, challenge, redirect)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			return c
		}

		c := issue()
		if got, err := codes.Exchange(e.ctx, c.String(), verifier, redirect); err != nil || got.UserID != user {
			t.Fatalf("Exchange: %+v, %v", got, err)
		}
		if _, err := codes.Exchange(e.ctx, c.String(), verifier, redirect); !errors.Is(err, token.ErrInvalidToken) {
			t.Errorf("replayed code: %v", err)
		}

		for name, tc := range map[string]struct{ verifier, redirect string }{
			"wrong verifier":     {strings.Repeat("x", 50), redirect},
			"malformed verifier": {"short", redirect},
			"other redirect":     {verifier, "http://127.0.0.1:49153/callback"},
			"redirect prefix":    {verifier, redirect[:len(redirect)-1]},
		} {
			c := issue()
			if _, err := codes.Exchange(e.ctx, c.String(), tc.verifier, tc.redirect); !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("%s: %v", name, err)
			}
			// The failed exchange used the code up.
			if _, err := codes.Exchange(e.ctx, c.String(), verifier, redirect); !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("%s, then the right verifier: %v", name, err)
			}
		}

		c = issue()
		e.clock.Add(2*time.Minute + time.Second)
		if _, err := codes.Exchange(e.ctx, c.String(), verifier, redirect); !errors.Is(err, token.ErrExpiredToken) {
			t.Errorf("expired code: %v", err)
		}

		if _, err := codes.Issue(e.ctx, sess, "plain-challenge", redirect); !errors.Is(err, latch.ErrInvalidRequest) {
			t.Errorf("malformed challenge: %v", err)
		}
		if _, err := codes.Issue(e.ctx, sess, challenge, ""); !errors.Is(err, latch.ErrInvalidRequest) {
			t.Errorf("no redirect URI: %v", err)
		}
		if _, err := codes.Issue(e.ctx, latch.Session{ID: "nobody", UserID: user}, challenge, redirect); !errors.Is(err, latch.ErrInvalidSessionID) {
			t.Errorf("unknown session: %v", err)
		}

		// A code is bound to the session that issued it: once that session
		// ends (sign-out, reset, cleanup), the code exchanges for nothing.
		other := e.session(user)
		c = func() token.Token {
			t.Helper()
			c, err := codes.Issue(e.ctx, other, challenge, redirect)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			return c
		}()
		if err := e.auth.InvalidateSession(e.ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := codes.Exchange(e.ctx, c.String(), verifier, redirect); !errors.Is(err, token.ErrInvalidToken) {
			t.Errorf("code of an ended session: %v", err)
		}
		if _, err := codes.Issue(e.ctx, other, challenge, redirect); !errors.Is(err, latch.ErrInvalidSessionID) {
			t.Errorf("Issue with an ended session: %v", err)
		}
		c = issue()
		if err := codes.InvalidateAllUserTokens(e.ctx, user); err != nil {
			t.Fatal(err)
		}
		if _, err := codes.Exchange(e.ctx, c.String(), verifier, redirect); !errors.Is(err, token.ErrInvalidToken) {
			t.Errorf("code after InvalidateAllUserTokens: %v", err)
		}

		// Concurrent exchanges of one code: exactly one wins.
		c = issue()
		var wins, refused atomic.Int32
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				_, err := codes.Exchange(e.ctx, c.String(), verifier, redirect)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, token.ErrInvalidToken):
					refused.Add(1)
				default:
					t.Errorf("concurrent exchange: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || refused.Load() != 199 {
			t.Errorf("200 concurrent exchanges: %d won, %d refused", wins.Load(), refused.Load())
		}
	})
}
