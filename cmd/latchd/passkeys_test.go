package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebAuthnFlags: --webauthn-rp-id refuses an IP address; a base URL
// on an IP address turns passkeys off unless --webauthn-rp-id names a
// domain.
func TestWebAuthnFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := runCmd(t, dir, "", "serve", "--smtp-url", "smtp://127.0.0.1:1", "--addr", "127.0.0.1:0", "--webauthn-rp-id", "10.0.0.1")
	if code == 0 || !strings.Contains(stderr, "WebAuthnRPID") {
		t.Errorf("--webauthn-rp-id 10.0.0.1: exit %d, stderr %q", code, stderr)
	}
	for _, c := range []struct {
		env  []string
		want int
	}{
		{nil, http.StatusNotFound},
		{[]string{"LATCH_WEBAUTHN_RP_ID=localhost"}, http.StatusOK},
	} {
		srv := start(t, t.TempDir(), c.env...)
		res, err := http.Post(srv.url+"/api/auth/passkey/sign-in/options", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%v: sign-in options %d, want %d", c.env, res.StatusCode, c.want)
		}
	}
}
