package httpauth

import (
	"context"
	"crypto/tls"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

func TestCookieLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	start := e.clock.Now()

	// Sign-in sets the cookie: attributes, expiry at the idle expiry.
	r := e.do("POST", "/sign-in?user=ada")
	c := r.sessionCookie("auth_session")
	if c == nil {
		t.Fatalf("sign-in set no session cookie: %v", r.header)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Domain != "" {
		t.Errorf("cookie attributes: %s", c.Raw)
	}
	if want := start.Add(testActive + testIdle); !c.Expires.Equal(want) {
		t.Errorf("cookie Expires = %v, want the idle expiry %v", c.Expires, want)
	}
	if want := int((testActive + testIdle) / time.Second); c.MaxAge != want {
		t.Errorf("cookie Max-Age = %d, want %d", c.MaxAge, want)
	}

	// The cookie authenticates; an active session sets no cookie again.
	r = e.do("GET", "/whoami")
	if v := r.json(t); v["user"] != "ada" || v["state"] != latch.StateActive {
		t.Fatalf("whoami with the cookie: %s", r.body)
	}
	if r.sessionCookie("auth_session") != nil {
		t.Errorf("an active session re-set its cookie: %v", r.header["Set-Cookie"])
	}

	// In the idle period the session is renewed and the cookie set again,
	// with the new expiry.
	e.clock.Advance(testActive + 30*time.Minute)
	r = e.do("GET", "/whoami")
	if v := r.json(t); v["user"] != "ada" || v["state"] != latch.StateActive {
		t.Fatalf("whoami in the idle period: %s", r.body)
	}
	c = r.sessionCookie("auth_session")
	if c == nil {
		t.Fatalf("a renewed session did not re-set its cookie")
	}
	if want := e.clock.Now().Add(testActive + testIdle); !c.Expires.Equal(want) {
		t.Errorf("renewed cookie Expires = %v, want %v", c.Expires, want)
	}
	if want := int((testActive + testIdle) / time.Second); c.MaxAge != want {
		t.Errorf("renewed cookie Max-Age = %d, want %d", c.MaxAge, want)
	}

	// Past the idle expiry the session is dead: anonymous, cookie cleared.
	e.clock.Advance(testActive + testIdle)
	r = e.do("GET", "/whoami")
	if v := r.json(t); v["anonymous"] != true {
		t.Fatalf("whoami with a dead session: %s", r.body)
	}
	c = r.sessionCookie("auth_session")
	if c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("dead session's cookie not cleared: %v", r.header["Set-Cookie"])
	}
	if r = e.do("GET", "/private"); r.status != http.StatusUnauthorized {
		t.Fatalf("private after the cookie was cleared: %d", r.status)
	}
}

func TestSignOutClearsCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	e.signInJar("ada")
	r := e.do("POST", "/sign-out", "Origin", e.srv.URL)
	if r.status != http.StatusNoContent {
		t.Fatalf("sign-out: %d %s", r.status, r.body)
	}
	if got := r.header.Values("Set-Cookie"); len(got) != 1 || !strings.Contains(got[0], "Max-Age=0") {
		t.Fatalf("sign-out Set-Cookie = %q, want one clearing cookie", got)
	}
	if r = e.do("GET", "/private"); r.status != http.StatusUnauthorized {
		t.Fatalf("private after sign-out: %d", r.status)
	}
}

