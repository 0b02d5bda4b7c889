package authapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/store/memory"
)

const (
	trustedOrigin = "http://app.localhost:3000"
	csrfOnly      = "http://admin.localhost:3000" // AllowedOrigins: CSRF trust, no CORS
	otherOrigin   = "http://evil.localhost:3000"
)

// newCORSEnv is a server that answers trustedOrigin cross-origin and trusts
// csrfOnly for the Origin check alone.
func newCORSEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, memory.New(), func(cfg *authapi.Config) {
		m, err := httpauth.New(cfg.Auth, httpauth.Options{CORSOrigins: []string{trustedOrigin}, AllowedOrigins: []string{csrfOnly}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Sessions = m
	})
}

func (c *client) withOrigin(o string) *client {
	cc := *c
	cc.origin = o
	return &cc
}

// wantCORS fails unless r carries the CORS headers of a credentialed
// answer to origin, or none at all when origin is "".
func wantCORS(t *testing.T, what string, r *response, origin string) {
	t.Helper()
	got := r.header.Get("Access-Control-Allow-Origin")
	if got != origin {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", what, got, origin)
	}
	cred := r.header.Get("Access-Control-Allow-Credentials")
	if origin == "" {
		for k := range r.header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: %s: %q on an answer to an untrusted origin", what, k, r.header.Get(k))
			}
		}
		return
	}
	if cred != "true" {
		t.Errorf("%s: Access-Control-Allow-Credentials %q", what, cred)
	}
	if x := r.header.Get("Access-Control-Expose-Headers"); !strings.Contains(x, "Retry-After") || !strings.Contains(x, "X-Request-Id") || !strings.Contains(x, "set-ott") {
		t.Errorf("%s: Retry-After, X-Request-Id or set-ott not exposed: %q", what, x)
	}
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	e := newCORSEnv(t)
	pre := func(origin, path, method string) *response {
		hdr := []string{"Access-Control-Request-Method", method, "Access-Control-Request-Headers", "content-type"}
		if origin != "" {
			hdr = append(hdr, "Origin", origin)
		}
		return e.api().do("OPTIONS", path, nil, hdr...)
	}
	r := pre(trustedOrigin, "/api/auth/sign-in", "POST")
	if r.status != http.StatusNoContent {
		t.Fatalf("preflight of a trusted origin: %d %s", r.status, r.raw)
	}
	wantCORS(t, "preflight", r, trustedOrigin)
	if m := r.header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") {
		t.Errorf("Allow-Methods %q", m)
	}
	if h := r.header.Get("Access-Control-Allow-Headers"); !strings.Contains(h, "Content-Type") || !strings.Contains(h, "Authorization") {
		t.Errorf("Allow-Headers %q", h)
	}
	if r.header.Get("Access-Control-Max-Age") == "" {
		t.Error("no Access-Control-Max-Age")
	}
	if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary %q", r.header.Values("Vary"))
	}
	r = pre(trustedOrigin, "/api/auth/sessions/abc", "DELETE")
	if r.status != http.StatusNoContent || !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "DELETE") {
		t.Errorf("preflight of DELETE: %d, methods %q", r.status, r.header.Get("Access-Control-Allow-Methods"))
	}

	for _, c := range []struct{ name, origin, path string }{
		{"untrusted origin", otherOrigin, "/api/auth/sign-in"},
		{"CSRF-only origin", csrfOnly, "/api/auth/sign-in"},
		{"null origin", "null", "/api/auth/sign-in"},
		{"same origin with a trailing slash", trustedOrigin + "/", "/api/auth/sign-in"},
		{"upper case", strings.ToUpper(trustedOrigin), "/api/auth/sign-in"},
		{"no origin", "", "/api/auth/sign-in"},
		{"dev outbox", trustedOrigin, "/api/dev/outbox"},
		{"admin API", trustedOrigin, "/api/admin/users"},
		{"page", trustedOrigin, "/sign-in"},
	} {
		r := pre(c.origin, c.path, "POST")
		if r.status == http.StatusNoContent || r.status/100 == 2 {
			t.Errorf("%s: preflight answered %d", c.name, r.status)
		}
		wantCORS(t, c.name, r, "")
	}
	// An unknown path answers 404, readable by the trusted page like every
	// API error, which the browser takes as a failed preflight.
	if r := pre(trustedOrigin, "/api/auth/nothing-here", "POST"); r.status != http.StatusNotFound {
		t.Errorf("preflight of an unknown path: %d", r.status)
	}
}

