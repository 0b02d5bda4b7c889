package admin_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/admin"
)

// TestRemoveFactors: DELETE /api/admin/users/{id}/factors takes away a
// user's TOTP authenticator, passkey and recovery codes, ends their
// sessions, mails them and is audited; a user with none is left as they
// are; an unknown user is 404, on every backend, over HTTP on loopback.
func TestRemoveFactors(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testRemoveFactors(t, newEnv(t, b.open(t)))
		})
	}
}

func testRemoveFactors(t *testing.T, e *env) {
	ctx := t.Context()
	r := e.admin("POST", "/api/admin/users", map[string]any{"email": "lost@example.com", "password": pw, "verified": true}).
		want(t, http.StatusCreated, "")
	id := r.body["user"].(map[string]any)["id"].(string)
	path := "/api/admin/users/" + id + "/factors"
	session := e.signIn("lost@example.com").want(t, http.StatusOK, "").body["token"].(string)
	sessionValid := func(tok string) bool {
		t.Helper()
		r := call(t, e.api, "GET", "/api/auth/session", nil, "Authorization", "Bearer "+tok)
		if r.status != http.StatusOK && r.status != http.StatusUnauthorized {
			t.Fatalf("GET session: %d %s", r.status, r.raw)
		}
		return r.status == http.StatusOK
	}

	// Her phone's authenticator, a passkey and a recovery code.
	want := 0
	if e.auth.HasFactors() {
		_, err := e.auth.CreateFactor(ctx, latch.FactorRecord{ID: "totp-" + id, UserID: id, Kind: latch.FactorTOTP, Name: "phone", Data: []byte("sealed-secret")})
		must(t, err)
		_, err = e.auth.CreateFactor(ctx, latch.FactorRecord{ID: "Y3JlZGVudGlhbC1pZA-" + id, UserID: id, Kind: latch.FactorPasskey, Name: "YubiKey", Data: []byte("credential")})
		must(t, err)
		want = 2
	}
	if ts := e.auth.TokenStore(); ts != nil {
		must(t, ts.PutToken(ctx, latch.TokenRecord{ID: "code-hash-" + id, Kind: "recovery-code", UserID: id, Expires: e.clock.Now().Add(time.Hour).UnixMilli()}))
	}
	if n := len(e.admin("GET", "/api/admin/users/"+id, nil).want(t, http.StatusOK, "").body["factors"].([]any)); n != want {
		t.Fatalf("before: %d factors shown, want %d", n, want)
	}

	// Without the token: 401, and nothing is removed.
	call(t, e.adm, "DELETE", path, nil).want(t, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED")
	if fs, err := e.auth.ListFactors(ctx, id); err != nil || len(fs) != want {
		t.Fatalf("after a refused call: %d factors, %v", len(fs), err)
	}
	// Another method on the path: 405 naming DELETE, with the token only.
	for _, m := range []string{"GET", "POST", "PUT"} {
		if r := e.admin(m, path, nil).want(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"); r.header.Get("Allow") != "DELETE" {
			t.Errorf("%s %s: Allow %q, want DELETE", m, path, r.header.Get("Allow"))
		}
	}

	r = e.admin("DELETE", path, nil).want(t, http.StatusOK, "")
	if r.body["removed"] != float64(want) {
		t.Fatalf("DELETE factors: %s, want removed %d", r.raw, want)
	}
	if want == 0 {
		// A store that keeps no factors: nothing was there to remove.
		if !sessionValid(session) {
			t.Error("removing no factors ended her session")
		}
		return
	}
	d := e.admin("GET", "/api/admin/users/"+id, nil).want(t, http.StatusOK, "").body
	if f := d["factors"].([]any); len(f) != 0 {
		t.Errorf("factors after removal: %v", f)
	}
	if s := d["sessions"].([]any); len(s) != 0 {
		t.Errorf("sessions after removal: %v", s)
	}
	if sessionValid(session) {
		t.Error("her session outlived the removal")
	}
	if ts := e.auth.TokenStore(); ts != nil {
		if codes, err := ts.ListTokens(ctx, id, "recovery-code"); err != nil || len(codes) != 0 {
			t.Errorf("recovery codes after removal: %d, %v", len(codes), err)
		}
	}
	m := e.mailTo("lost@example.com", "second factors", 1)
	if !strings.Contains(m.Text, "administrator") {
		t.Errorf("notice: %q", m.Text)
	}
	// The password alone signs her in again: no second step is asked.
	signIn := e.signIn("lost@example.com").want(t, http.StatusOK, "")
	if signIn.body["twoFactorRequired"] != nil || signIn.body["token"] == nil {
		t.Errorf("sign-in after removal: %s", signIn.raw)
	}
	if e.auth.HasActivity() {
		seen := map[string]string{}
		for _, ev := range d["activity"].(map[string]any)["events"].([]any) {
			ev := ev.(map[string]any)
			seen[ev["type"].(string)] = ev["detail"].(string)
		}
		if seen["admin.remove-factors"] != "by token:ops" || seen["two-factor-disabled"] == "" {
			t.Errorf("activity after removal: %v", seen)
		}
	}
	if !strings.Contains(e.logText(), `"msg":"admin action","who":"token:ops","action":"remove-factors","user":"`+id+`","ip":"127.0.0.1","detail":"2 removed"`) {
		t.Errorf("no audit line for remove-factors in %s", e.logText())
	}

	// Nothing left: removed 0, and her new session stays.
	again := signIn.body["token"].(string)
	if r := e.admin("DELETE", path, nil).want(t, http.StatusOK, ""); r.body["removed"] != float64(0) {
		t.Errorf("a user without factors: %s, want removed 0", r.raw)
	}
	if !sessionValid(again) {
		t.Error("removing no factors ended her session")
	}

	e.admin("DELETE", "/api/admin/users/nobody/factors", nil).want(t, http.StatusNotFound, "USER_NOT_FOUND")
	e.admin("DELETE", "/api/admin/users/%ff/factors", nil).want(t, http.StatusNotFound, "USER_NOT_FOUND")
}

// TestRemoveFactorsNotSupported: an admin Handler set up without a
// FactorRemover answers 501 (after the token, like everything else).
func TestRemoveFactorsNotSupported(t *testing.T) {
	t.Parallel()
	e := newEnv(t, backends[0].open(t))
	ah, err := admin.New(admin.Config{Auth: e.auth, Tokens: []admin.Token{{Name: "ops", Value: adminToken}}})
	must(t, err)
	srv := httptest.NewServer(checked(t, ah))
	t.Cleanup(srv.Close)
	id := e.admin("POST", "/api/admin/users", map[string]any{"email": "kept@example.com", "password": pw}).
		want(t, http.StatusCreated, "").body["user"].(map[string]any)["id"].(string)
	call(t, srv, "DELETE", "/api/admin/users/"+id+"/factors", nil).want(t, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED")
	call(t, srv, "DELETE", "/api/admin/users/"+id+"/factors", nil, "Authorization", "Bearer "+adminToken).
		want(t, http.StatusNotImplemented, "NOT_SUPPORTED")
}

// TestMethodNotAllowed: every admin path of the OpenAPI document is served
// with exactly its documented methods. With the token, another method is
// 405 METHOD_NOT_ALLOWED with those methods in Allow (HEAD with GET), and
// an unknown path stays 404; without it, both are 401, so that the API's
// shape is no answer to a caller without a token.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, backends[0].open(t))
	doc, err := apiDoc()
	must(t, err)
	paths := 0
	for path, info := range doc.Paths() {
		if info.ServedBy != "latchd-admin" {
			continue
		}
		paths++
		concrete := strings.ReplaceAll(path, "{id}", "nobody")
		allow := slices.Clone(info.Methods)
		if slices.Contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		slices.Sort(allow)
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
			r := e.admin(m, concrete, nil)
			if slices.Contains(allow, m) {
				// Served: whatever it answers (200, 400, 404 USER_NOT_FOUND),
				// it is neither the 405 nor the catch-all's 404.
				if r.status == http.StatusMethodNotAllowed || r.code() == "NOT_FOUND" {
					t.Errorf("%s %s: %d %s; the document says it is served", m, concrete, r.status, r.raw)
				}
				continue
			}
			if r.status != http.StatusMethodNotAllowed || (m != "HEAD" && r.code() != "METHOD_NOT_ALLOWED") || r.header.Get("Allow") != strings.Join(allow, ", ") {
				t.Errorf("%s %s: %d %s, Allow %q; want 405 METHOD_NOT_ALLOWED, Allow %q", m, concrete, r.status, r.raw, r.header.Get("Allow"), strings.Join(allow, ", "))
			}
		}
	}
	if paths < 7 {
		t.Fatalf("only %d admin paths in the document", paths)
	}
	e.admin("PUT", "/api/admin/nothing", nil).want(t, http.StatusNotFound, "NOT_FOUND")
	e.admin("PUT", "/api/admin/users/nobody/factors/more", nil).want(t, http.StatusNotFound, "NOT_FOUND")
	call(t, e.adm, "PUT", "/api/admin/users", nil).want(t, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED")
	if r := call(t, e.adm, "GET", "/api/admin/users/nobody/factors", nil); r.status != http.StatusUnauthorized || r.header.Get("Allow") != "" {
		t.Errorf("a wrong method without the token: %d, Allow %q; want 401 and no Allow", r.status, r.header.Get("Allow"))
	}
}
