package authapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// cachedFile is an embedded file the API serves as is (the JavaScript
// client, the OpenAPI document) with the ETag it is served with.
type cachedFile struct {
	body []byte
	etag string
}

func newCachedFile(b []byte) cachedFile {
	sum := sha256.Sum256(b)
	return cachedFile{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

func loadClientJS() (cachedFile, error) {
	b, err := assets.ReadFile("static/client.js")
	if err != nil {
		return cachedFile{}, err
	}
	return newCachedFile(b), nil
}

// serveClientJS answers GET /api/auth/client.js: the ES module, cached an
// hour and revalidated by ETag, so that an upgrade of the server reaches
// the pages within the hour. CORS headers come from the cors middleware, as
// for the rest of the API, so only the trusted origins can import it.
func (h *Handler) serveClientJS(w http.ResponseWriter, r *http.Request) error {
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=3600")
	hd.Set("ETag", h.client.etag)
	http.ServeContent(w, r, "client.js", time.Time{}, bytes.NewReader(h.client.body))
	return nil
}
