package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequire2FAFlag: with --require-2fa (here its LATCH_REQUIRE_2FA
// twin), a user without a second factor signs in to a session that serves
// enrolment only; without it, the same session serves everything.
func TestRequire2FAFlag(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env      string
		sessions int
	}{
		{"LATCH_REQUIRE_2FA=true", http.StatusForbidden},
		{"LATCH_REQUIRE_2FA=false", http.StatusOK},
	} {
		s := start(t, t.TempDir(), tt.env)
		c := &http.Client{}
		code, body := call(t, c, "POST", s.url+"/api/auth/sign-up", map[string]string{"email": "must@example.com", "password": "correct horse battery"})
		if code != http.StatusCreated {
			t.Fatalf("%s: sign-up %d %v", tt.env, code, body)
		}
		bearer := "Bearer " + str(body, "token")
		if code, body := call(t, c, "GET", s.url+"/api/auth/session", nil, "Authorization", bearer); code != http.StatusOK {
			t.Errorf("%s: GET session %d %v", tt.env, code, body)
		}
		code, body = call(t, c, "GET", s.url+"/api/auth/sessions", nil, "Authorization", bearer)
		if code != tt.sessions || (code == http.StatusForbidden && str(body, "error", "code") != "TWO_FACTOR_ENROLMENT_REQUIRED") {
			t.Errorf("%s: GET sessions %d %v, want %d", tt.env, code, body, tt.sessions)
		}
		s.stop(t)
	}
}

// TestRequire2FALucia2Refused: on a Lucia database whose session table
// has no amr column, no session could show a second factor, so
// --require-2fa with --schema lucia2 is refused at start, naming the
// ALTER TABLE that lets it work (TestLucia2SessionAMR runs it with the
// column).
func TestRequire2FALucia2Refused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := newLucia2DB(t, "sqlite", dir)
	for _, stmt := range lucia2DDL("sqlite", true) {
		d.exec(t, stmt)
	}
	code, _, stderr := runCmd(t, dir, "", "serve", "--addr", "127.0.0.1:0", "--require-2fa", "--schema", "lucia2", "--database-url", d.url)
	if code == 0 || !strings.Contains(stderr, "--require-2fa") || !strings.Contains(stderr, "ALTER TABLE user_session ADD COLUMN amr TEXT") {
		t.Fatalf("exit %d, stderr %q; want a refusal naming --require-2fa and the ALTER TABLE that adds amr", code, stderr)
	}
}
