package httpauth

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// CORSOrigin returns r's Origin when it is one of Options.CORSOrigins, and
// "" otherwise (no Origin, several, or one not listed). The comparison is
// exact: browsers send an origin in lower case without a default port,
// which is how the list is kept.
func (m *Manager) CORSOrigin(r *http.Request) string {
	vals := r.Header.Values("Origin")
	if len(vals) != 1 || !m.cors[vals[0]] {
		return ""
	}
	return vals[0]
}

// CheckCORSOrigin reports why origin cannot be one of
// Options.CORSOrigins for an Auth in dev (dev true) or not, or nil when it
// can: for programs that check their settings before making a Manager.
func CheckCORSOrigin(origin string, dev bool) error {
	_, err := corsOrigin(origin, dev)
	return err
}

// corsOrigin checks one entry of Options.CORSOrigins and returns it as
// origins are compared. Plain http is taken only for loopback hosts in dev.
func corsOrigin(o string, dev bool) (string, error) {
	switch {
	case o == "null" || strings.EqualFold(o, "null"):
		return "", errors.New(`"null" is the origin of sandboxed frames and local files; it is never trusted`)
	case strings.Contains(o, "*"):
		return "", errors.New("wildcards are not allowed; list each origin")
	}
	norm, err := normalizeOrigin(o)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(norm)
	host := u.Hostname()
	for _, c := range host {
		if c > 0x7f {
			return "", errors.New("write the host in its ASCII (punycode) form, as browsers send it")
		}
	}
	if u.Scheme == "http" {
		if !loopbackHost(host) {
			return "", errors.New("want https (http only for localhost and loopback addresses, in dev)")
		}
		if !dev {
			return "", errors.New("want https: http origins are taken only in dev")
		}
	}
	return norm, nil
}

// loopbackHost reports whether host names this machine: localhost, a
// name under .localhost (which browsers resolve to loopback themselves),
// or a loopback IP address.
func loopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
