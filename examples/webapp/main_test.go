package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/store/sqlite"
)

// TestWebapp walks the README's "Use Latch in your net/http app": the
// app's own sign-up, sign-out and sign-in, Require, its magic link, and
// authapi beside it under /api/auth on the same session.
func TestWebapp(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	auth, err := latch.New(latch.Config{Store: s, Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	outbox := mail.NewOutbox()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	app, err := newApp(auth, base, outbox)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app
	srv.Start()
	t.Cleanup(func() { srv.Close(); _ = app.Close(t.Context()) })

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if method != "GET" {
			req.Header.Set("Origin", base)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	creds := url.Values{"email": {"Ada@Example.com"}, "password": {"correct horse battery staple"}}

	if st, _, _ := do("GET", "/dashboard", nil); st != http.StatusUnauthorized {
		t.Fatalf("dashboard signed out: %d, want 401 (Require)", st)
	}
	if st, _, h := do("POST", "/sign-up", creds); st != http.StatusSeeOther || h.Get("Location") != "/dashboard" {
		t.Fatalf("sign-up: %d %s", st, h.Get("Location"))
	}
	if st, body, _ := do("GET", "/dashboard", nil); st != 200 || !strings.Contains(body, "ada@example.com") {
		t.Fatalf("dashboard after sign-up: %d %s", st, body)
	}
	// authapi, mounted beside the app, sees the app's session.
	if st, body, _ := do("GET", "/api/auth/session", nil); st != 200 || !strings.Contains(body, `"email":"ada@example.com"`) {
		t.Fatalf("GET /api/auth/session: %d %s", st, body)
	}
	do("POST", "/sign-out", url.Values{})
	if st, _, _ := do("GET", "/dashboard", nil); st != http.StatusUnauthorized {
		t.Fatalf("dashboard after sign-out: %d, want 401", st)
	}
	creds.Set("email", "ADA@example.com")
	if st, _, _ := do("POST", "/sign-in", creds); st != http.StatusSeeOther {
		t.Fatalf("sign-in in another case: %d", st)
	}
	do("POST", "/sign-out", url.Values{})

	// The app's own magic link: a page with a button, then one use.
	do("POST", "/magic-link", url.Values{"email": {"ada@example.com"}})
	link := regexp.MustCompile(`/magic/[A-Za-z0-9_-]+`).FindString(lastMail(t, outbox).Text)
	if link == "" {
		t.Fatalf("no magic link in %q", lastMail(t, outbox).Text)
	}
	if st, _, _ := do("GET", link, nil); st != 200 {
		t.Fatalf("GET %s: %d", "/magic/…", st)
	}
	if st, _, h := do("GET", "/dashboard", nil); st != http.StatusUnauthorized {
		t.Fatalf("opening the link signed in (%d %v): it must take the button", st, h)
	}
	if st, _, _ := do("POST", link, url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("POST magic link: %d", st)
	}
	if st, _, _ := do("GET", "/dashboard", nil); st != 200 {
		t.Fatalf("dashboard after the magic link: %d", st)
	}
	if st, _, _ := do("POST", link, url.Values{}); st != http.StatusBadRequest {
		t.Fatalf("magic link used twice: %d, want 400", st)
	}

	// authapi's mails point into the app; its outbox is under its prefix.
	req, _ := http.NewRequest("POST", base+"/api/auth/password-reset", strings.NewReader(`{"email":"ada@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/auth/password-reset: %v %v", res, err)
	}
	if err := app.Close(t.Context()); err != nil { // wait for the queued mail
		t.Fatal(err)
	}
	if text := lastMail(t, outbox).Text; !strings.Contains(text, base+"/reset?token=") {
		t.Errorf("reset mail links elsewhere than Links.PasswordReset:\n%s", text)
	}
	if st, body, _ := do("GET", "/api/auth/dev/outbox", nil); st != 200 || !strings.Contains(body, "/reset?token=") {
		t.Errorf("GET /api/auth/dev/outbox: %d %.200s", st, body)
	}
	if st, _, _ := do("GET", "/api/auth/no-such-thing", nil); st != http.StatusNotFound {
		t.Errorf("unknown API path: %d, want 404", st)
	}
}

func lastMail(t *testing.T, o *mail.Outbox) mail.Sent {
	t.Helper()
	ms := o.Messages()
	if len(ms) == 0 {
		t.Fatal("no mail sent")
	}
	return ms[0]
}
