package authapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/httpauth"
)

type debugLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *debugLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *debugLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDebugLogExplainsWithoutSecrets runs a full flow with the debug log
// on (sign-up, sign-in right and wrong, a cross-site post, a renewal, a
// reset, a magic link, one-time tokens by hand and in set-ott headers),
// checks that the log explains each decision, and that it holds none of
// the tokens, session ids, codes or passwords used, in any form.
func TestDebugLogExplainsWithoutSecrets(t *testing.T) {
	t.Parallel()
	var logs debugLogBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, stores[1].open(t), func(c *authapi.Config) {
		var err error
		if c.Sessions, err = httpauth.New(c.Auth, httpauth.Options{Logger: log}); err != nil {
			t.Fatal(err)
		}
		c.Logger = log
		c.SetOTTHeaderOnNewSession = true
	})
	var secrets []string
	keep := func(what, v string) string {
		t.Helper()
		if v == "" {
			t.Fatalf("no %s", what)
		}
		secrets = append(secrets, v)
		return v
	}
	keepSession := func(r *response) {
		t.Helper()
		keep("session id", r.str("session", "id"))
		keep("set-ott", r.header.Get(authapi.SetOTTHeader))
		if c := cookie(r, "auth_session"); c != nil {
			keep("session cookie", c.Value)
		}
		if tok := r.str("token"); tok != "" {
			keep("session token", tok)
		}
	}
	const email = "debug@example.com"
	oldPW, newPW := keep("password", "first password 1"), keep("new password", "second password 2")
	keep("wrong password", "wrong password 9")

	a, r := e.signUp(email, oldPW)
	keepSession(r)
	code := keep("code", codeIn(t, e.mailTo(email, "Verify", 1)))
	a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": "00000000"}).want(t, 400, "INVALID_CODE")
	a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": code}).want(t, 200, "")

	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": "wrong password 9"}).want(t, 401, "INVALID_CREDENTIALS")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "nobody@example.com", "password": "wrong password 9"}).want(t, 401, "INVALID_CREDENTIALS")
	keepSession(e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": oldPW}).want(t, 200, ""))

	// A cross-site post with the cookie, and one from a bad Origin.
	evil := *a
	evil.origin = "https://evil.example"
	evil.do("POST", "/api/auth/sign-out", nil).want(t, 403, "INVALID_ORIGIN")
	// Renewal in the idle period.
	e.clock.Advance(25 * time.Hour)
	a.do("GET", "/api/auth/session", nil).want(t, 200, "")
	// A made-up bearer token.
	bogus := e.api()
	bogus.bearer = keep("made-up token", "madeUpSessionToken0123456789abcdef")
	bogus.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")

	ott := keep("one-time token", a.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "").str("token"))
	e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": ott}).want(t, 200, "")
	e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": ott}).want(t, 400, "INVALID_TOKEN")

	e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": email}).want(t, http.StatusAccepted, "")
	link := linkIn(t, e.mailTo(email, "password", 1), "/password-reset/")
	keep("reset token", link[strings.LastIndexByte(link, '/')+1:])
	keepSession(e.api().do("POST", "/api/auth"+link, map[string]string{"password": newPW}).want(t, 200, ""))
	e.api().do("POST", "/api/auth"+link, map[string]string{"password": newPW}).want(t, 400, "INVALID_TOKEN")

	e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": email}).want(t, http.StatusAccepted, "")
	ml := linkIn(t, e.mailTo(email, "Sign in", 1), "/magic-link/")
	keep("magic link token", ml[strings.LastIndexByte(ml, '/')+1:])
	b := e.browser()
	r = b.clickMagicLink(ml)
	keep("magic link set-ott", r.header.Get(authapi.SetOTTHeader))
	if c := cookie(r, "auth_session"); c != nil {
		keep("magic link cookie", c.Value)
	}
	b.clickMagicLink(ml)

	out := logs.String()
	for _, want := range []string{
		"key accepted", "key refused: wrong password", "key refused: no such key",
		"session created", "session renewed", "session refused", "Origin check failed",
		"request refused", "TOKEN_INVALID", "INVALID_CODE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the debug log does not explain %q", want)
		}
	}
	for _, s := range secrets {
		for _, form := range []string{s, strings.ToLower(s), url.QueryEscape(s)} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(form)) {
				t.Errorf("the debug log holds a form of the secret %q", s)
			}
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("debug log:\n%s", out)
	}
}
