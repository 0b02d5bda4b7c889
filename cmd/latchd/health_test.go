package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/openapitest"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	ok := func(context.Context) error { return nil }
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name, method, path, host string
		checks                   []healthCheck
		status                   int
		body                     map[string]any
	}{
		{"live", "GET", "/healthz", "10.1.2.3:8080", nil, 200, map[string]any{"status": "ok"}},
		{"live HEAD", "HEAD", "/healthz", "", nil, 200, nil},
		{"live POST", "POST", "/healthz", "", nil, 405, map[string]any{"error": map[string]any{"code": "METHOD_NOT_ALLOWED", "message": "use GET or HEAD"}}},
		{"ready PUT", "PUT", "/readyz", "", nil, 405, map[string]any{"error": map[string]any{"code": "METHOD_NOT_ALLOWED", "message": "use GET or HEAD"}}},
		{"ready", "GET", "/readyz", "10.1.2.3", []healthCheck{{"database", ok}, {"outbox", ok}}, 200,
			map[string]any{"status": "ok", "checks": map[string]any{"database": "ok", "outbox": "ok"}}},
		{"redis down", "GET", "/readyz", "", []healthCheck{{"database", ok}, {"redis", func(context.Context) error { return down }}}, 503,
			map[string]any{"status": "unavailable", "failing": []any{"redis"}, "checks": map[string]any{"database": "ok", "redis": "error"}}},
		{"database hangs", "GET", "/readyz", "", []healthCheck{{"database", hang}, {"outbox", hang}, {"redis", ok}}, 503,
			map[string]any{"status": "unavailable", "failing": []any{"database", "outbox"}, "checks": map[string]any{"database": "timeout", "outbox": "timeout", "redis": "ok"}}},
		{"other paths pass", "GET", "/api/auth/session", "", nil, http.StatusTeapot, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			rec := httptest.NewRecorder()
			withHealth(next, tt.checks, log).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != http.StatusTeapot { // the stand-in for the rest of the server
				doc, err := apiDoc()
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range doc.Check(req, nil, rec.Result(), rec.Body.Bytes()) {
					t.Errorf("OpenAPI document: %s", p)
				}
			}
			if tt.body == nil {
				return
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.body) {
				t.Errorf("body %v, want %v", got, tt.body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Error("health answers must not be cached")
			}
		})
	}
}

// TestReadyzOnLatchd: the probe of a running latchd asks its database and
// outbox and answers whatever the Host.
func TestReadyzOnLatchd(t *testing.T) {
	t.Parallel()
	s := start(t, t.TempDir())
	req, _ := http.NewRequest("GET", s.url+"/readyz", nil)
	req.Host = "10.0.0.7:8080" // a probe by pod IP
	res, err := checked(t, http.DefaultClient).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || body.Status != "ok" || body.Checks["database"] != "ok" || body.Checks["outbox"] != "ok" {
		t.Errorf("GET /readyz = %d %+v, want 200 with database and outbox ok", res.StatusCode, body)
	}
	// latchd serves the OpenAPI document the authapi handler embeds.
	res, err = checked(t, http.DefaultClient).Get(s.url + "/api/auth/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(doc, authapi.OpenAPI()) {
		t.Errorf("GET /api/auth/openapi.json = %d, %d bytes; want 200 and authapi.OpenAPI()", res.StatusCode, len(doc))
	}
	s.stop(t)
}

// TestHealthDocumented: the paths the OpenAPI document gives to latchd are
// the ones withHealth answers, with each documented method.
func TestHealthDocumented(t *testing.T) {
	t.Parallel()
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := withHealth(next, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	seen := map[string]bool{}
	for path, info := range doc.Paths() {
		if info.ServedBy != "latchd" {
			continue
		}
		for _, m := range info.Methods {
			seen[m+" "+path] = true
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(m, path, nil))
			if rec.Code == http.StatusTeapot {
				t.Errorf("%s documents %s %s as latchd's, but latchd does not serve it", openapitest.File, m, path)
			}
		}
	}
	if !seen["GET /healthz"] || !seen["GET /readyz"] {
		t.Errorf("latchd's operations in the document: %v; want GET /healthz and GET /readyz (the admin API is \"x-latch-served-by\": \"latchd-admin\")", seen)
	}
}
