package authapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// lockedBuffer is a log sink safe for the handler's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAccessLogRoute: a page route reads "GET /sign-up", not "GET GET /sign-up".
func TestAccessLogRoute(t *testing.T) {
	var buf lockedBuffer
	e := newEnv(t, memory.New(), func(c *authapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	})
	e.browser().do("GET", "/sign-up", nil).want(t, http.StatusOK, "")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "x@example.com", "password": "wrong password"})
	log := buf.String()
	if strings.Contains(log, "GET GET") || !strings.Contains(log, `route="GET /sign-up"`) {
		t.Errorf("access log, want route=\"GET /sign-up\":\n%s", log)
	}
	if !strings.Contains(log, `route="POST /api/auth/sign-in"`) {
		t.Errorf("access log, want route=\"POST /api/auth/sign-in\":\n%s", log)
	}
}

// TestTokenKindClashNamesConfigField: when the Auth already has a handler
// of a default kind, New's error says which Config field to set.
func TestTokenKindClashNamesConfigField(t *testing.T) {
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := token.NewIDTokens(auth, "magic-link", token.IDTokenOptions{ExpiresIn: time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, err = authapi.New(authapi.Config{Auth: auth, BaseURL: "http://localhost", Dev: true})
	if err == nil || !strings.Contains(err.Error(), "authapi.Config.MagicLinks") {
		t.Fatalf("New with a clashing magic-link handler: %v, want an error naming authapi.Config.MagicLinks", err)
	}
}
