package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/store/sqlite"
)

// server is latchd's API and pages on a SQLite file, on loopback.
func server(t *testing.T) *httptest.Server {
	t.Helper()
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
	srv := httptest.NewUnstartedServer(nil)
	h, err := authapi.New(authapi.Config{Auth: auth, BaseURL: "http://" + srv.Listener.Addr().String(), Mailer: mail.NewOutbox(), Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Close(ctx)
	})
	return srv
}

// browser signs up, then does what a person does with the URL the program
// opens: looks at the consent page and clicks a button. Redirects are
// followed, the last one to the program's loopback address.
func browser(t *testing.T, srv *httptest.Server, decision string) func(string) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	post := func(path, ctype, body string) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Origin", srv.URL)
		res, err := hc.Do(req)
		if err != nil {
			t.Errorf("POST %s: %v", path, err)
			return nil
		}
		return res
	}
	res := post("/api/auth/sign-up", "application/json", `{"email":"ada@example.com","password":"correct horse battery"}`)
	if res == nil || res.StatusCode != 201 {
		t.Fatalf("sign-up: %v", res)
	}
	res.Body.Close()
	return func(u string) error {
		page, err := hc.Get(u)
		if err != nil {
			return err
		}
		html, _ := io.ReadAll(page.Body)
		page.Body.Close()
		if page.StatusCode != 200 || !bytes.Contains(html, []byte("cli-login test")) {
			t.Errorf("consent page: %d %.300s", page.StatusCode, html)
		}
		parsed, _ := url.Parse(u)
		form := parsed.Query()
		form.Set("decision", decision)
		// The browser lands on the program's page, while login waits.
		done := make(chan struct{})
		t.Cleanup(func() { <-done })
		go func() {
			defer close(done)
			if res := post("/cli/authorize", "application/x-www-form-urlencoded", form.Encode()); res != nil {
				if res.StatusCode != 200 {
					t.Errorf("the program's page answered %d", res.StatusCode)
				}
				res.Body.Close()
			}
		}()
		return nil
	}
}

func TestLogin(t *testing.T) {
	srv := server(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var log strings.Builder
	res, err := login(ctx, srv.URL, "cli-login test", browser(t, srv, "allow"), &log)
	if err != nil {
		t.Fatalf("login: %v\n%s", err, log.String())
	}
	if res.Email != "ada@example.com" || res.UserID == "" || res.Token == "" {
		t.Fatalf("login result %+v", res)
	}
	if !strings.Contains(log.String(), srv.URL+"/cli/authorize?") {
		t.Errorf("the URL to open is not printed: %q", log.String())
	}
	// The token is a bearer session of its own.
	req, _ := http.NewRequest("GET", srv.URL+"/api/auth/session", nil)
	req.Header.Set("Authorization", "Bearer "+res.Token)
	r, err := http.DefaultClient.Do(req)
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("session with the token: %v %v", r, err)
	}
	r.Body.Close()
}

func TestLoginDenied(t *testing.T) {
	srv := server(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := login(ctx, srv.URL, "cli-login test", browser(t, srv, "deny"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("denied login: %v", err)
	}
}

func TestLoginGivesUp(t *testing.T) {
	srv := server(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// Nobody answers in the browser; the program stops when ctx does,
	// ended once the browser was opened (a deadline set before the flow
	// began could run out first on a loaded machine).
	_, err := login(ctx, srv.URL, "x", func(string) error { time.AfterFunc(200*time.Millisecond, cancel); return nil }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "waiting for the browser") {
		t.Fatalf("unanswered login: %v", err)
	}
	if _, err := login(ctx, "ftp://x", "x", func(string) error { return nil }, io.Discard); err == nil {
		t.Error("a non-http server URL is accepted")
	}
}
