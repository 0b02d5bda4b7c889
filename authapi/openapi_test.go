package authapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/openapitest"
	"github.com/latchauth/latch/store/memory"
)

// TestOpenAPIServed: GET /api/auth/openapi.json is the document in the
// repository, JSON, cacheable with an ETag, and readable cross-origin by
// the trusted origins like the rest of the API.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	e := newCORSEnv(t)
	r := e.api().withOrigin(trustedOrigin).do("GET", "/api/auth/openapi.json", nil)
	if r.status != http.StatusOK {
		t.Fatalf("openapi.json: %d %s", r.status, r.raw)
	}
	if !bytes.Equal(r.raw, authapi.OpenAPI()) {
		t.Error("the served document is not authapi.OpenAPI()")
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") || strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	wantCORS(t, "openapi.json", r, trustedOrigin)
	if v := r.str("openapi"); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", v)
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := e.api().do("GET", "/api/auth/openapi.json", nil, "If-None-Match", etag); r.status != http.StatusNotModified {
		t.Errorf("revalidation: %d", r.status)
	}
	wantCORS(t, "openapi.json to another origin", e.api().withOrigin(otherOrigin).do("GET", "/api/auth/openapi.json", nil), "")
	e.api().do("POST", "/api/auth/openapi.json", nil).want(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

// TestOpenAPICompleteness: every API route the handler's mux serves (with
// OAuth and the dev outbox on) is in the document with each of its
// methods, and every path the document gives to authapi is served.
func TestOpenAPICompleteness(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, memory.New())
	c, err := openapitest.New(authapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	doc := c.Paths()
	served := e.h.ServedRoutes()
	if len(served) < 30 {
		t.Fatalf("only %d routes served: %v", len(served), served)
	}
	for pattern, methods := range served {
		if c.Pending(pattern) {
			continue // listed in "x-latch-not-yet-documented"
		}
		info, ok := doc[pattern]
		for _, m := range methods {
			if !ok || !slices.Contains(info.Methods, m) {
				t.Errorf("the mux serves %s %s, which %s does not document: add \"%s\" under \"paths\".%q there, "+
					"with its parameters, request body, security and every response status it can send (errors with their codes)",
					m, pattern, openapitest.File, strings.ToLower(m), pattern)
			}
		}
	}
	for path, info := range doc {
		if info.ServedBy != "" {
			continue // latchd's own routes: checked in cmd/latchd
		}
		for _, m := range info.Methods {
			if !slices.Contains(served[path], m) {
				t.Errorf("%s documents %s %s, which the authapi mux does not serve: remove it, or mark its path item "+
					"\"x-latch-served-by\" with the server that serves it", openapitest.File, m, path)
			}
		}
	}
}

// TestOpenAPIDocument: the document's own promises: every operation has an
// id, a tag and a success response, and every error response lists its
// codes.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(authapi.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if strings.HasPrefix(method, "x-") || method == "parameters" {
				continue
			}
			var op struct {
				OperationID string                     `json:"operationId"`
				Tags        []string                   `json:"tags"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			where := method + " " + path
			if op.OperationID == "" || len(op.Tags) == 0 {
				t.Errorf("%s: operationId and tags are required", where)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q is also %s", where, op.OperationID, other)
			}
			ids[op.OperationID] = where
			success := false
			for status, resp := range op.Responses {
				success = success || status[0] == '2' || status[0] == '3'
				if status[0] == '4' || status[0] == '5' {
					if !bytes.Contains(resp, []byte(`"$ref"`)) && !bytes.Contains(resp, []byte(`"enum"`)) && path != "/readyz" {
						t.Errorf("%s: response %s lists no error codes", where, status)
					}
				}
			}
			if !success {
				t.Errorf("%s: no success response", where)
			}
		}
	}
}
