package main

import (
	"github.com/latchauth/latch/mfa"

	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// In production latchd refuses an OpenID provider reached over plain
// http (its codes, tokens and keys could be read or replaced on the way),
// by name at start; on loopback, or in dev, it is accepted.
func TestOAuthPlainHTTPIssuerRefusedInProd(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	code := run(t.Context(), []string{"serve"}, strings.NewReader(""), io.Discard, &stderr, envOf(map[string]string{
		"LATCH_ENV": "prod", "LATCH_SMTP_URL": "smtp://127.0.0.1:1", "LATCH_BASE_URL": "https://auth.example.com",
		"LATCH_ADDR": "127.0.0.1:0", "LATCH_DATABASE_URL": "sqlite:" + filepath.Join(dir, "latch.db"), "LATCH_PWNED_URL": "off",
		"LATCH_OIDC_ISSUER": "http://sso.example.com", "LATCH_OIDC_CLIENT_ID": "c", "LATCH_OIDC_CLIENT_SECRET": "s",
		"LATCH_SECRET_KEY": testSecretKey(t),
	}))
	if code == 0 || !strings.Contains(stderr.String(), "plain http") || !strings.Contains(stderr.String(), "Issuer") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

// testSecretKey is a fresh --secret-key for a prod start.
func testSecretKey(t *testing.T) string {
	t.Helper()
	k, err := mfa.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
