package httpauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// TestRequireAAL: no session 401, an AAL 1 session 403 AAL2_REQUIRED (a
// browser asking for a page: the sign-in redirect), an AAL 2 session
// passes.
func TestRequireAAL(t *testing.T) {
	t.Parallel()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(auth, Options{BaseURL: "http://127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := auth.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID, AMR: []string{"pwd"}})
	if err != nil {
		t.Fatal(err)
	}
	two, err := auth.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID, AMR: []string{"pwd", "otp", "mfa"}})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	api := m.RequireAAL2(ok)
	pages := m.RequireAAL(2, AALOptions{SignInURL: "/sign-in"})(ok)
	for _, tt := range []struct {
		name    string
		h       http.Handler
		token   string
		accept  string
		status  int
		code    string
		locates string
	}{
		{"no session", api, "", "", 401, CodeUnauthorized, ""},
		{"AAL 1", api, one.Token, "", 403, CodeAAL2Required, ""},
		{"AAL 2", api, two.Token, "", http.StatusTeapot, "", ""},
		{"AAL 1, page", pages, one.Token, "text/html", http.StatusSeeOther, "", "/sign-in?next=%2Fadmin%3Fx%3D1"},
		{"AAL 1, JSON on the page route", pages, one.Token, "application/json", 403, CodeAAL2Required, ""},
		{"AAL 2, page", pages, two.Token, "text/html", http.StatusTeapot, "", ""},
	} {
		r := httptest.NewRequest("GET", "/admin?x=1", nil)
		if tt.token != "" {
			r.Header.Set("Authorization", "Bearer "+tt.token)
		}
		if tt.accept != "" {
			r.Header.Set("Accept", tt.accept)
		}
		w := httptest.NewRecorder()
		tt.h.ServeHTTP(w, r)
		if w.Code != tt.status || w.Header().Get("Location") != tt.locates {
			t.Errorf("%s: %d Location %q, want %d %q", tt.name, w.Code, w.Header().Get("Location"), tt.status, tt.locates)
		}
		if tt.code != "" {
			var body struct{ Error struct{ Code string } }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tt.code {
				t.Errorf("%s: body %s, want code %s", tt.name, w.Body, tt.code)
			}
		}
	}
}

// TestHelperCookie: a helper cookie is HttpOnly with the session cookie's
// Secure and SameSite, and "__Host-" where the session cookie could be.
func TestHelperCookie(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env    latch.Env
		domain string
		name   string
		secure bool
	}{
		{latch.EnvDev, "", "pending", false},
		{latch.EnvProd, "", "__Host-pending", true},
		{latch.EnvProd, "example.com", "pending", true},
	} {
		auth, err := latch.New(latch.Config{Store: memory.New(), Env: tt.env})
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(auth, Options{BaseURL: "https://auth.example.com", CookieDomain: tt.domain, SameSite: http.SameSiteStrictMode})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		m.SetCookie(w, "pending", "v4lue", 300e9)
		set := w.Header().Get("Set-Cookie")
		for _, want := range []string{tt.name + "=v4lue", "Path=/", "Max-Age=300", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(set, want) {
				t.Errorf("%v %q: Set-Cookie %q lacks %q", tt.env, tt.domain, set, want)
			}
		}
		if strings.Contains(set, "Secure") != tt.secure || strings.Contains(set, "Domain=") {
			t.Errorf("%v %q: Set-Cookie %q", tt.env, tt.domain, set)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: tt.name, Value: "v4lue"})
		if got := m.Cookie(r, "pending"); got != "v4lue" {
			t.Errorf("Cookie = %q", got)
		}
		w = httptest.NewRecorder()
		m.ClearCookie(w, "pending")
		if set := w.Header().Get("Set-Cookie"); !strings.Contains(set, tt.name+"=;") || !strings.Contains(set, "Max-Age=0") {
			t.Errorf("ClearCookie: %q", set)
		}
	}
}
