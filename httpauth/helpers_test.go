package httpauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// clock is the Auth's clock; tests move it instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// flakyStore is the memory store with session reads that can be made to
// fail, and counted.
type flakyStore struct {
	*memory.Store
	fail    atomic.Bool
	lookups atomic.Int64
}

// errInternal carries text that must never reach a client.
var errInternal = errors.New("dial tcp 10.1.2.3:5432: connection refused (internal-detail)")

func (f *flakyStore) GetSession(ctx context.Context, id string) (latch.SessionRecord, error) {
	f.lookups.Add(1)
	if f.fail.Load() {
		return latch.SessionRecord{}, errInternal
	}
	return f.Store.GetSession(ctx, id)
}

func (f *flakyStore) GetSessionAndUser(ctx context.Context, id string) (latch.SessionRecord, latch.UserRecord, error) {
	f.lookups.Add(1)
	if f.fail.Load() {
		return latch.SessionRecord{}, latch.UserRecord{}, errInternal
	}
	return f.Store.GetSessionAndUser(ctx, id)
}

// env is an Auth on a memory store with a Manager, served over loopback.
type env struct {
	t      *testing.T
	clock  *clock
	store  *flakyStore
	auth   *latch.Auth
	m      *Manager
	srv    *httptest.Server
	logs   *syncBuffer
	calls  atomic.Int64 // requests that reached the application handler
	client *http.Client // with a cookie jar
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	testActive = time.Hour
	testIdle   = 2 * time.Hour
)

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	e := &env{
		t:     t,
		clock: &clock{t: time.Now().UTC().Truncate(time.Second)},
		store: &flakyStore{Store: memory.New()},
		logs:  &syncBuffer{},
	}
	var err error
	e.auth, err = latch.New(latch.Config{
		Store: e.store, Now: e.clock.Now, Env: latch.EnvDev,
		ActivePeriod: testActive, IdlePeriod: testIdle,
	})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	}
	e.m, err = New(e.auth, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.m.Middleware(e.app()))
	t.Cleanup(e.srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.client = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	return e
}

// app is the application behind the middleware:
//
//	GET|POST /whoami     {"user":…,"session":…} or {"anonymous":true}
//	GET|POST /private    the same behind Require
//	POST /sign-in?user=  creates the user if needed and a session, sets the cookie
//	POST /sign-out       invalidates the session, clears the cookie
func (e *env) app() http.Handler {
	mux := http.NewServeMux()
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		s, ok := FromContext(r.Context())
		if !ok {
			WriteJSON(w, http.StatusOK, map[string]any{"anonymous": true})
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"user": s.User.ID, "session": s.ID, "state": s.State})
	})
	mux.Handle("/whoami", whoami)
	mux.Handle("/private", e.m.Require(whoami))
	mux.HandleFunc("POST /sign-in", func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		s, err := e.signIn(r.Context(), r.URL.Query().Get("user"))
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "TEST", err.Error())
			return
		}
		e.m.SetSessionCookie(w, s)
		WriteJSON(w, http.StatusOK, map[string]any{"token": s.Token})
	})
	mux.HandleFunc("POST /sign-out", func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		if s, ok := FromContext(r.Context()); ok {
			_ = e.auth.InvalidateSession(r.Context(), s.ID)
		}
		e.m.ClearSessionCookie(w)
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// signIn creates the user (if new) and a session for it.
func (e *env) signIn(ctx context.Context, userID string) (latch.Session, error) {
	if _, err := e.auth.GetUser(ctx, userID); err != nil {
		if _, err := e.auth.CreateUser(ctx, latch.CreateUserOptions{UserID: userID}); err != nil {
			return latch.Session{}, err
		}
	}
	return e.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: userID})
}

// response is an answer read in full.
type response struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return v
}

// errorCode returns the code of an {"error":{"code","message"}} body,
// checking its shape.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	v := r.json(t)
	e, ok := v["error"].(map[string]any)
	if !ok || len(v) != 1 || len(e) != 2 {
		t.Fatalf("error body %q: want exactly {\"error\":{\"code\",\"message\"}}", r.body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error body %q has no message", r.body)
	}
	code, _ := e["code"].(string)
	return code
}

// sessionCookie returns the Set-Cookie of the session cookie, or nil.
func (r response) sessionCookie(name string) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// do sends a request with the env's client (cookie jar) and headers
// (key, value pairs).
func (e *env) do(method, path string, headers ...string) response {
	e.t.Helper()
	return e.doWith(e.client, method, path, headers...)
}

func (e *env) doWith(c *http.Client, method, path string, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b), cookies: res.Cookies()}
}

// serve runs a request through the handler directly (no HTTP parsing limits).
func (e *env) serve(req *http.Request) response {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.m.Middleware(e.app()).ServeHTTP(rec, req)
	res := rec.Result()
	return response{status: res.StatusCode, header: res.Header, body: rec.Body.String(), cookies: res.Cookies()}
}

// signInJar signs in through the API, so that the jar holds the cookie.
func (e *env) signInJar(user string) string {
	e.t.Helper()
	r := e.do("POST", "/sign-in?user="+user)
	if r.status != 200 {
		e.t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	tok, _ := r.json(e.t)["token"].(string)
	return tok
}
