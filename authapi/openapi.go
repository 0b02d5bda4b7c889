package authapi

import (
	"bytes"
	_ "embed"
	"net/http"
	"time"
)

// openAPIDoc is the OpenAPI 3.1 document of the JSON API. It is kept by
// hand; the API tests check every exchange they make against it
// (internal/openapitest), so it cannot drift from the code.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3.1 document of the JSON API (JSON), the one
// served at GET /api/auth/openapi.json: to generate a client, or to check
// one's own calls against it.
func OpenAPI() []byte { return bytes.Clone(openAPIDoc) }

// serveOpenAPI answers GET /api/auth/openapi.json, cached an hour and
// revalidated by ETag like client.js; CORS headers come from the cors
// middleware, so the trusted origins can read it.
func (h *Handler) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=3600")
	hd.Set("ETag", h.openAPI.etag)
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(h.openAPI.body))
	return nil
}
