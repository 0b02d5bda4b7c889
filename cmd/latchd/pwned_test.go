package main

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPwnedURL: latchd asks the range API given by --pwned-url and refuses
// a breached password at sign-up; a malformed URL stops it at start.
func TestPwnedURL(t *testing.T) {
	t.Parallel()
	const leaked = "qwertyuiop123"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum := sha1.Sum([]byte(leaked))
		h := strings.ToUpper(hex.EncodeToString(sum[:]))
		if r.URL.Path == "/range/"+h[:5] {
			fmt.Fprintf(w, "%s:1000\r\n", h[5:])
		}
	}))
	defer api.Close()

	dir := t.TempDir()
	s := start(t, dir, "LATCH_PWNED_URL="+api.URL)
	if st, body := call(t, http.DefaultClient, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": "p@example.com", "password": leaked}); st != 400 || str(body, "error", "code") != "PASSWORD_BREACHED" {
		t.Errorf("sign-up with a breached password: %d %v", st, body)
	}
	if st, body := call(t, http.DefaultClient, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": "p@example.com", "password": "not a listed one"}); st != 201 {
		t.Errorf("sign-up: %d %v", st, body)
	}
	s.stop(t)

	if code, _, errOut := runCmd(t, dir, "", "serve", "--pwned-url", "api.pwnedpasswords.com"); code != 2 || !strings.Contains(errOut, "--pwned-url") {
		t.Errorf("a malformed --pwned-url: exit %d %s", code, errOut)
	}
}
