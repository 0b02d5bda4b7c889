package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/mfa"
)

const testAdminToken = "q8B0f1Zr2sM7tYw4XcVn9KpL3uHgJdE6aRiOyT5lWQk"

// TestAdminFlags: the admin API is refused a weak token, a missing one, a
// token without an address, and a non-loopback address unless allowed.
func TestAdminFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--admin-addr", "127.0.0.1:0"}, "needs --admin-token"},
		{[]string{"--admin-addr", "127.0.0.1:0", "--admin-token", "too-short"}, "at least 43"},
		{[]string{"--admin-addr", "127.0.0.1:0", "--admin-token", strings.Repeat("ab", 30)}, "distinct characters"},
		{[]string{"--admin-token", testAdminToken}, "need --admin-addr"},
		{[]string{"--admin-addr", "0.0.0.0:0", "--admin-token", testAdminToken}, "not a loopback address"},
		{[]string{"--admin-addr", "192.0.2.1:0", "--admin-token", testAdminToken}, "--admin-allow-remote"},
		{[]string{"--admin-addr", "127.0.0.1:0", "--admin-token-file", filepath.Join(dir, "missing")}, "--admin-token-file"},
	} {
		code, _, errOut := runCmd(t, dir, "", append([]string{"serve"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("latchd serve %q: exit %d %q, want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestAdminServeAndCLI runs latchd with the admin API on its own loopback
// listener and drives the same user through the API and the shell.
func TestAdminServeAndCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "admin-token")
	if err := os.WriteFile(tokenFile, []byte(testAdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, dir, "LATCH_ADMIN_ADDR=127.0.0.1:0", "LATCH_ADMIN_TOKEN_FILE="+tokenFile)
	var adminURL string
	for _, line := range strings.Split(s.stdout.String(), "\n") {
		if u, ok := strings.CutPrefix(line, "Admin API: "); ok {
			adminURL = strings.TrimSuffix(u, "/")
		}
	}
	if !strings.HasPrefix(adminURL, "http://127.0.0.1:") {
		t.Fatalf("no admin URL on loopback in %q", s.stdout.String())
	}
	bearer := []string{"Authorization", "Bearer " + testAdminToken}
	c := http.DefaultClient

	// Not on the main listener; on the admin one only with the token.
	if st, _ := call(t, c, "GET", s.url+"/api/admin/users", nil, bearer...); st != http.StatusNotFound {
		t.Errorf("admin API on the main address: %d", st)
	}
	if st, body := call(t, c, "GET", adminURL+"/users", nil); st != http.StatusUnauthorized || str(body, "error", "code") != "ADMIN_UNAUTHORIZED" {
		t.Errorf("no token: %d %v", st, body)
	}
	st, body := call(t, c, "POST", adminURL+"/users", map[string]any{"email": "ops@example.com", "password": "ops password 1"}, bearer...)
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, body)
	}
	id := str(body, "user", "id")
	signIn := func() int {
		st, _ := call(t, c, "POST", s.url+"/api/auth/sign-in", map[string]string{"email": "ops@example.com", "password": "ops password 1"})
		return st
	}
	if st := signIn(); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}
	if st, body := call(t, c, "POST", adminURL+"/users/"+id+"/disable", nil, bearer...); st != http.StatusOK {
		t.Fatalf("disable: %d %v", st, body)
	}
	if st := signIn(); st != http.StatusForbidden {
		t.Errorf("sign-in of a disabled user: %d, want 403", st)
	}

	// The shell: list, show, enable, disable, delete; each audited.
	code, out, errOut := runCmd(t, dir, "", "user", "list", "--q", "ops")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "ops@example.com") {
		t.Fatalf("user list: exit %d %s %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "admin action") || !strings.Contains(errOut, "who=cli:") {
		t.Errorf("user list is not audited: %s", errOut)
	}
	code, out, errOut = runCmd(t, dir, "", "user", "show", "ops@example.com", "--json")
	if code != 0 || !strings.Contains(out, `"disabled": true`) || !strings.Contains(out, `"admin.disable"`) || !strings.Contains(out, `"by token:admin"`) {
		t.Fatalf("user show --json: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, dir, "", "user", "enable", id); code != 0 || !strings.Contains(out, "enabled user "+id) {
		t.Fatalf("user enable: exit %d %s %s", code, out, errOut)
	}
	if st := signIn(); st != http.StatusOK {
		t.Errorf("sign-in after user enable: %d", st)
	}
	if code, _, errOut := runCmd(t, dir, "", "user", "disable", "ops@example.com"); code != 0 {
		t.Fatalf("user disable: exit %d %s", code, errOut)
	}
	if st := signIn(); st != http.StatusForbidden {
		t.Errorf("sign-in after user disable: %d, want 403", st)
	}
	code, out, _ = runCmd(t, dir, "", "user", "show", id)
	if code != 0 || !strings.Contains(out, "DISABLED") || !strings.Contains(out, "admin.disable") || !strings.Contains(out, "by cli:") {
		t.Errorf("user show: exit %d %s", code, out)
	}
	if code, _, errOut := runCmd(t, dir, "", "user", "delete", id); code != 1 || !strings.Contains(errOut, "--yes") {
		t.Errorf("user delete without --yes: exit %d %s", code, errOut)
	}
	if code, out, errOut := runCmd(t, dir, "", "user", "delete", id, "--yes"); code != 0 || !strings.Contains(out, "deleted user") {
		t.Fatalf("user delete: exit %d %s %s", code, out, errOut)
	}
	if st, _ := call(t, c, "GET", adminURL+"/users/"+id, nil, bearer...); st != http.StatusNotFound {
		t.Errorf("show after delete: %d", st)
	}
	if code, _, errOut := runCmd(t, dir, "", "user", "show", id); code != 1 || !strings.Contains(errOut, "no user") {
		t.Errorf("user show of a deleted user: exit %d %s", code, errOut)
	}
	// user create is audited like the API's create.
	if code, out, errOut := runCmd(t, dir, "cli password 1\n", "user", "create", "--email", "cli@example.com", "--password-stdin"); code != 0 || !strings.Contains(out, "created user") {
		t.Fatalf("user create: exit %d %s %s", code, out, errOut)
	} else if !strings.Contains(errOut, "admin action") || !strings.Contains(errOut, "action=create") {
		t.Errorf("user create is not audited in the log: %s", errOut)
	}
	if code, out, errOut := runCmd(t, dir, "", "user", "show", "cli@example.com"); code != 0 || !strings.Contains(out, "admin.create") || !strings.Contains(out, "by cli:") {
		t.Errorf("user show after user create: exit %d %s %s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, dir, "", "user", "disable"); code != 2 {
		t.Errorf("user disable without a user: exit %d", code)
	}
	s.stop(t)
	if strings.Contains(s.stderr.String(), testAdminToken) || strings.Contains(s.stdout.String(), testAdminToken) {
		t.Error("the admin token is in latchd's output")
	}
}

// TestAdminRemoveFactors: the real server's admin API removes the second
// factor a user enrolled through the auth API (a lost phone): their
// session ends, the dev outbox gets the notice, the password alone signs
// them in again, and the call is audited. Another method on the path is
// 405 with Allow once the token is checked, 401 before.
func TestAdminRemoveFactors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, dir, "LATCH_ADMIN_ADDR=127.0.0.1:0", "LATCH_ADMIN_TOKEN="+testAdminToken)
	var adminURL string
	for _, line := range strings.Split(s.stdout.String(), "\n") {
		if u, ok := strings.CutPrefix(line, "Admin API: "); ok {
			adminURL = strings.TrimSuffix(u, "/")
		}
	}
	if adminURL == "" {
		t.Fatalf("no admin URL in %q", s.stdout.String())
	}
	bearer := []string{"Authorization", "Bearer " + testAdminToken}
	c := http.DefaultClient
	const email, password = "lost@example.com", "lost phone password"

	st, body := call(t, c, "POST", adminURL+"/users", map[string]any{"email": email, "password": password, "verified": true}, bearer...)
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, body)
	}
	id := str(body, "user", "id")
	signIn := func() map[string]any {
		t.Helper()
		st, body := call(t, c, "POST", s.url+"/api/auth/sign-in", map[string]string{"email": email, "password": password})
		if st != http.StatusOK {
			t.Fatalf("sign-in: %d %v", st, body)
		}
		return body
	}
	session := "Bearer " + str(signIn(), "token")

	// She enrols an authenticator app: step-up, secret, first code.
	st, body = call(t, c, "POST", s.url+"/api/auth/step-up", map[string]string{"action": "add-factor", "method": "password", "password": password}, "Authorization", session)
	if st != http.StatusOK {
		t.Fatalf("step-up: %d %v", st, body)
	}
	st, body = call(t, c, "POST", s.url+"/api/auth/two-factor/totp", map[string]string{"stepUpToken": str(body, "stepUpToken")}, "Authorization", session)
	if st != http.StatusOK {
		t.Fatalf("totp: %d %v", st, body)
	}
	code, err := mfa.TOTPCode(str(body, "secret"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st, body := call(t, c, "POST", s.url+"/api/auth/two-factor/totp/confirm", map[string]string{"code": code}, "Authorization", session); st != http.StatusOK {
		t.Fatalf("totp confirm: %d %v", st, body)
	}
	if b := signIn(); b["twoFactorRequired"] != true {
		t.Fatalf("sign-in with a factor: %v", b)
	}

	path := adminURL + "/users/" + id + "/factors"
	if st, body := call(t, c, "DELETE", path, nil); st != http.StatusUnauthorized || str(body, "error", "code") != "ADMIN_UNAUTHORIZED" {
		t.Errorf("no token: %d %v", st, body)
	}
	req, _ := http.NewRequest("POST", path, nil)
	req.Header.Set(bearer[0], bearer[1])
	res, err := checked(t, c).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "DELETE" {
		t.Errorf("POST %s: %d, Allow %q; want 405, Allow DELETE", path, res.StatusCode, res.Header.Get("Allow"))
	}

	st, body = call(t, c, "DELETE", path, nil, bearer...)
	if st != http.StatusOK || body["removed"] != float64(1) {
		t.Fatalf("remove factors: %d %v, want 200 removed 1", st, body)
	}
	if st, _ := call(t, c, "GET", s.url+"/api/auth/session", nil, "Authorization", session); st != http.StatusUnauthorized {
		t.Errorf("her session after the removal: %d, want 401", st)
	}
	if m := waitMailWith(t, "removed every second factor", s.url); m.To != email {
		t.Errorf("notice to %q", m.To)
	}
	if b := signIn(); b["twoFactorRequired"] != nil || str(b, "token") == "" {
		t.Errorf("sign-in after the removal: %v", b)
	}
	if st, body := call(t, c, "DELETE", adminURL+"/users/nobody/factors", nil, bearer...); st != http.StatusNotFound || str(body, "error", "code") != "USER_NOT_FOUND" {
		t.Errorf("unknown user: %d %v", st, body)
	}
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "action=remove-factors user="+id) {
		t.Errorf("no audit line in latchd's log:\n%s", s.stderr)
	}
}
