package httpauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrInvalidOrigin is returned (wrapped, with the reason) by CheckOrigin.
var ErrInvalidOrigin = errors.New("httpauth: request origin not allowed")

// maxOriginLength bounds the Origin header we parse; real ones are short.
const maxOriginLength = 2048

// CheckOrigin reports whether r's Origin header is allowed: present once,
// and naming the request's own host (compared as host:port, whatever the
// scheme, as Lucia v2 does), an allowed origin, or an allowed subdomain of
// the host. It returns nil when allowed or when Options.DisableCSRF is
// set, and an error matching ErrInvalidOrigin otherwise.
//
// It looks only at the headers: the middleware calls it for requests that
// carry the session cookie and may change state (every method but GET,
// HEAD, OPTIONS and TRACE); form handlers may call it for any post, signed
// in or not, against login CSRF.
func (m *Manager) CheckOrigin(r *http.Request) error {
	if m.disableCSRF {
		return nil
	}
	vals := r.Header.Values("Origin")
	switch {
	case len(vals) == 0 || vals[0] == "":
		return fmt.Errorf("%w: no Origin header", ErrInvalidOrigin)
	case len(vals) > 1:
		return fmt.Errorf("%w: more than one Origin header", ErrInvalidOrigin)
	case len(vals[0]) > maxOriginLength || vals[0] == "null":
		return fmt.Errorf("%w: opaque or malformed Origin", ErrInvalidOrigin)
	}
	u, err := url.Parse(vals[0])
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%w: malformed Origin", ErrInvalidOrigin)
	}
	originHost := strings.ToLower(u.Host)
	host := strings.ToLower(m.requestHost(r))
	switch {
	case host != "" && originHost == host:
		return nil
	case m.origins[originKey(u.Scheme, originHost)]:
		return nil
	case host != "" && m.anySubdomain && strings.HasSuffix(originHost, "."+host):
		return nil
	}
	if host != "" {
		for _, s := range m.subdomains {
			if originHost == s+"."+host {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: Origin does not match the host", ErrInvalidOrigin)
}

// requestHost is the host (with port, if any) the client addressed.
func (m *Manager) requestHost(r *http.Request) string {
	if m.trustForwardedHost {
		if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
			first, _, _ := strings.Cut(fh, ",")
			return strings.TrimSpace(first)
		}
	}
	return r.Host
}

// safeMethod reports whether a method must not change state and so needs
// no Origin check.
func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
