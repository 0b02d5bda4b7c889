package httpauth

import (
	"net/http/httptest"
	"testing"
)

// TestClientIP: X-Forwarded-For counts only from a trusted proxy, and then
// the client is the rightmost address that is not a proxy.
func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.7, ::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct, no header", "203.0.113.5:1234", nil, "203.0.113.5"},
		{"direct client forging the header", "203.0.113.5:1234", []string{"198.51.100.1"}, "203.0.113.5"},
		{"through the proxy", "10.1.2.3:1234", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client's own entry left of the proxy's", "10.1.2.3:1234", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", "10.1.2.3:1234", []string{"198.51.100.1, 192.168.1.7"}, "198.51.100.1"},
		{"two headers", "10.1.2.3:1234", []string{"1.1.1.1", "198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"all trusted", "10.1.2.3:1234", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"garbage stops the walk", "10.1.2.3:1234", []string{"198.51.100.1, nonsense"}, "10.1.2.3"},
		{"proxy without header", "10.1.2.3:1234", nil, "10.1.2.3"},
		{"IPv6 proxy", "[::1]:1234", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:1234", []string{"198.51.100.1"}, "198.51.100.1"},
		{"untrusted 192.168.1.8", "192.168.1.8:1234", []string{"198.51.100.1"}, "192.168.1.8"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := proxies.ClientIP(r); got != tt.want {
			t.Errorf("%s: ClientIP = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := TrustedProxies(nil).ClientIP(httptest.NewRequest("GET", "/", nil)); got != "192.0.2.1" {
		t.Errorf("no proxies: ClientIP = %q", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.0/8,,x"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
}