func TestCORSResponses(t *testing.T) {
	t.Parallel()
	e := newCORSEnv(t)
	app := e.browser().withOrigin(trustedOrigin)
	r := app.do("POST", "/api/auth/sign-up", map[string]string{"email": "cors@example.com", "password": "cors password 1"})
	r.want(t, http.StatusCreated, "")
	wantCORS(t, "sign-up", r, trustedOrigin)
	if r.str("token") != "" {
		t.Error("a browser origin got the session token in the body")
	}
	if cookie(r, httpauth.DefaultCookieName) == nil {
		t.Fatal("no session cookie")
	}
	r = app.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	wantCORS(t, "session", r, trustedOrigin)

	// Errors carry the headers too, so the page can read the code: from the
	// handlers, from the session middleware, and from the body limit.
	r = e.browser().withOrigin(trustedOrigin).do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
	wantCORS(t, "401", r, trustedOrigin)
	r = e.api().withOrigin(trustedOrigin).do("POST", "/api/auth/sign-in", strings.Repeat(" ", authapi.MaxBodyBytes+1)).want(t, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE")
	wantCORS(t, "413", r, trustedOrigin)
	r = e.api().withOrigin(trustedOrigin).do("GET", "/api/auth/nothing-here", nil).want(t, http.StatusNotFound, "NOT_FOUND")
	wantCORS(t, "404", r, trustedOrigin)

	// The same cookie, sent along from other origins: no CORS headers, and
	// a write is refused by the Origin check (the CSRF rules are as they were).
	for _, o := range []string{otherOrigin, "null"} {
		evil := app.withOrigin(o)
		r = evil.do("GET", "/api/auth/session", nil)
		wantCORS(t, "session read from "+o, r, "")
		if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
			t.Errorf("answer to %s without Vary: Origin", o)
		}
		evil.do("POST", "/api/auth/sign-out", nil).want(t, http.StatusForbidden, "INVALID_ORIGIN")
		evil.do("DELETE", "/api/auth/sessions", nil).want(t, http.StatusForbidden, "INVALID_ORIGIN")
	}
	// A CSRF-trusted origin may post with the cookie but gets no CORS.
	r = app.withOrigin(csrfOnly).do("GET", "/api/auth/sessions", nil).want(t, http.StatusOK, "")
	wantCORS(t, "--allowed-origins only", r, "")

	// Pages and the dev outbox never answer cross-origin.
	for _, p := range []string{"/sign-in", "/account", "/dev/outbox", "/api/dev/outbox", "/static/style.css", "/api/admin/users"} {
		req, _ := http.NewRequest("GET", e.srv.URL+p, nil)
		req.Header.Set("Origin", trustedOrigin)
		res, err := app.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		wantCORS(t, p, &response{status: res.StatusCode, header: res.Header}, "")
	}

	app.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	r = app.do("POST", "/api/auth/sign-out", nil).want(t, http.StatusNoContent, "")
	wantCORS(t, "sign-out", r, trustedOrigin)
	app.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
}

// Throttled answers expose Retry-After to the trusted page.
func TestCORSRetryAfter(t *testing.T) {
	t.Parallel()
	e := newCORSEnv(t)
	e.signUp("wait@example.com", "right password 1")
	app := e.browser().withOrigin(trustedOrigin)
	var r *response
	for range 10 {
		r = app.do("POST", "/api/auth/sign-in", map[string]string{"email": "wait@example.com", "password": "wrong password 1"})
		if r.status == http.StatusTooManyRequests {
			break
		}
	}
	r.want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	wantCORS(t, "429", r, trustedOrigin)
}

func TestClientJS(t *testing.T) {
	t.Parallel()
	e := newCORSEnv(t)
	r := e.api().withOrigin(trustedOrigin).do("GET", "/api/auth/client.js", nil)
	if r.status != http.StatusOK {
		t.Fatalf("client.js: %d %s", r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") || strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	wantCORS(t, "client.js", r, trustedOrigin)
	if n := len(r.raw); n > 12<<10 {
		t.Errorf("client.js is %d bytes; a few KB expected", n)
	}
	for _, name := range []string{"signUp", "signIn", "signOut", "getSession", "listSessions", "revokeSession",
		"requestMagicLink", "requestPasswordReset", "oneTimeToken", "createClient", "LatchError"} {
		if !strings.Contains(string(r.raw), "export const "+name+" ") && !strings.Contains(string(r.raw), "export function "+name+"(") &&
			!strings.Contains(string(r.raw), "export class "+name+" ") {
			t.Errorf("client.js does not export %s", name)
		}
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	r = e.api().do("GET", "/api/auth/client.js", nil, "If-None-Match", etag)
	if r.status != http.StatusNotModified {
		t.Errorf("revalidation: %d", r.status)
	}
	wantCORS(t, "client.js without Origin", r, "")
	wantCORS(t, "client.js to another origin", e.api().withOrigin(otherOrigin).do("GET", "/api/auth/client.js", nil), "")
	e.api().do("POST", "/api/auth/client.js", nil).want(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

// TestClientJSInNode runs every function of client.js in bearer mode, as a
// program outside a browser uses it (testdata/client_bearer.mjs).
func TestClientJSInNode(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("LATCH_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("node is required (LATCH_TEST_REQUIRE_SERVICES=1) but not installed")
		}
		t.Skip("skipping: node is not installed")
	}
	e := newCORSEnv(t)
	dir := t.TempDir()
	js := e.api().do("GET", "/api/auth/client.js", nil)
	script, err := os.ReadFile(filepath.Join("testdata", "client_bearer.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"client.mjs": js.raw, "test.mjs": script} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(node, filepath.Join(dir, "test.mjs"), e.srv.URL)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s%s", err, out, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	want := map[string]any{
		"before": nil, "keptToken": true, "session": "node@example.com",
		"oneTimeToken": "node@example.com", "handedOverSession": "node@example.com",
		"tokenAfterSignOut": nil, "oldTokenAfterSignOut": nil,
		"wrong":    map[string]any{"isLatchError": true, "code": "INVALID_CREDENTIALS", "status": 401.0},
		"sessions": 2.0, "phoneAfterRevoke": nil,
		"unreachable": map[string]any{"code": "NETWORK_ERROR", "status": 0.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("client.js in node:\n got %v\nwant %v", got, want)
	}
	for _, subject := range []string{"password", "Sign in"} {
		e.mailTo("node@example.com", subject, 1)
	}
}
