package token_test

import (
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch/token"
)

func TestIDTokensPeek(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		links, err := token.NewIDTokens(e.auth, "peeked", token.IDTokenOptions{ExpiresIn: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		user := e.user()
		tok, err := links.Issue(e.ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // peeking leaves the token in place
			got, err := links.Peek(e.ctx, tok.String())
			if err != nil || got.UserID != user || got.String() != tok.String() {
				t.Fatalf("Peek = %+v, %v", got, err)
			}
		}
		if _, err := links.Validate(e.ctx, tok.String()); err != nil {
			t.Fatalf("Validate after Peek: %v", err)
		}
		if _, err := links.Peek(e.ctx, tok.String()); !errors.Is(err, token.ErrInvalidToken) {
			t.Errorf("Peek of a used token: %v", err)
		}
		for _, bad := range []string{"", "nope", "\x00"} {
			if _, err := links.Peek(e.ctx, bad); !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("Peek(%q): %v", bad, err)
			}
		}
		tok, _ = links.Issue(e.ctx, user)
		e.clock.Add(time.Minute)
		if _, err := links.Peek(e.ctx, tok.String()); !errors.Is(err, token.ErrExpiredToken) {
			t.Errorf("Peek of an expired token: %v", err)
		}
	})
}
