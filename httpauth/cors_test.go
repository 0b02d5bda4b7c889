package httpauth_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/store/memory"
)

func TestCORSOrigins(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		origin string
		dev    bool
		err    string // part of the error; "" when taken
	}{
		{"https://app.example.com", false, ""},
		{"https://app.example.com:8443", false, ""},
		{"https://app.example.com/", false, ""},
		{"http://localhost:3000", true, ""},
		{"http://app.localhost:3000", true, ""},
		{"http://127.0.0.1:5173", true, ""},
		{"http://[::1]:5173", true, ""},
		{"http://localhost:3000", false, "only in dev"},
		{"http://app.example.com", true, "want https"},
		{"http://localhost.example.com", true, "want https"},
		{"null", true, "never trusted"},
		{"NULL", false, "never trusted"},
		{"*", false, "wildcards"},
		{"https://*.example.com", false, "wildcards"},
		{"https://app.example.com/path", false, "no path"},
		{"https://user@app.example.com", false, "scheme://host"},
		{"app.example.com", false, "http or https"},
		{"ftp://app.example.com", false, "http or https"},
		{"https://bücher.example", false, "punycode"},
		{"", false, "http or https"},
	} {
		err := httpauth.CheckCORSOrigin(c.origin, c.dev)
		env := latch.EnvProd
		if c.dev {
			env = latch.EnvDev
		}
		auth, aerr := latch.New(latch.Config{Store: memory.New(), Env: env})
		if aerr != nil {
			t.Fatal(aerr)
		}
		_, merr := httpauth.New(auth, httpauth.Options{CORSOrigins: []string{c.origin}})
		if (err == nil) != (merr == nil) {
			t.Errorf("%q dev=%v: CheckCORSOrigin %v but New %v", c.origin, c.dev, err, merr)
		}
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q dev=%v refused: %v", c.origin, c.dev, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q dev=%v: error %v, want one saying %q", c.origin, c.dev, err, c.err)
		}
		if merr != nil && !strings.Contains(merr.Error(), "Options.CORSOrigins") {
			t.Errorf("New's error does not name the field: %v", merr)
		}
	}
}

// CORSOrigin matches the exact Origin header, once, and a CORS origin is
// also trusted by the CSRF check.
func TestCORSOriginMatch(t *testing.T) {
	t.Parallel()
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvProd})
	if err != nil {
		t.Fatal(err)
	}
	m, err := httpauth.New(auth, httpauth.Options{CORSOrigins: []string{"https://App.Example.com:443"}, AllowedOrigins: []string{"https://csrf.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		origins []string
		want    string
	}{
		{[]string{"https://app.example.com"}, "https://app.example.com"},
		{[]string{"https://app.example.com", "https://app.example.com"}, ""},
		{[]string{"https://app.example.com:8443"}, ""},
		{[]string{"http://app.example.com"}, ""},
		{[]string{"https://csrf.example.com"}, ""},
		{[]string{"https://evil.app.example.com"}, ""},
		{[]string{"null"}, ""},
		{nil, ""},
	} {
		r := httptest.NewRequest("POST", "https://auth.example.com/api/auth/sign-out", nil)
		for _, o := range c.origins {
			r.Header.Add("Origin", o)
		}
		if got := m.CORSOrigin(r); got != c.want {
			t.Errorf("Origin %q: CORSOrigin %q, want %q", c.origins, got, c.want)
		}
		if c.want != "" {
			if err := m.CheckOrigin(r); err != nil {
				t.Errorf("Origin %q: CheckOrigin: %v", c.origins, err)
			}
		}
	}
}
