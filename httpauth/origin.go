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
// and naming the server's own origin (scheme, host and port: Options.BaseURL
// or else the request's own), an allowed origin, or an allowed subdomain
// of the host with the same scheme. Unlike Lucia v2, the scheme counts:
// an https page may not post to an http server, nor the reverse. It returns nil when allowed or when Options.DisableCSRF is
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
	scheme, host := m.ownOrigin(r)
	sameScheme := strings.EqualFold(u.Scheme, scheme)
	switch {
	case host != "" && originKey(u.Scheme, originHost) == originKey(scheme, host):
		return nil
	case m.origins[originKey(u.Scheme, originHost)]:
		return nil
	case host != "" && sameScheme && m.anySubdomain && strings.HasSuffix(originHost, "."+host):
		return nil
	}
	if host != "" && sameScheme {
		for _, s := range m.subdomains {
			if originHost == s+"."+host {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: Origin does not match the host", ErrInvalidOrigin)
}

// ownOrigin is the scheme and host (with port, if any) the client
// addressed: Options.BaseURL's when set, else the request's, with the
// X-Forwarded-* headers of a trusted proxy.
func (m *Manager) ownOrigin(r *http.Request) (scheme, host string) {
	if m.baseOrigin != "" {
		scheme, host, _ = strings.Cut(m.baseOrigin, "://")
		return scheme, host
	}
	scheme, host = "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if m.trustForwardedHost && (len(m.proxies) == 0 || m.proxies.FromProxy(r)) {
		if fh := firstValue(r.Header.Get("X-Forwarded-Host")); fh != "" {
			host = fh
		}
		if fp := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); fp == "http" || fp == "https" {
			scheme = fp
		}
	}
	return scheme, strings.ToLower(host)
}

// firstValue is the first of a comma-separated header's values.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
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
