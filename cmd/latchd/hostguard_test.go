package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHostGuard: in dev only the base URL's Host and loopback names are
// answered (DNS rebinding), in prod with --base-url only its Host, with
// the probes exempt; prod over https sends HSTS.
func TestHostGuard(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	proxies, err := (&options{trustedProxies: "10.0.0.0/8"}).proxies()
	if err != nil {
		t.Fatal(err)
	}
	mk := func(env, baseFlag, base string) http.Handler {
		h, err := newHostGuard(ok, &options{env: env, baseURL: baseFlag}, base, proxies)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	dev := mk("dev", "", "http://localhost:8080")
	devNamed := mk("dev", "http://myapp.test:8080", "http://myapp.test:8080")
	prod := mk("prod", "https://auth.example.com", "https://auth.example.com")
	prodUnset := mk("prod", "", "http://localhost:8080")
	tests := []struct {
		name       string
		h          http.Handler
		host, path string
		peer, xfh  string
		want       int
	}{
		{"dev, base host", dev, "localhost:8080", "/", "", "", 418},
		{"dev, 127.0.0.1", dev, "127.0.0.1:8080", "/dev/outbox", "", "", 418},
		{"dev, [::1]", dev, "[::1]:8080", "/", "", "", 418},
		{"dev, a .localhost name", dev, "app.localhost:8080", "/", "", "", 418},
		{"dev, rebinding name", dev, "evil.example:8080", "/dev/outbox", "", "", 421},
		{"dev, rebinding name on the API", dev, "evil.example", "/api/dev/outbox", "", "", 421},
		{"dev, localhost lookalike", dev, "localhost.evil.example:8080", "/", "", "", 421},
		{"dev, named base", devNamed, "myapp.test:8080", "/", "", "", 418},
		{"dev, named base, loopback", devNamed, "localhost:8080", "/", "", "", 418},
		{"dev, named base, other", devNamed, "other.test:8080", "/", "", "", 421},
		{"prod, base host", prod, "auth.example.com", "/", "", "", 418},
		{"prod, base host with its port", prod, "AUTH.example.com:443", "/", "", "", 418},
		{"prod, other host", prod, "evil.example", "/", "", "", 421},
		{"prod, loopback is not enough", prod, "localhost", "/", "", "", 421},
		{"prod, health probe by IP", prod, "10.1.2.3:8080", "/healthz", "", "", 418},
		{"prod, readiness probe by IP", prod, "10.1.2.3:8080", "/readyz", "", "", 418},
		{"prod, proxy names the host", prod, "internal:8080", "/", "10.0.0.5", "auth.example.com", 418},
		{"prod, non-proxy cannot", prod, "internal:8080", "/", "192.0.2.5", "auth.example.com", 421},
		{"prod without --base-url", prodUnset, "anything.example", "/", "", "", 418},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://x"+tt.path, nil)
		r.Host = tt.host
		if tt.peer != "" {
			r.RemoteAddr = tt.peer + ":4000"
		}
		if tt.xfh != "" {
			r.Header.Set("X-Forwarded-Host", tt.xfh)
		}
		w := httptest.NewRecorder()
		tt.h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, w.Code, tt.want)
		}
		if w.Code == 421 && !strings.Contains(w.Body.String(), `"MISDIRECTED_HOST"`) {
			t.Errorf("%s: body %s", tt.name, w.Body)
		}
		hsts := w.Header().Get("Strict-Transport-Security")
		if wantHSTS := tt.h == prod; (hsts != "") != wantHSTS {
			t.Errorf("%s: Strict-Transport-Security %q", tt.name, hsts)
		}
	}
}

// TestListenDefaults: dev listens on loopback unless told otherwise;
// --trust-proxy is loopback proxies.
func TestListenDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ env, addr, want string }{
		{"dev", "", "127.0.0.1:8080"}, {"prod", "", ":8080"}, {"dev", ":9000", ":9000"},
	} {
		if got := (&options{env: tc.env, addr: tc.addr}).listenAddr(); got != tc.want {
			t.Errorf("env %s addr %q: listens on %q, want %q", tc.env, tc.addr, got, tc.want)
		}
	}
	p, err := (&options{trustProxy: true}).proxies()
	if err != nil || len(p) != 2 || !p.FromProxy(&http.Request{RemoteAddr: "127.0.0.1:1"}) || p.FromProxy(&http.Request{RemoteAddr: "192.0.2.1:1"}) {
		t.Errorf("--trust-proxy: %v %v", p, err)
	}
	if err := (&options{env: "dev", schema: "", logFormat: "text", trustedProxies: "10.0.0.0/99", pwnedURL: "off"}).validate(); err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
		t.Errorf("a bad --trusted-proxies: %v", err)
	}
}

// from returns a client whose connections leave from the loopback address
// ip (the whole of 127.0.0.0/8 is this machine).
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// TestTrustedProxies runs latchd behind a "proxy" at 127.0.0.2: a client
// at 127.0.0.3 that sets its own X-Forwarded-For is still throttled as
// 127.0.0.3; requests through the proxy count against the address it
// reports; and 127.0.0.4 is not throttled for 127.0.0.3's probes.
func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	s := start(t, t.TempDir(), "LATCH_TRUSTED_PROXIES=127.0.0.2/32")
	signUp := func(c *http.Client, xff string) int {
		t.Helper()
		hdr := []string{}
		if xff != "" {
			hdr = append(hdr, "X-Forwarded-For", xff)
		}
		st, _ := call(t, c, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": "taken@example.com", "password": "proxy password"}, hdr...)
		return st
	}
	if st := signUp(from("127.0.0.5"), ""); st != 201 {
		t.Fatalf("first sign-up: %d", st)
	}
	direct := from("127.0.0.3")
	throttled := false
	for i := range 20 {
		st := signUp(direct, fmt.Sprintf("198.51.100.%d", i)) // forged: ignored
		if st == 429 {
			throttled = true
			break
		}
		if st != 409 {
			t.Fatalf("probe %d from 127.0.0.3: %d", i, st)
		}
	}
	if !throttled {
		t.Fatal("20 sign-up probes from 127.0.0.3 with forged X-Forwarded-For were not throttled")
	}
	if st := signUp(from("127.0.0.4"), ""); st != 409 {
		t.Errorf("127.0.0.4 after 127.0.0.3 was throttled: %d, want 409", st)
	}
	proxy := from("127.0.0.2")
	for i := range 20 {
		if st := signUp(proxy, fmt.Sprintf("127.0.0.3, 203.0.113.%d", i)); st != 409 {
			t.Fatalf("probe %d through the proxy for 203.0.113.%d: %d, want 409 (its own allowance)", i, i, st)
		}
	}
	if st := signUp(proxy, "127.0.0.3"); st != 429 {
		t.Errorf("through the proxy for 127.0.0.3: %d, want 429", st)
	}
}
