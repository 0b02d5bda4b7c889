package authapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/token"
)

// TestLongCustomTokens runs 300-character tokens through every JSON
// endpoint that takes one: the endpoints accept what the token package
// accepts (token.MaxLength), and refuse one byte more as INVALID_TOKEN.
func TestLongCustomTokens(t *testing.T) {
	const length = 300
	forEachStore(t, func(t *testing.T, e *env) {
		e = newEnv(t, e.store, func(c *authapi.Config) {
			var err error
			if c.OneTimeTokens, err = token.NewOneTimeTokens(c.Auth, "one-time-token", token.OneTimeTokenOptions{ExpiresIn: time.Minute, Length: length}); err != nil {
				t.Fatal(err)
			}
			if c.PasswordResets, err = token.NewPasswordResets(c.Auth, token.PasswordResetOptions{ExpiresIn: time.Hour, Length: length}); err != nil {
				t.Fatal(err)
			}
		})
		a, _ := e.signUp("long@example.com", pw)

		tok := a.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "").str("token")
		if len(tok) != length {
			t.Fatalf("one-time token of %d characters, want %d", len(tok), length)
		}
		e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": tok}).want(t, 200, "")
		e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": tok}).want(t, 400, "INVALID_TOKEN")
		for _, n := range []int{token.MaxLength, token.MaxLength + 1} {
			e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": strings.Repeat("a", n)}).want(t, 400, "INVALID_TOKEN")
		}

		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "long@example.com"}).want(t, http.StatusAccepted, "")
		link := linkIn(t, e.mailTo("long@example.com", "password", 1), "/password-reset/")
		if v := link[strings.LastIndexByte(link, '/')+1:]; len(v) != length {
			t.Fatalf("reset token of %d characters, want %d", len(v), length)
		}
		e.api().do("POST", "/api/auth"+link, map[string]string{"password": "a new password"}).want(t, 200, "")
		e.api().do("POST", "/api/auth/password-reset/"+strings.Repeat("a", token.MaxLength+1), map[string]string{"password": "a new password"}).want(t, 400, "INVALID_TOKEN")
	})
}
