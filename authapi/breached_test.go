package authapi_test

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/password/pwned"
	"github.com/latchauth/latch/store/memory"
)

// rangeAPI is a Pwned Passwords range API on loopback that knows the given
// passwords as breached.
func rangeAPI(t *testing.T, breached ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		for _, pw := range breached {
			sum := sha1.Sum([]byte(pw))
			if h := strings.ToUpper(hex.EncodeToString(sum[:])); h[:5] == prefix {
				fmt.Fprintf(w, "%s:42\r\n", h[5:])
			}
		}
		fmt.Fprintf(w, "%035X:0\r\n", 7) // padding
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBreachedPasswords: with a breach list configured, sign-up and
// password reset refuse a listed password (and the reset link stays
// usable); when the list cannot be reached, passwords are accepted.
func TestBreachedPasswords(t *testing.T) {
	const leaked = "password123456"
	checker, err := pwned.New(rangeAPI(t, leaked), pwned.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, memory.New(), func(c *authapi.Config) { c.BreachedPasswords = checker })

	e.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": "leak@example.com", "password": leaked}).want(t, 400, "PASSWORD_BREACHED")
	// Other input errors keep their precedence.
	e.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": "not an email", "password": leaked}).want(t, 400, "INVALID_EMAIL")
	e.signUp("leak@example.com", pw)

	e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "leak@example.com"}).want(t, http.StatusAccepted, "")
	tokenPath := "/api/auth" + linkIn(t, e.mailTo("leak@example.com", "password", 1), "/password-reset/")
	e.api().do("POST", tokenPath, map[string]string{"password": leaked}).want(t, 400, "PASSWORD_BREACHED")
	e.api().do("POST", tokenPath, map[string]string{"password": "not in any list 1"}).want(t, 200, "")

	// The list is down: sign-ups go on.
	down, _ := pwned.New("http://127.0.0.1:1", pwned.Options{})
	e = newEnv(t, memory.New(), func(c *authapi.Config) { c.BreachedPasswords = down })
	e.signUp("down@example.com", leaked)
}
