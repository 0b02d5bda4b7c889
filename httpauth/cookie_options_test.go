package httpauth

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

func TestCookieSameSiteAndPath(t *testing.T) {
	t.Parallel()
	auth, err := latch.New(latch.Config{Store: memory.New()}) // prod: Secure
	if err != nil {
		t.Fatal(err)
	}
	s := latch.Session{Token: "tok123", IdleExpires: auth.Now().Add(time.Hour)}
	for _, tt := range []struct {
		opts     Options
		sameSite http.SameSite
		raw      string
		path     string
	}{
		{Options{}, http.SameSiteLaxMode, "SameSite=Lax", "/"},
		{Options{SameSite: http.SameSiteLaxMode}, http.SameSiteLaxMode, "SameSite=Lax", "/"},
		{Options{SameSite: http.SameSiteStrictMode}, http.SameSiteStrictMode, "SameSite=Strict", "/"},
		{Options{SameSite: http.SameSiteNoneMode}, http.SameSiteNoneMode, "SameSite=None", "/"},
		{Options{CookiePath: "/app"}, http.SameSiteLaxMode, "SameSite=Lax", "/app"},
	} {
		m, err := New(auth, tt.opts)
		if err != nil {
			t.Fatalf("New(%+v): %v", tt.opts, err)
		}
		rec := httptest.NewRecorder()
		m.SetSessionCookie(rec, s)
		c := rec.Result().Cookies()[0]
		if c.SameSite != tt.sameSite || !strings.Contains(c.Raw, tt.raw) || c.Path != tt.path || !c.Secure {
			t.Errorf("%+v: Set-Cookie %s", tt.opts, c.Raw)
		}
		// Clearing uses the same path, or the browser keeps the cookie.
		rec = httptest.NewRecorder()
		m.ClearSessionCookie(rec)
		if c := rec.Result().Cookies()[0]; c.Path != tt.path || c.MaxAge >= 0 {
			t.Errorf("%+v: clearing Set-Cookie %s", tt.opts, c.Raw)
		}
	}

	dev, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(dev, Options{SameSite: http.SameSiteNoneMode})
	if err == nil || !strings.Contains(err.Error(), "Options.SameSite None needs Secure") {
		t.Errorf("SameSite None without Secure: %v", err)
	}
	if _, err := New(dev, Options{SameSite: http.SameSiteNoneMode, Secure: new(true)}); err != nil {
		t.Errorf("SameSite None with Secure in dev: %v", err)
	}
	for _, o := range []Options{
		{SameSite: http.SameSiteDefaultMode},
		{SameSite: 42},
		{CookiePath: "app"},
		{CookiePath: "/a;b"},
		{CookieName: "__Host-s", CookiePath: "/app"},
		{PreviousCookieNames: []string{"bad name"}},
		{PreviousCookieNames: []string{DefaultCookieName}},
	} {
		if _, err := New(auth, o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}

// TestPreviousCookieName: moving the cookie from auth_session to
// __Host-auth_session signs nobody out. A request with only the old cookie
// is served with its session, and the answer sets the new cookie and
// clears the old; an old cookie naming no session is cleared.
func TestPreviousCookieName(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, Options{
		CookieName: "__Host-auth_session", PreviousCookieNames: []string{DefaultCookieName}, Secure: new(true),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	s, err := e.signIn(t.Context(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/whoami", nil)
	req.Header.Set("Origin", "http://"+req.Host)
	req.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: s.Token})
	r := e.serve(req)
	if v := r.json(t); v["user"] != "ada" {
		t.Fatalf("whoami with the old cookie: %s", r.body)
	}
	nc, oc := r.sessionCookie("__Host-auth_session"), r.sessionCookie(DefaultCookieName)
	if nc == nil || nc.Value != s.Token || !nc.Secure || nc.Path != "/" || nc.Domain != "" {
		t.Errorf("new cookie: %v", r.header["Set-Cookie"])
	}
	if oc == nil || oc.MaxAge >= 0 || oc.Value != "" {
		t.Errorf("old cookie not cleared: %v", r.header["Set-Cookie"])
	}
	if !strings.Contains(logs.String(), "previous cookie name") || strings.Contains(logs.String(), s.Token) {
		t.Errorf("debug log: %s", logs.String())
	}

	// The Origin check covers the old cookie too.
	req = httptest.NewRequest("POST", "/whoami", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: s.Token})
	if r := e.serve(req); r.status != http.StatusForbidden {
		t.Errorf("cross-site post with the old cookie: %d", r.status)
	}

	// The new name wins over the old one.
	req = httptest.NewRequest("GET", "/whoami", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-auth_session", Value: s.Token})
	req.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: "stale"})
	if r := e.serve(req); r.json(t)["user"] != "ada" || len(r.cookies) != 0 {
		t.Errorf("both cookies: %s %v", r.body, r.header["Set-Cookie"])
	}

	req = httptest.NewRequest("GET", "/whoami", nil)
	req.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: "no-such-session-token-value"})
	r = e.serve(req)
	if oc := r.sessionCookie(DefaultCookieName); r.json(t)["anonymous"] != true || oc == nil || oc.MaxAge >= 0 {
		t.Errorf("dead old cookie: %s %v", r.body, r.header["Set-Cookie"])
	}
}
