package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// Placeholders in fuzz inputs, replaced by the tokens of live sessions so
// that the fuzzer can reach the paths a valid token takes (it could never
// guess one).
const (
	fuzzActiveMark = "TOKEN" // a session in its active period
	fuzzIdleMark   = "IDLE"  // a session in its idle period (renewed when used)
)

// fuzzSessions is a Manager on a memory store with two live sessions.
type fuzzSessions struct {
	m      *Manager
	tokens map[string]string // session token -> session id
	active string            // token of the active session
	idle   string            // token of the idle session
}

func newFuzzSessions(f *testing.F) *fuzzSessions {
	f.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	auth, err := latch.New(latch.Config{
		Store: memory.New(), Now: c.Now, Env: latch.EnvDev,
		ActivePeriod: time.Hour, IdlePeriod: 1000 * time.Hour,
	})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := auth.CreateUser(ctx, latch.CreateUserOptions{UserID: "fuzz-user"}); err != nil {
		f.Fatal(err)
	}
	idle, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: "fuzz-user"})
	if err != nil {
		f.Fatal(err)
	}
	c.Advance(2 * time.Hour) // idle's active period is over; it is renewed on use
	active, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: "fuzz-user"})
	if err != nil {
		f.Fatal(err)
	}
	m, err := New(auth, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzSessions{
		m:      m,
		tokens: map[string]string{active.Token: active.ID, idle.Token: idle.ID},
		active: active.Token, idle: idle.Token,
	}
}

// expand replaces the placeholders with live tokens.
func (s *fuzzSessions) expand(v string) string {
	return strings.NewReplacer(fuzzActiveMark, s.active, fuzzIdleMark, s.idle).Replace(v)
}

// headerValues splits a fuzzed header on '\n' into several values, so that
// repeated headers are fuzzed too. An empty string is no header at all.
func headerValues(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, "\n")
}

var fuzzMethods = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}

// FuzzMiddlewareHeaders runs Require on a request with fuzzed Cookie,
// Authorization and Origin headers: it never panics, answers 200, 401 or
// 403 with the documented JSON, lets a request through only with a live
// session's token taken from those headers, and sets no cookie but the
// session cookie.
func FuzzMiddlewareHeaders(f *testing.F) {
	seeds := []struct {
		method                      uint8
		cookie, authorization, orig string
	}{
		{0, "", "", ""},
		{0, "auth_session=" + fuzzActiveMark, "", ""},
		{0, "auth_session=" + fuzzIdleMark, "", ""},
		{1, "auth_session=" + fuzzActiveMark, "", "http://example.com"},
		{1, "auth_session=" + fuzzActiveMark, "", "http://evil.example"},
		{1, "auth_session=" + fuzzActiveMark, "", ""},
		{0, "", "Bearer " + fuzzActiveMark, ""},
		{1, "", "bEaReR  " + fuzzIdleMark + "  ", ""},
		{1, "auth_session=" + fuzzActiveMark, "Bearer " + fuzzActiveMark, "null"},
		{0, "", "Bearer " + fuzzActiveMark + "\nBearer " + fuzzActiveMark, ""},
		{0, "auth_session=", "Bearer", ""},
		{0, "auth_session=\"" + fuzzActiveMark + "\"", "Basic dXNlcjpwYXNz", ""},
		{0, "a=b; auth_session=x; auth_session=" + fuzzActiveMark, "Bearer a==", ""},
		{0, "auth_session=" + fuzzActiveMark + "\nauth_session=zz", "Bearer " + strings.Repeat("a", 300), ""},
		{4, "auth_session=%41%42", "Bearer ===", "http://example.com:80"},
		{1, "auth_session=\x00\xff", "Bearer \x00", "http://example.com\n"},
		{0, "", "Bearer\t" + fuzzActiveMark, ""},
		{0, "", "Bearer " + fuzzActiveMark + ", Bearer " + fuzzIdleMark, ""},
		{0, "", "Bearer " + fuzzActiveMark + " extra", ""},
		{0, "", "Bearer " + fuzzActiveMark + "====", ""},
		{0, "", "BEARER=" + fuzzActiveMark, ""},
		{0, "auth_session=" + fuzzIdleMark + "; auth_session=" + fuzzActiveMark, "", ""},
		{0, "AUTH_SESSION=" + fuzzActiveMark, "Bearer", ""},
		{1, "auth_session=" + fuzzActiveMark, "", "http://example.com\nhttp://example.com"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.cookie, s.authorization, s.orig)
	}
	s := newFuzzSessions(f)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, found := FromContext(r.Context())
		if !found {
			WriteError(w, http.StatusTeapot, "NO_SESSION", "Require let a request without a session through")
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"session": sess.ID})
	})
	h := s.m.Require(ok)
	f.Fuzz(func(t *testing.T, method uint8, cookie, authorization, origin string) {
		cookie, authorization = s.expand(cookie), s.expand(authorization)
		r := httptest.NewRequest(fuzzMethods[int(method)%len(fuzzMethods)], "http://example.com/private", nil)
		for _, v := range headerValues(cookie) {
			r.Header.Add("Cookie", v)
		}
		for _, v := range headerValues(authorization) {
			r.Header.Add("Authorization", v)
		}
		for _, v := range headerValues(origin) {
			r.Header.Add("Origin", v)
		}
		_, _, hasCookie := s.m.cookie(r)
		token, fromCookie := s.m.SessionToken(r)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()

		var body struct {
			Session string `json:"session"`
			Error   struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("status %d: body %q is not JSON: %v", res.StatusCode, rec.Body.String(), err)
		}
		switch res.StatusCode {
		case http.StatusOK:
			id, known := s.tokens[token]
			if !known || body.Session != id {
				t.Fatalf("200 for token %q (session %q), which is no live session's", token, body.Session)
			}
			if !strings.Contains(cookie, token) && !strings.Contains(authorization, token) {
				t.Fatalf("200 with token %q found in neither Cookie %q nor Authorization %q", token, cookie, authorization)
			}
		case http.StatusUnauthorized:
			if body.Error.Code != CodeUnauthorized || res.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Fatalf("401 with code %q, WWW-Authenticate %q", body.Error.Code, res.Header.Get("WWW-Authenticate"))
			}
			if _, known := s.tokens[token]; known {
				t.Fatalf("401 for the live token %q", token)
			}
		case http.StatusForbidden:
			if body.Error.Code != CodeInvalidOrigin {
				t.Fatalf("403 with code %q", body.Error.Code)
			}
			if !hasCookie || safeMethod(r.Method) {
				t.Fatalf("403 for %s without the session cookie (%v) or for a safe method", r.Method, hasCookie)
			}
			if s.m.CheckOrigin(r) == nil {
				t.Fatalf("403 although CheckOrigin allows Origin %q", origin)
			}
		default:
			t.Fatalf("status %d, want 200, 401 or 403; body %s", res.StatusCode, rec.Body.String())
		}
		if res.StatusCode != http.StatusForbidden && hasCookie && !safeMethod(r.Method) && s.m.CheckOrigin(r) != nil {
			t.Fatalf("%s with the session cookie and a refused Origin %q got %d", r.Method, origin, res.StatusCode)
		}
		for _, c := range res.Cookies() {
			if c.Name != s.m.CookieName() {
				t.Fatalf("Set-Cookie for %q", c.Name)
			}
			if !fromCookie {
				t.Fatalf("Set-Cookie %q although the token came from no cookie", c.String())
			}
			if c.MaxAge >= 0 && c.Value != "" {
				if _, known := s.tokens[c.Value]; !known || c.Value != token {
					t.Fatalf("Set-Cookie with value %q, not the request's live token", c.Value)
				}
			}
		}
	})
}