func TestCookieOptions(t *testing.T) {
	t.Parallel()
	store := memory.New()
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	prod, err := latch.New(latch.Config{Store: store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := latch.New(latch.Config{Store: store, Now: func() time.Time { return now }, Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	s := latch.Session{Token: "tok123", IdleExpires: now.Add(90*time.Minute + 500*time.Millisecond)}
	tests := []struct {
		name   string
		auth   *latch.Auth
		opts   Options
		check  func(t *testing.T, c *http.Cookie)
		cookie string
	}{
		{"prod is Secure by default", prod, Options{}, func(t *testing.T, c *http.Cookie) {
			if !c.Secure {
				t.Error("not Secure")
			}
		}, "auth_session"},
		{"dev is not Secure by default", dev, Options{}, func(t *testing.T, c *http.Cookie) {
			if c.Secure {
				t.Error("Secure in dev")
			}
		}, "auth_session"},
		{"Secure forced off", prod, Options{Secure: new(false)}, func(t *testing.T, c *http.Cookie) {
			if c.Secure {
				t.Error("Secure")
			}
		}, "auth_session"},
		{"name and domain", prod, Options{CookieName: "sid", CookieDomain: "example.com"}, func(t *testing.T, c *http.Cookie) {
			if c.Domain != "example.com" {
				t.Errorf("Domain = %q", c.Domain)
			}
		}, "sid"},
		{"expires with the session, Max-Age rounded up", prod, Options{}, func(t *testing.T, c *http.Cookie) {
			if !c.Expires.Equal(s.IdleExpires.Truncate(time.Second)) || c.MaxAge != 90*60+1 {
				t.Errorf("Expires %v Max-Age %d", c.Expires, c.MaxAge)
			}
		}, "auth_session"},
		{"a year when SessionCookieExpires is false", prod, Options{SessionCookieExpires: new(false)}, func(t *testing.T, c *http.Cookie) {
			if c.MaxAge != 365*24*3600 || !c.Expires.Equal(now.Add(365*24*time.Hour)) {
				t.Errorf("Expires %v Max-Age %d", c.Expires, c.MaxAge)
			}
		}, "auth_session"},
		{"__Host- prefix", prod, Options{CookieName: "__Host-auth"}, func(t *testing.T, c *http.Cookie) {
			if !c.Secure || c.Domain != "" || c.Path != "/" {
				t.Errorf("%s", c.Raw)
			}
		}, "__Host-auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := New(tt.auth, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			m.SetSessionCookie(rec, s)
			cs := rec.Result().Cookies()
			if len(cs) != 1 || cs[0].Name != tt.cookie || cs[0].Value != "tok123" {
				t.Fatalf("Set-Cookie = %v", rec.Header()["Set-Cookie"])
			}
			if !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode || cs[0].Path != "/" {
				t.Errorf("attributes: %s", cs[0].Raw)
			}
			tt.check(t, cs[0])

			// Clearing replaces the cookie just set: one Set-Cookie, expired,
			// with the same scope so that the browser drops the right one.
			m.ClearSessionCookie(rec)
			cs = (&http.Response{Header: rec.Header()}).Cookies()
			if len(cs) != 1 || cs[0].MaxAge >= 0 || cs[0].Value != "" || cs[0].Domain != tt.opts.CookieDomain || cs[0].Path != "/" {
				t.Fatalf("after clear, Set-Cookie = %v", rec.Header()["Set-Cookie"])
			}
		})
	}

	m, _ := New(prod, Options{})
	rec := httptest.NewRecorder()
	rec.Header().Add("Set-Cookie", "other=1")
	m.SetSessionCookie(rec, latch.Session{ID: "listed, no token"})
	m.SetSessionCookie(rec, latch.Session{Token: "dead", IdleExpires: now.Add(-time.Second)})
	if got := rec.Header().Values("Set-Cookie"); len(got) != 2 || got[0] != "other=1" || !strings.Contains(got[1], "Max-Age=0") {
		t.Fatalf("no token sets nothing, a dead session clears, other cookies stay: %q", got)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil auth): no error")
	}
	bad := []struct {
		opts  Options
		field string
	}{
		{Options{CookieName: "bad name"}, "CookieName"},
		{Options{CookieName: "a;b"}, "CookieName"},
		{Options{CookieDomain: "exa mple.com"}, "CookieDomain"},
		{Options{CookieName: "__Host-x", CookieDomain: "example.com"}, "CookieName"},
		{Options{CookieName: "__Host-x", Secure: new(false)}, "CookieName"},
		{Options{CookieName: "__Secure-x", Secure: new(false)}, "CookieName"},
		{Options{AllowedOrigins: []string{"app.example.com"}}, "AllowedOrigins"},
		{Options{AllowedOrigins: []string{"https://app.example.com/path"}}, "AllowedOrigins"},
		{Options{AllowedOrigins: []string{"ftp://app.example.com"}}, "AllowedOrigins"},
		{Options{AllowedOrigins: []string{"https://user@app.example.com"}}, "AllowedOrigins"},
		{Options{AllowedSubdomains: []string{"*.api"}}, "AllowedSubdomains"},
		{Options{AllowedSubdomains: []string{""}}, "AllowedSubdomains"},
		{Options{AllowedSubdomains: []string{"-api"}}, "AllowedSubdomains"},
		{Options{AllowedSubdomains: []string{"api."}}, "AllowedSubdomains"},
	}
	for _, tt := range bad {
		_, err := New(auth, tt.opts)
		if err == nil || !strings.Contains(err.Error(), "Options."+tt.field) {
			t.Errorf("New(%+v) = %v, want an error naming Options.%s", tt.opts, err, tt.field)
		}
	}
	if _, err := New(auth, Options{AllowedOrigins: []string{"https://App.Example.com:8443/"}, AllowedSubdomains: []string{"api", "a.b", "*"}}); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	s, err := e.signIn(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	anon := &http.Client{Timeout: 10 * time.Second} // no jar: never a cookie
	tests := []struct {
		name   string
		header []string
		want   int // status of /private
	}{
		{"Bearer", []string{"Authorization", "Bearer " + s.Token}, 200},
		{"scheme in lower case", []string{"Authorization", "bearer " + s.Token}, 200},
		{"scheme in upper case", []string{"Authorization", "BEARER " + s.Token}, 200},
		{"extra spaces", []string{"Authorization", "Bearer   " + s.Token + " "}, 200},
		{"no header", nil, 401},
		{"unknown token", []string{"Authorization", "Bearer " + strings.Repeat("a", 40)}, 401},
		{"no token", []string{"Authorization", "Bearer"}, 401},
		{"empty token", []string{"Authorization", "Bearer "}, 401},
		{"other scheme", []string{"Authorization", "Basic " + s.Token}, 401},
		{"token with a space", []string{"Authorization", "Bearer " + s.Token + " x"}, 401},
		{"token with a comma", []string{"Authorization", "Bearer " + s.Token + ",x"}, 401},
		{"header repeated", []string{"Authorization", "Bearer " + s.Token, "Authorization", "Bearer " + s.Token}, 401},
		{"token too long", []string{"Authorization", "Bearer " + strings.Repeat("a", latch.MaxIDLength+1)}, 401},
		{"header of 8 KB", []string{"Authorization", "Bearer " + strings.Repeat("a", 8<<10)}, 401},
		{"non-ASCII", []string{"Authorization", "Bearer " + s.Token + "é"}, 401},
	}
	for _, tt := range tests {
		r := e.doWith(anon, "GET", "/private", tt.header...)
		if r.status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.want)
			continue
		}
		if r.status == 401 && r.errorCode(t) != CodeUnauthorized {
			t.Errorf("%s: body %s", tt.name, r.body)
		}
		if len(r.cookies) != 0 {
			t.Errorf("%s: a bearer request got cookies: %v", tt.name, r.header["Set-Cookie"])
		}
	}

	// A renewed bearer session is renewed in the store, without a cookie.
	e.clock.Advance(testActive + time.Minute)
	r := e.doWith(anon, "GET", "/whoami", "Authorization", "Bearer "+s.Token)
	if v := r.json(t); v["user"] != "bob" || len(r.cookies) != 0 {
		t.Fatalf("idle bearer session: %s, cookies %v", r.body, r.header["Set-Cookie"])
	}
	got, err := e.auth.GetSession(context.Background(), s.Token)
	if err != nil || got.State != latch.StateActive {
		t.Fatalf("bearer session not renewed: %+v %v", got, err)
	}
}

// TestBearerOverCookie: a request with both uses the bearer token and
// leaves the cookie alone.
func TestBearerOverCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	e.signInJar("ada")
	bob, err := e.signIn(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/whoami", "Authorization", "Bearer "+bob.Token)
	if v := r.json(t); v["user"] != "bob" {
		t.Fatalf("bearer and cookie: %s", r.body)
	}
	r = e.do("GET", "/whoami", "Authorization", "Bearer "+strings.Repeat("z", 40))
	if v := r.json(t); v["anonymous"] != true || len(r.cookies) != 0 {
		t.Fatalf("an unknown bearer token with a good cookie: %s, cookies %v", r.body, r.header["Set-Cookie"])
	}
	if v := e.do("GET", "/whoami").json(t); v["user"] != "ada" {
		t.Fatalf("the cookie still works: %v", v)
	}
}

// TestLargeAuthorization: a 1 MB Authorization header is not a session and
// not a server error; the handler looks at it without scanning it.
func TestLargeAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	huge := "Bearer " + strings.Repeat("a", 1<<20)

	// Through the handler: no header size limit applies.
	req := httptest.NewRequest("GET", "/private", nil)
	req.Header.Set("Authorization", huge)
	before := e.store.lookups.Load()
	r := e.serve(req)
	if r.status != http.StatusUnauthorized || r.errorCode(t) != CodeUnauthorized {
		t.Fatalf("1 MB Authorization through the handler: %d %s", r.status, r.body)
	}
	if n := e.store.lookups.Load() - before; n != 0 {
		t.Errorf("%d store lookups for a 1 MB header", n)
	}
	req = httptest.NewRequest("GET", "/whoami", nil)
	req.Header.Set("Authorization", huge)
	if r := e.serve(req); r.status != 200 || r.json(t)["anonymous"] != true {
		t.Fatalf("1 MB Authorization on an open route: %d %s", r.status, r.body)
	}

	// Over HTTP: Go's server refuses headers over MaxHeaderBytes (1 MB)
	// with 431 before the handler; either way, never a 500.
	r = e.doWith(&http.Client{Timeout: 10 * time.Second}, "GET", "/private", "Authorization", huge)
	if r.status != http.StatusUnauthorized && r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("1 MB Authorization over HTTP: %d %s", r.status, r.body)
	}
	r = e.doWith(&http.Client{Timeout: 10 * time.Second}, "GET", "/private", "Authorization", "Bearer "+strings.Repeat("a", 512<<10))
	if r.status != http.StatusUnauthorized {
		t.Fatalf("512 KB Authorization over HTTP: %d %s", r.status, r.body)
	}
}

func TestMalformedCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	good, err := e.signIn(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cookie  string // raw Cookie header
		user    string // expected user, "" for anonymous
		cleared bool   // the response clears the session cookie
	}{
		{"empty value", "auth_session=", "", true},
		{"10 KB value", "auth_session=" + strings.Repeat("a", 10<<10), "", true},
		{"escaped NUL bytes", "auth_session=%00%00abc", "", true},
		{"raw NUL byte (dropped by the parser)", "auth_session=abc\x00def", "", false},
		{"control characters", "auth_session=abc\x01\x7f", "", false},
		{"quoted unknown token", `auth_session="abcdef"`, "", true},
		{"unicode", "auth_session=ünïcödé", "", false},
		{"unknown token", "auth_session=" + strings.Repeat("x", 40), "", true},
		{"good token among other cookies", "a=1; auth_session=" + good.Token + "; b=2", "ada", false},
		{"quoted good token", `auth_session="` + good.Token + `"`, "ada", false},
		{"no value, just the name", "auth_session", "", true},
		{"garbage header", ";;;===;; ;", "", false},
		{"10 KB of other cookies", "x=" + strings.Repeat("y", 10<<10), "", false},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "POST"} {
			req := httptest.NewRequest(method, "/whoami", nil)
			req.Header["Cookie"] = []string{tt.cookie}
			req.Header.Set("Origin", "http://"+req.Host)
			r := e.serve(req)
			if r.status != 200 {
				t.Errorf("%s (%s): %d %s", tt.name, method, r.status, r.body)
				continue
			}
			v := r.json(t)
			if tt.user == "" && v["anonymous"] != true || tt.user != "" && v["user"] != tt.user {
				t.Errorf("%s (%s): %s, want user %q", tt.name, method, r.body, tt.user)
			}
			c := r.sessionCookie("auth_session")
			if cleared := c != nil && c.MaxAge < 0; cleared != tt.cleared {
				t.Errorf("%s (%s): cleared = %v, want %v (%v)", tt.name, method, cleared, tt.cleared, r.header["Set-Cookie"])
			}
		}
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AllowedOrigins: []string{"https://app.example.com"}, AllowedSubdomains: []string{"api"}})
	tok := e.signInJar("ada")
	bob, err := e.signIn(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	anon := &http.Client{Timeout: 10 * time.Second}
	host := strings.TrimPrefix(e.srv.URL, "http://")
	// The client sends jar cookies for Request.Host: with another Host,
	// the cookie goes in by hand.
	cookie := "auth_session=" + tok

	tests := []struct {
		name    string
		client  *http.Client
		method  string
		headers []string
		want    int
		user    string // who the handler sees when it runs; "" for nobody
	}{
		{"same origin POST", e.client, "POST", []string{"Origin", e.srv.URL}, 200, "ada"},
		{"same host, other scheme", e.client, "POST", []string{"Origin", "https://" + host}, 403, ""},
		{"same origin DELETE", e.client, "DELETE", []string{"Origin", e.srv.URL}, 200, "ada"},
		{"foreign origin", e.client, "POST", []string{"Origin", "http://evil.example.com"}, 403, ""},
		{"foreign origin PUT", e.client, "PUT", []string{"Origin", "http://evil.example.com"}, 403, ""},
		{"foreign origin PATCH", e.client, "PATCH", []string{"Origin", "http://evil.example.com"}, 403, ""},
		{"same host, other port", e.client, "POST", []string{"Origin", "http://127.0.0.1:1"}, 403, ""},
		{"missing Origin", e.client, "POST", nil, 403, ""},
		{"Origin null", e.client, "POST", []string{"Origin", "null"}, 403, ""},
		{"malformed Origin", e.client, "POST", []string{"Origin", "::::"}, 403, ""},
		{"two Origin headers", e.client, "POST", []string{"Origin", e.srv.URL, "Origin", e.srv.URL}, 403, ""},
		{"host as a suffix is not a subdomain", e.client, "POST", []string{"Origin", "http://evil" + host}, 403, ""},
		{"allowed origin", e.client, "POST", []string{"Origin", "https://app.example.com"}, 200, "ada"},
		{"allowed origin, other scheme", e.client, "POST", []string{"Origin", "http://app.example.com"}, 403, ""},
		{"allowed subdomain", anon, "POST", []string{"Cookie", cookie, "Host", "auth.example.test", "Origin", "http://api.auth.example.test"}, 200, "ada"},
		{"allowed subdomain, other scheme", anon, "POST", []string{"Cookie", cookie, "Host", "auth.example.test", "Origin", "https://api.auth.example.test"}, 403, ""},
		{"other subdomain", anon, "POST", []string{"Cookie", cookie, "Host", "auth.example.test", "Origin", "https://www.auth.example.test"}, 403, ""},
		{"X-Forwarded-Host ignored unless trusted", e.client, "POST", []string{"Origin", "https://public.example.com", "X-Forwarded-Host", "public.example.com"}, 403, ""},
		{"an invalid cookie is checked too", anon, "POST", []string{"Cookie", "auth_session=nonsense", "Origin", "http://evil.example.com"}, 403, ""},
		{"GET skips the check", e.client, "GET", []string{"Origin", "http://evil.example.com"}, 200, "ada"},
		{"HEAD skips the check", e.client, "HEAD", []string{"Origin", "http://evil.example.com"}, 200, ""},
		{"OPTIONS skips the check", e.client, "OPTIONS", []string{"Origin", "http://evil.example.com"}, 200, "ada"},
		{"TRACE skips the check", e.client, "TRACE", []string{"Origin", "http://evil.example.com"}, 200, "ada"},
		{"bearer skips the check", anon, "POST", []string{"Authorization", "Bearer " + bob.Token, "Origin", "http://evil.example.com"}, 200, "bob"},
		{"bearer without Origin", anon, "POST", []string{"Authorization", "Bearer " + bob.Token}, 200, "bob"},
		{"no cookie, no session", anon, "POST", []string{"Origin", "http://evil.example.com"}, 200, ""},
		{"bearer does not excuse a cookie", e.client, "POST", []string{"Authorization", "Bearer " + bob.Token, "Origin", "http://evil.example.com"}, 403, ""},
	}
	for _, tt := range tests {
		before := e.calls.Load()
		r := e.doWith(tt.client, tt.method, "/whoami", tt.headers...)
		if r.status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.want)
			continue
		}
		reached := e.calls.Load() > before
		switch {
		case tt.want == 403:
			if code := r.errorCode(t); code != CodeInvalidOrigin {
				t.Errorf("%s: code %q", tt.name, code)
			}
			if reached {
				t.Errorf("%s: the handler ran despite the 403", tt.name)
			}
			if r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", tt.name, r.header.Get("Content-Type"))
			}
		case !reached:
			t.Errorf("%s: the handler did not run", tt.name)
		case tt.method == "HEAD": // no body to look at
		case tt.user == "" && r.json(t)["anonymous"] != true, tt.user != "" && r.json(t)["user"] != tt.user:
			t.Errorf("%s: the handler saw %s, want user %q", tt.name, r.body, tt.user)
		}
	}
}

