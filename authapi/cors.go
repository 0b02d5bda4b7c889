package authapi

import (
	"net/http"
	"strings"
)

// corsMaxAge is how long, in seconds, a browser may keep a preflight's
// answer (Chromium keeps at most 2 hours).
const corsMaxAge = "600"

// corsAllowHeaders are the request headers the JSON API reads.
const corsAllowHeaders = "Authorization, Content-Type"

// corsExposeHeaders are the response headers a cross-origin script may
// read besides the simple ones: the wait of a 429 or 503, the request id
// a client may show with an error, and the one-time token of
// Config.SetOTTHeaderOnNewSession.
const corsExposeHeaders = "Retry-After, X-Request-Id, " + SetOTTHeader

// corsPath reports whether CORS applies to a path: the JSON API only.
// Pages, the dev outbox (/api/dev) and anything else never answer
// another origin.
func corsPath(path string) bool { return strings.HasPrefix(path, "/api/auth/") }

// cors adds the CORS headers to every answer of the JSON API to an origin
// in httpauth.Options.CORSOrigins, errors of the session middleware
// included, so that the page can read the error's code. Other origins get
// no CORS header at all; the answers vary by Origin for caches.
func (h *Handler) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if corsPath(r.URL.Path) {
			hd := w.Header()
			hd.Add("Vary", "Origin")
			if origin := h.sessions.CORSOrigin(r); origin != "" {
				hd.Set("Access-Control-Allow-Origin", origin)
				hd.Set("Access-Control-Allow-Credentials", "true")
				hd.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers a CORS preflight (OPTIONS with
// Access-Control-Request-Method) from a trusted origin with the methods of
// the path, and reports whether it did. Preflights from other origins are
// left to the usual 405, which the browser takes as a refusal.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, allow []string) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" ||
		!corsPath(r.URL.Path) || h.sessions.CORSOrigin(r) == "" {
		return false
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Methods", strings.Join(allow, ", "))
	hd.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	hd.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}