// Origin-check fuzzing: the Managers are configured with these.
const (
	fuzzAllowedOrigin = "https://app.example.com"
	fuzzSubdomain     = "api"
)

// fuzzOriginManagers are Managers with different Origin rules.
func fuzzOriginManagers(f *testing.F) []*Manager {
	f.Helper()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		f.Fatal(err)
	}
	var out []*Manager
	for _, opts := range []Options{
		{AllowedOrigins: []string{fuzzAllowedOrigin}, AllowedSubdomains: []string{fuzzSubdomain}},
		{AllowedOrigins: []string{fuzzAllowedOrigin}, AllowedSubdomains: []string{"*"}},
		{AllowedOrigins: []string{fuzzAllowedOrigin}, AllowedSubdomains: []string{fuzzSubdomain}, TrustForwardedHost: true},
	} {
		m, err := New(auth, opts)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

var schemePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*:`)

// browserOrigin reads an Origin value the way a browser's URL parser
// finds the host in it, independently of net/url: the scheme, then "//",
// then the authority up to the first '/', '?', '#' or '\' (a path
// separator in http URLs), without any userinfo, percent-decoded, in lower
// case. ok is false when there is no authority.
func browserOrigin(origin string) (scheme, hostport string, ok bool) {
	origin = strings.Trim(origin, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	origin = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(origin)
	rest := origin
	if m := schemePattern.FindString(origin); m != "" {
		scheme, rest = strings.ToLower(m[:len(m)-1]), origin[len(m):]
	}
	rest = strings.ReplaceAll(rest, `\`, "/")
	if !strings.HasPrefix(rest, "//") {
		return "", "", false
	}
	rest = rest[2:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if dec, err := url.PathUnescape(rest); err == nil {
		rest = dec
	}
	return scheme, strings.ToLower(rest), rest != ""
}

// withoutDefaultPort drops :443 from https and :80 from http, as browsers
// do in Origin.
func withoutDefaultPort(scheme, hostport string) string {
	switch {
	case scheme == "https":
		return strings.TrimSuffix(hostport, ":443")
	case scheme == "http":
		return strings.TrimSuffix(hostport, ":80")
	}
	return hostport
}

var plainHost = regexp.MustCompile(`^[a-z0-9]([a-z0-9.\-]*[a-z0-9])?(:[0-9]{1,5})?$`)

// FuzzCheckOrigin holds CheckOrigin to what a browser would call the
// origin's host: an Origin whose host is neither the request's host, nor
// an allowed origin, nor an allowed subdomain of the host never passes,
// whatever its spelling; a plain same-host Origin always does; and the
// middleware refuses exactly what CheckOrigin refuses.
func FuzzCheckOrigin(f *testing.F) {
	seeds := []struct {
		mode              uint8
		origin, host, xfh string
	}{
		{0, "http://example.com", "example.com", ""},
		{0, "https://example.com:8443", "example.com:8443", ""},
		{0, "http://example.com:8443", "example.com:8443", ""},
		{0, "https://app.example.com", "example.com", ""},
		{0, "https://app.example.com:443", "example.com", ""},
		{0, "http://app.example.com", "example.com", ""},
		{0, "https://api.example.com", "example.com", ""},
		{0, "https://evil.example", "example.com", ""},
		{0, "https://example.com.evil.example", "example.com", ""},
		{0, "https://evil.example/.example.com", "example.com", ""},
		{0, "https://example.com@evil.example", "example.com", ""},
		{0, "https://evil.example\\@example.com", "example.com", ""},
		{0, "https://evil.example#@example.com", "example.com", ""},
		{0, "//example.com", "example.com", ""},
		{0, "null", "example.com", ""},
		{0, "http://EXAMPLE.com", "example.COM", ""},
		{0, "http://[::1]:8080", "[::1]:8080", ""},
		{0, "http://%65xample.com", "example.com", ""},
		{0, "http://ex%C3%A4mple.com", "exämple.com", ""},
		{0, "http://example.com\nhttp://example.com", "example.com", ""},
		{1, "https://a.b.example.com", "example.com", ""},
		{1, "https://aexample.com", "example.com", ""},
		{1, "https://.example.com", "example.com", ""},
		{1, "https://x.", "", ""},
		{2, "https://auth.example.com", "internal:8080", "auth.example.com, proxy"},
		{2, "https://internal:8080", "internal:8080", "auth.example.com"},
		{2, "https://evil.example", "evil.example", " ,"},
	}
	for _, s := range seeds {
		f.Add(s.mode, s.origin, s.host, s.xfh)
	}
	managers := fuzzOriginManagers(f)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	f.Fuzz(func(t *testing.T, mode uint8, origin, host, xfh string) {
		m := managers[int(mode)%len(managers)]
		r := httptest.NewRequest("POST", "http://example.com/", nil)
		r.Host = host
		for _, v := range headerValues(origin) {
			r.Header.Add("Origin", v)
		}
		if xfh != "" {
			r.Header.Set("X-Forwarded-Host", xfh)
		}
		err := m.CheckOrigin(r)
		if err != nil && !errors.Is(err, ErrInvalidOrigin) {
			t.Fatalf("CheckOrigin error %v does not match ErrInvalidOrigin", err)
		}

		// The host the client addressed, as the Manager is told to see it:
		// the first X-Forwarded-Host, unless blank (then Host).
		reqHost := host
		if m.trustForwardedHost {
			first, _, _ := strings.Cut(xfh, ",")
			if first = strings.TrimSpace(first); first != "" {
				reqHost = first
			}
		}
		reqHost = strings.ToLower(reqHost)

		vals := headerValues(origin)
		if err == nil {
			if len(vals) != 1 {
				t.Fatalf("CheckOrigin allowed %d Origin headers %q", len(vals), vals)
			}
			scheme, oh, parsed := browserOrigin(vals[0])
			// The request came over plain http: only an http Origin can
			// be its own or its subdomain's.
			same := scheme == "http"
			allowed := parsed && (same && reqHost != "" && withoutDefaultPort(scheme, oh) == withoutDefaultPort(scheme, reqHost) ||
				scheme+"://"+withoutDefaultPort(scheme, oh) == fuzzAllowedOrigin ||
				same && reqHost != "" && m.anySubdomain && strings.HasSuffix(oh, "."+reqHost) ||
				same && reqHost != "" && !m.anySubdomain && oh == fuzzSubdomain+"."+reqHost)
			if !allowed {
				t.Fatalf("CheckOrigin allowed Origin %q (host %q as a browser reads it) for host %q", vals[0], oh, reqHost)
			}
		}
		if len(vals) == 1 && plainHost.MatchString(reqHost) &&
			vals[0] == "http://"+reqHost && err != nil {
			t.Fatalf("CheckOrigin refused the same-host Origin %q for host %q: %v", vals[0], reqHost, err)
		}

		// The middleware refuses exactly that, for a cookie-carrying post.
		r.AddCookie(&http.Cookie{Name: m.CookieName(), Value: "x"})
		rec := httptest.NewRecorder()
		m.Middleware(ok).ServeHTTP(rec, r)
		if want := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[err == nil]; rec.Code != want {
			t.Fatalf("middleware answered %d, CheckOrigin said %v", rec.Code, err)
		}
	})
}
