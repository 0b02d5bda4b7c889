package httpauth

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the networks of the reverse proxies in front of a
// server: only a request whose peer (Request.RemoteAddr) is in one of them
// may say, in X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host,
// who the client is and what it addressed. A client that reaches the
// server directly cannot.
type TrustedProxies []netip.Prefix

// LoopbackProxies is a proxy on the same machine: 127.0.0.0/8 and ::1.
var LoopbackProxies = TrustedProxies{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// ParseTrustedProxies parses a comma-separated list of CIDRs
// ("10.0.0.0/8, 192.168.1.7/32") or single addresses ("192.168.1.7").
// The empty string is an empty list.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var out TrustedProxies
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("httpauth: trusted proxy %q: want a CIDR or an address", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("httpauth: trusted proxy %q: want a CIDR or an address", part)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Contains reports whether the address is in one of the networks.
func (t TrustedProxies) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// FromProxy reports whether r comes straight from a trusted proxy.
func (t TrustedProxies) FromProxy(r *http.Request) bool {
	if len(t) == 0 {
		return false
	}
	a, ok := peerAddr(r)
	return ok && t.Contains(a)
}

// ClientIP returns the address of the client: the peer's, unless the peer
// is a trusted proxy; then the rightmost X-Forwarded-For address that is
// not a trusted proxy (the left ones were written by the client and prove
// nothing), or the leftmost when every one is trusted. A malformed address
// on the way ends the walk there, at the last address known good.
func (t TrustedProxies) ClientIP(r *http.Request) string {
	peer, ok := peerAddr(r)
	if !ok {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
	client := peer
	if !t.Contains(peer) {
		return client.String()
	}
	vals := r.Header.Values("X-Forwarded-For")
	for i := len(vals) - 1; i >= 0; i-- {
		parts := strings.Split(vals[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client.String()
			}
			client = a.Unmap().WithZone("")
			if !t.Contains(client) {
				return client.String()
			}
		}
	}
	return client.String()
}

// peerAddr is the address of the request's peer.
func peerAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap().WithZone(""), true
}
