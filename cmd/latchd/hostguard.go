package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latchauth/latch/httpauth"
)

// probePaths are answered whatever the Host: orchestrators call the
// health and readiness probes by the pod's IP address.
var probePaths = []string{"/healthz", "/readyz"}

// hostGuard refuses requests for a Host that is not this server's, so that
// a page on another name that resolves to this server (DNS rebinding)
// cannot read it, and sets Strict-Transport-Security on an https service.
type hostGuard struct {
	next     http.Handler
	host     string // the base URL's host[:port], lower case, default port dropped; "" checks nothing
	loopback bool   // loopback names are this server's too (dev)
	scheme   string // the base URL's
	proxies  httpauth.TrustedProxies
	hsts     bool
}

// newHostGuard wraps h. In dev, the Hosts answered are the base URL's and
// loopback names; elsewhere, with --base-url, only its host; without it,
// any (latchd cannot know its public name).
func newHostGuard(h http.Handler, o *options, base string, proxies httpauth.TrustedProxies) (http.Handler, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--base-url %q: want an absolute http(s) URL", base)
	}
	g := &hostGuard{next: h, loopback: o.env == "dev", proxies: proxies, hsts: o.env == "prod" && u.Scheme == "https"}
	if o.baseURL != "" || g.loopback {
		g.host = hostKey(u.Scheme, u.Host)
	}
	g.scheme = u.Scheme
	return g, nil
}

// hostKey is host[:port] in lower case without the scheme's default port.
func hostKey(scheme, host string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "https":
		return strings.TrimSuffix(host, ":443")
	case scheme == "http":
		return strings.TrimSuffix(host, ":80")
	}
	return host
}

func (g *hostGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.hsts {
		// Two years, as the HSTS preload list asks; not for subdomains,
		// which may be other services.
		w.Header().Set("Strict-Transport-Security", "max-age=63072000")
	}
	if g.host == "" || slices.Contains(probePaths, r.URL.Path) || g.allowed(r) {
		g.next.ServeHTTP(w, r)
		return
	}
	httpauth.WriteError(w, http.StatusMisdirectedRequest, "MISDIRECTED_HOST", "this server does not answer for that host name")
}

// allowed reports whether the request names this server: the Host (or a
// trusted proxy's X-Forwarded-Host) is the base URL's or, in dev, a
// loopback name.
func (g *hostGuard) allowed(r *http.Request) bool {
	host := r.Host
	if g.proxies.FromProxy(r) {
		if fh, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ","); strings.TrimSpace(fh) != "" {
			host = strings.TrimSpace(fh)
		}
	}
	if hostKey(g.scheme, host) == g.host {
		return true
	}
	if !g.loopback {
		return false
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(name, "[]"))
	return ip != nil && ip.IsLoopback()
}