func TestCheckOrigin(t *testing.T) {
	t.Parallel()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(o Options) *Manager {
		m, err := New(auth, o)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	plain := mk(Options{})
	anySub := mk(Options{AllowedSubdomains: []string{"*"}})
	named := mk(Options{AllowedSubdomains: []string{"api", "a.b"}, AllowedOrigins: []string{"https://App.Example.com:443", "http://localhost:5173"}})
	proxied := mk(Options{TrustForwardedHost: true})
	behind := mk(Options{TrustForwardedHost: true, TrustedProxies: TrustedProxies{netip.MustParsePrefix("10.0.0.0/8")}})
	based := mk(Options{BaseURL: "https://auth.example.com/base"})
	off := mk(Options{DisableCSRF: true})

	// host is the Host header; "https://" before it means the request came
	// over TLS. peer is RemoteAddr's host ("" for httptest's 192.0.2.1).
	tests := []struct {
		m      *Manager
		host   string
		origin string // "" for none
		fwd    string
		ok     bool
		proto  string // X-Forwarded-Proto
		peer   string
	}{
		{m: plain, host: "https://example.com", origin: "https://example.com", ok: true},
		{m: plain, host: "example.com", origin: "http://example.com", ok: true},
		{m: plain, host: "example.com", origin: "https://example.com", ok: false},        // http server, https page
		{m: plain, host: "https://example.com", origin: "http://example.com", ok: false}, // and the reverse
		{m: plain, host: "https://EXAMPLE.com", origin: "https://example.COM", ok: true},
		{m: plain, host: "example.com:8080", origin: "http://example.com:8080", ok: true},
		{m: plain, host: "example.com:8080", origin: "http://example.com", ok: false},
		{m: plain, host: "https://example.com", origin: "https://example.com:8443", ok: false},
		{m: plain, host: "https://example.com:443", origin: "https://example.com", ok: true},
		{m: plain, host: "[::1]:8080", origin: "http://[::1]:8080", ok: true},
		{m: plain, host: "example.com", origin: "https://api.example.com", ok: false},
		{m: plain, host: "example.com", origin: "https://example.com.evil.com", ok: false},
		{m: plain, host: "example.com", origin: "https://user@example.com", ok: false},
		{m: plain, host: "example.com", origin: "https://example.com/path", ok: false},
		{m: plain, host: "example.com", origin: "", ok: false},
		{m: plain, host: "", origin: "https://example.com", ok: false},
		{m: anySub, host: "https://example.com", origin: "https://api.example.com", ok: true},
		{m: anySub, host: "https://example.com", origin: "https://a.b.example.com", ok: true},
		{m: anySub, host: "example.com", origin: "https://a.b.example.com", ok: false},
		{m: anySub, host: "https://example.com", origin: "https://example.com", ok: true},
		{m: anySub, host: "https://example.com", origin: "https://evilexample.com", ok: false},
		{m: anySub, host: "https://auth.example.com", origin: "https://app.example.com", ok: false}, // a sibling, not a subdomain
		{m: named, host: "https://example.com", origin: "https://api.example.com", ok: true},
		{m: named, host: "https://example.com", origin: "https://a.b.example.com", ok: true},
		{m: named, host: "https://example.com", origin: "https://www.example.com", ok: false},
		{m: named, host: "example.com", origin: "https://app.example.com", ok: true},
		{m: named, host: "example.com", origin: "http://app.example.com", ok: false},
		{m: named, host: "example.com", origin: "http://localhost:5173", ok: true},
		{m: named, host: "example.com", origin: "http://localhost:5174", ok: false},
		{m: named, host: "example.com", origin: "https://app.example.com:443", ok: true},
		{m: named, host: "example.com", origin: "https://app.example.com:8443", ok: false},
		{m: plain, host: "internal:8080", origin: "https://public.example.com", fwd: "public.example.com", ok: false},
		{m: proxied, host: "internal:8080", origin: "https://public.example.com", fwd: "public.example.com", proto: "https", ok: true},
		{m: proxied, host: "internal:8080", origin: "https://public.example.com", fwd: "public.example.com, internal:8080", proto: "https, http", ok: true},
		{m: proxied, host: "internal:8080", origin: "https://public.example.com", fwd: "public.example.com", ok: false}, // the proxy said nothing of TLS
		{m: proxied, host: "internal:8080", origin: "https://evil.example.com", fwd: "public.example.com", proto: "https", ok: false},
		{m: proxied, host: "https://public.example.com", origin: "https://public.example.com", ok: true},
		{m: behind, host: "internal:8080", origin: "https://public.example.com", fwd: "public.example.com", proto: "https", peer: "10.1.2.3", ok: true},
		{m: behind, host: "internal:8080", origin: "https://public.example.com", fwd: "public.example.com", proto: "https", peer: "192.0.2.9", ok: false}, // not from the proxy
		{m: behind, host: "internal:8080", origin: "http://internal:8080", fwd: "public.example.com", proto: "https", peer: "192.0.2.9", ok: true},
		{m: based, host: "internal:8080", origin: "https://auth.example.com", ok: true},
		{m: based, host: "auth.example.com", origin: "http://auth.example.com", ok: false},
		{m: based, host: "evil.example", origin: "https://evil.example", ok: false},
		{m: off, host: "example.com", origin: "https://evil.example.com", ok: true},
		{m: off, host: "example.com", origin: "", ok: true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		host, secure := strings.CutPrefix(tt.host, "https://")
		r.Host = host
		if secure {
			r.TLS = &tls.ConnectionState{}
		}
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if tt.fwd != "" {
			r.Header.Set("X-Forwarded-Host", tt.fwd)
		}
		if tt.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		if tt.peer != "" {
			r.RemoteAddr = tt.peer + ":4711"
		}
		err := tt.m.CheckOrigin(r)
		if (err == nil) != tt.ok {
			t.Errorf("host %q origin %q forwarded %q %q from %q: CheckOrigin = %v, want ok=%v", tt.host, tt.origin, tt.fwd, tt.proto, tt.peer, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidOrigin) {
			t.Errorf("error %v does not match ErrInvalidOrigin", err)
		}
	}
}

func TestStoreFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	e.signInJar("ada")
	e.store.fail.Store(true)
	for _, path := range []string{"/whoami", "/private"} {
		before := e.calls.Load()
		r := e.do("GET", path)
		if r.status != http.StatusServiceUnavailable || r.errorCode(t) != CodeStoreUnavailable {
			t.Fatalf("%s with a failing store: %d %s", path, r.status, r.body)
		}
		if strings.Contains(r.body, "10.1.2.3") || strings.Contains(r.body, "internal-detail") {
			t.Errorf("the store's error reached the client: %s", r.body)
		}
		if e.calls.Load() != before {
			t.Errorf("%s: the handler ran", path)
		}
		if len(r.cookies) != 0 {
			t.Errorf("%s: the cookie was touched on a store failure: %v", path, r.header["Set-Cookie"])
		}
	}
	if !strings.Contains(e.logs.String(), "session lookup failed") || !strings.Contains(e.logs.String(), "internal-detail") {
		t.Errorf("the failure was not logged: %q", e.logs.String())
	}
	// Without a token there is nothing to look up: anonymous requests still work.
	if r := e.doWith(&http.Client{}, "GET", "/whoami"); r.status != 200 {
		t.Errorf("anonymous request with a failing store: %d", r.status)
	}
	e.store.fail.Store(false)
	if r := e.do("GET", "/private"); r.status != 200 {
		t.Fatalf("after the store recovered: %d %s (the cookie must have survived)", r.status, r.body)
	}
}

// TestNesting: Require works alone or inside Middleware, and the session is
// looked up once however the two are stacked.
func TestNesting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	s, err := e.signIn(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := FromContext(r.Context())
		WriteJSON(w, 200, map[string]string{"user": s.User.ID})
	})
	stacks := map[string]http.Handler{
		"Require alone":                   e.m.Require(ok),
		"Middleware(Require)":             e.m.Middleware(e.m.Require(ok)),
		"Middleware(Middleware(Require))": e.m.Middleware(e.m.Middleware(e.m.Require(ok))),
	}
	for name, h := range stacks {
		before := e.store.lookups.Load()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ada"`) {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
		if n := e.store.lookups.Load() - before; n != 1 {
			t.Errorf("%s: %d store lookups, want 1", name, n)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s without a session: %d %v", name, rec.Code, rec.Header())
		}
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	if _, ok := FromContext(context.Background()); ok {
		t.Error("FromContext(Background) found a session")
	}
	s := latch.Session{ID: "sid", UserID: "u"}
	got, ok := FromContext(NewContext(context.Background(), s))
	if !ok || got.ID != "sid" {
		t.Errorf("FromContext(NewContext(s)) = %+v, %v", got, ok)
	}
}

func TestSessionToken(t *testing.T) {
	t.Parallel()
	auth, _ := latch.New(latch.Config{Store: memory.New()})
	m, _ := New(auth, Options{CookieName: "sid"})
	tests := []struct {
		headers    map[string][]string
		token      string
		fromCookie bool
	}{
		{nil, "", false},
		{map[string][]string{"Cookie": {"sid=abc"}}, "abc", true},
		{map[string][]string{"Cookie": {"sid="}}, "", true},
		{map[string][]string{"Cookie": {"auth_session=abc"}}, "", false},
		{map[string][]string{"Authorization": {"Bearer xyz"}}, "xyz", false},
		{map[string][]string{"Authorization": {"Bearer xyz=="}}, "xyz==", false},
		{map[string][]string{"Authorization": {"Bearer =="}}, "", false},
		{map[string][]string{"Authorization": {"Bearer xyz"}, "Cookie": {"sid=abc"}}, "xyz", false},
		{map[string][]string{"Authorization": {"Basic xyz"}, "Cookie": {"sid=abc"}}, "abc", true},
		{map[string][]string{"Authorization": {"Bearer a", "Bearer b"}}, "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		for k, v := range tt.headers {
			r.Header[k] = v
		}
		tok, fromCookie := m.SessionToken(r)
		if tok != tt.token || fromCookie != tt.fromCookie {
			t.Errorf("SessionToken(%v) = %q, %v; want %q, %v", tt.headers, tok, fromCookie, tt.token, tt.fromCookie)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteError(rec, http.StatusConflict, "DUPLICATE", `the <email> "is" taken`)
	if rec.Code != 409 || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("WriteError: %d %v", rec.Code, rec.Header())
	}
	if want := `{"error":{"code":"DUPLICATE","message":"the \u003cemail\u003e \"is\" taken"}}` + "\n"; rec.Body.String() != want {
		t.Errorf("WriteError body = %q, want %q", rec.Body.String(), want)
	}

	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]int{"n": 1})
	if rec.Code != 201 || rec.Body.String() != `{"n":1}`+"\n" {
		t.Errorf("WriteJSON: %d %q", rec.Code, rec.Body.String())
	}

	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusNoContent, nil)
	if rec.Code != 204 || rec.Body.Len() != 0 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("WriteJSON 204: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}

	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, map[string]any{"bad": math.Inf(1)})
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"INTERNAL_ERROR"`) {
		t.Errorf("WriteJSON of an unencodable value: %d %q", rec.Code, rec.Body.String())
	}
}
