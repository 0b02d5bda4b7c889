package authapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// clientJS is the JavaScript client (static/client.js, embedded with the
// pages' assets) with the ETag it is served with.
type clientJS struct {
	body []byte
	etag string
}

func loadClientJS() (clientJS, error) {
	b, err := assets.ReadFile("static/client.js")
	if err != nil {
		return clientJS{}, err
	}
	sum := sha256.Sum256(b)
	return clientJS{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
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
