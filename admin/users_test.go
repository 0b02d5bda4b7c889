package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/admin"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// TestAuthentication: only the bearer token opens the admin API; a
// missing, wrong, short or cookie-borne token is 401, failures are
// throttled per IP (429 with Retry-After, even for the right token while
// it lasts), and the back-off ends with time.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, backends[0].open(t))
	const path = "/api/admin/users"
	e.admin("GET", path, nil).want(t, http.StatusOK, "")
	for _, c := range []struct {
		name string
		hdr  []string
	}{
		{"missing", nil},
		{"wrong", []string{"Authorization", "Bearer " + strings.Replace(adminToken, "q", "Q", 1)}},
		{"short", []string{"Authorization", "Bearer " + adminToken[:20]}},
		{"basic scheme", []string{"Authorization", "Basic " + adminToken}},
		{"cookie alone", []string{"Cookie", "auth_session=" + adminToken + "; admin_token=" + adminToken}},
	} {
		r := call(t, e.adm, "GET", path, nil, c.hdr...).want(t, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
	}
	// 5 failures are free; the next one locks the IP for 1 s.
	call(t, e.adm, "GET", path, nil).want(t, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED")
	r := e.admin("GET", path, nil).want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	call(t, e.adm, "POST", "/api/admin/users/x/disable", nil).want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	e.clock.Advance(time.Minute)
	e.admin("GET", path, nil).want(t, http.StatusOK, "")
	// An unknown path: 401 without the token, 404 with it.
	e.clock.Advance(time.Hour)
	call(t, e.adm, "GET", "/api/admin/nothing", nil).want(t, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED")
	e.admin("GET", "/api/admin/nothing", nil).want(t, http.StatusNotFound, "NOT_FOUND")
	if strings.Contains(e.logText(), adminToken) {
		t.Error("the admin token is in the log")
	}
}

// TestNewRefusesWeakTokens: a token shorter than 32 random bytes, or made
// of few characters, is refused when the handler is made.
func TestNewRefusesWeakTokens(t *testing.T) {
	t.Parallel()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", "short", adminToken[:42], strings.Repeat("ab", 40), "0123456789" + strings.Repeat("a", 40), adminToken + " x"} {
		if _, err := admin.New(admin.Config{Auth: auth, Tokens: []admin.Token{{Name: "ops", Value: tok}}}); err == nil {
			t.Errorf("New accepted the token %q", tok)
		}
	}
	if _, err := admin.New(admin.Config{Auth: auth, Tokens: []admin.Token{{Name: "ops", Value: adminToken}}}); err != nil {
		t.Errorf("New refused a 32-byte random token: %v", err)
	}
	if _, err := admin.New(admin.Config{Auth: auth}); err == nil {
		t.Error("New accepted no token")
	}
}

// TestAdminUsers runs the user operations on every backend, over HTTP
// on loopback.
func TestAdminUsers(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testAdminUsers(t, newEnv(t, b.open(t)))
		})
	}
}

func testAdminUsers(t *testing.T, e *env) {
	// Create: 201, then 409 for the same address, 400 for bad input.
	var ids []string
	for _, name := range []string{"carol", "ada", "bob", "adam", "zed"} {
		r := e.admin("POST", "/api/admin/users", map[string]any{"email": name + "@example.com", "password": pw, "verified": true}).
			want(t, http.StatusCreated, "")
		u := r.body["user"].(map[string]any)
		if u["email"] != name+"@example.com" || u["emailVerified"] != true || u["disabled"] != false {
			t.Fatalf("created user %v", u)
		}
		ids = append(ids, u["id"].(string))
	}
	e.admin("POST", "/api/admin/users", map[string]any{"email": "ADA@example.com", "password": pw}).want(t, http.StatusConflict, "USER_ALREADY_EXISTS")
	e.admin("POST", "/api/admin/users", map[string]any{"email": "x@example.com", "password": "short"}).want(t, http.StatusBadRequest, "PASSWORD_TOO_SHORT")
	e.admin("POST", "/api/admin/users", map[string]any{"email": "x@example.com", "password": pw, "admin": true}).want(t, http.StatusBadRequest, "INVALID_BODY")

	// List: by email prefix, in pages of 2 by cursor, in address order.
	var got []string
	cursor := ""
	for range 5 {
		r := e.admin("GET", "/api/admin/users?q=A&limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, http.StatusOK, "")
		for _, u := range r.body["users"].([]any) {
			got = append(got, u.(map[string]any)["email"].(string))
		}
		if cursor, _ = r.body["next"].(string); cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != "[ada@example.com adam@example.com]" {
		t.Errorf("users with prefix a: %v", got)
	}
	got = got[:0]
	cursor = ""
	pages := 0
	for range 10 {
		r := e.admin("GET", "/api/admin/users?limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, http.StatusOK, "")
		pages++
		for _, u := range r.body["users"].([]any) {
			got = append(got, u.(map[string]any)["id"].(string))
		}
		if cursor, _ = r.body["next"].(string); cursor == "" {
			break
		}
	}
	if len(got) != 5 || pages != 3 {
		t.Errorf("all users in pages of 2: %v in %d pages", got, pages)
	}
	e.admin("GET", "/api/admin/users?cursor=nonsense", nil).want(t, http.StatusBadRequest, "INVALID_CURSOR")
	e.admin("GET", "/api/admin/users?limit=1000", nil).want(t, http.StatusBadRequest, "INVALID_LIMIT")

	// Ada signs in twice; show lists her keys (no hash), two sessions by
	// handle and her activity.
	ada := ids[1]
	s1 := e.signIn("ada@example.com").want(t, http.StatusOK, "")
	e.signIn("ada@example.com").want(t, http.StatusOK, "")
	tok1 := s1.body["token"].(string)
	r := e.admin("GET", "/api/admin/users/"+ada, nil).want(t, http.StatusOK, "")
	if strings.Contains(string(r.raw), "$argon2") || strings.Contains(string(r.raw), "s2:") || strings.Contains(string(r.raw), tok1) {
		t.Fatalf("show leaks a hash or a token: %s", r.raw)
	}
	keys := r.body["keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["providerUserId"] != "ada@example.com" || keys[0].(map[string]any)["passwordDefined"] != true {
		t.Errorf("keys: %v", keys)
	}
	if e.auth.HasFactors() {
		_, err := e.auth.CreateFactor(context.Background(), latch.FactorRecord{ID: "f-" + ada, UserID: ada, Kind: latch.FactorTOTP, Name: "phone", Data: []byte("the-secret-state")})
		must(t, err)
		r = e.admin("GET", "/api/admin/users/"+ada, nil).want(t, http.StatusOK, "")
		f := r.body["factors"].([]any)
		if len(f) != 1 || f[0].(map[string]any)["kind"] != "totp" || f[0].(map[string]any)["name"] != "phone" || strings.Contains(string(r.raw), "the-secret-state") {
			t.Errorf("factors: %s", r.raw)
		}
		// Off again: with it, her sign-ins below would wait for the
		// second step. It comes back before she is deleted.
		must(t, e.auth.DeleteFactor(context.Background(), "f-"+ada))
	} else if f := r.body["factors"].([]any); len(f) != 0 {
		t.Errorf("factors without a factor store: %v", f)
	}
	sessions := r.body["sessions"].([]any)
	if len(sessions) != 2 || len(sessions[0].(map[string]any)["handle"].(string)) != 32 {
		t.Errorf("sessions: %v", sessions)
	}
	e.admin("GET", "/api/admin/users/nobody", nil).want(t, http.StatusNotFound, "USER_NOT_FOUND")

	// Before disabling: a reset link, a magic link and a CLI code are open.
	ctx := context.Background()
	oldReset, err := e.resets.Issue(ctx, ada)
	must(t, err)
	oldMagic, err := e.magic.Issue(ctx, ada)
	must(t, err)
	ott := call(t, e.api, "GET", "/api/auth/one-time-token/generate", nil, "Authorization", "Bearer "+tok1).want(t, http.StatusOK, "")
	verifier := "a-code-verifier-that-is-long-enough-for-rfc-7636-0123456789"
	sess, err := e.auth.ValidateSession(ctx, tok1)
	must(t, err)
	code, err := e.cliCodes.Issue(ctx, sess, token.CodeChallengeS256(verifier), "http://127.0.0.1:9999/cb")
	must(t, err)

	// Disable: sessions end, tokens are void, every way in is refused.
	r = e.admin("POST", "/api/admin/users/"+ada+"/disable", nil).want(t, http.StatusOK, "")
	if u := r.body["user"].(map[string]any); u["disabled"] != true || u["disabledAt"] == nil {
		t.Fatalf("disabled user: %v", u)
	}
	call(t, e.api, "GET", "/api/auth/session", nil, "Authorization", "Bearer "+tok1).want(t, http.StatusUnauthorized, "")
	e.signIn("ada@example.com").want(t, http.StatusForbidden, "USER_DISABLED")
	call(t, e.api, "POST", "/api/auth/magic-link/verify", map[string]string{"token": oldMagic.String()}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
	call(t, e.api, "POST", "/api/auth/password-reset/"+oldReset.String(), map[string]string{"password": "a new long password"}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
	call(t, e.api, "POST", "/api/auth/one-time-token/verify", map[string]string{"token": ott.body["token"].(string)}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
	r = call(t, e.api, "POST", "/api/auth/cli/token", map[string]string{"code": code.String(), "code_verifier": verifier, "redirect_uri": "http://127.0.0.1:9999/cb"})
	if r.status != http.StatusBadRequest {
		t.Errorf("a CLI code of a disabled user: %d %s, want 400", r.status, r.raw)
	}
	// Tokens issued after the flag (a race, or code of the app's own)
	// still end at the core's one door.
	newMagic, err := e.magic.Issue(ctx, ada)
	must(t, err)
	call(t, e.api, "POST", "/api/auth/magic-link/verify", map[string]string{"token": newMagic.String()}).want(t, http.StatusForbidden, "USER_DISABLED")
	newReset, err := e.resets.Issue(ctx, ada)
	must(t, err)
	call(t, e.api, "POST", "/api/auth/password-reset/"+newReset.String(), map[string]string{"password": "a new long password"}).want(t, http.StatusForbidden, "USER_DISABLED")
	if e.auth.Atomic() { // the reset's transaction was rolled back: the old password stands
		e.signIn("ada@example.com").want(t, http.StatusForbidden, "USER_DISABLED")
	}
	if n := len(e.admin("GET", "/api/admin/users/"+ada, nil).want(t, http.StatusOK, "").body["sessions"].([]any)); n != 0 {
		t.Errorf("a disabled user has %d sessions", n)
	}
	e.admin("POST", "/api/admin/users/"+ada+"/password-reset", nil).want(t, http.StatusConflict, "USER_DISABLED")
	e.admin("POST", "/api/admin/users/nobody/disable", nil).want(t, http.StatusNotFound, "USER_NOT_FOUND")

	// Enable: she signs in again.
	r = e.admin("POST", "/api/admin/users/"+ada+"/enable", nil).want(t, http.StatusOK, "")
	if u := r.body["user"].(map[string]any); u["disabled"] != false {
		t.Fatalf("enabled user: %v", u)
	}
	if !e.auth.Atomic() { // without transactions the refused reset kept its password
		must(t, e.auth.InTx(ctx, func(ctx context.Context) error {
			_, err := e.auth.UpdateKeyPassword(ctx, "email", "ada@example.com", ptr(pw))
			return err
		}))
	}
	s3 := e.signIn("ada@example.com").want(t, http.StatusOK, "")

	// Revoke her sessions.
	e.admin("DELETE", "/api/admin/users/"+ada+"/sessions", nil).want(t, http.StatusNoContent, "")
	call(t, e.api, "GET", "/api/auth/session", nil, "Authorization", "Bearer "+s3.body["token"].(string)).want(t, http.StatusUnauthorized, "")
	e.admin("DELETE", "/api/admin/users/nobody/sessions", nil).want(t, http.StatusNotFound, "USER_NOT_FOUND")

	// Support links: mailed to her address, never in the answer.
	r = e.admin("POST", "/api/admin/users/"+ada+"/password-reset", nil).want(t, http.StatusAccepted, "")
	m := e.mailTo("ada@example.com", "eset", 1)
	if i := strings.Index(m.Text, "/password-reset/"); i < 0 || strings.Contains(string(r.raw), m.Text[i+16:i+26]) {
		t.Errorf("reset mail %q / answer %s", m.Text, r.raw)
	}
	e.admin("POST", "/api/admin/users/"+ada+"/password-reset", map[string]string{"link": "magic-link"}).want(t, http.StatusAccepted, "")
	e.mailTo("ada@example.com", "ign in", 1)
	e.admin("POST", "/api/admin/users/"+ada+"/password-reset", map[string]string{"link": "other"}).want(t, http.StatusBadRequest, "INVALID_LINK")

	// The audit: her activity shows each admin action, by whom; the log
	// has a line for each call, the list included.
	r = e.admin("GET", "/api/admin/users/"+ada, nil).want(t, http.StatusOK, "")
	seen := map[string]bool{}
	for _, ev := range r.body["activity"].(map[string]any)["events"].([]any) {
		ev := ev.(map[string]any)
		if strings.HasPrefix(ev["type"].(string), "admin.") {
			if ev["detail"] != "by token:ops" || ev["ip"] != "127.0.0.1" {
				t.Errorf("admin event %v", ev)
			}
			seen[ev["type"].(string)] = true
		}
	}
	for _, want := range []string{"admin.show", "admin.disable", "admin.enable", "admin.revoke-sessions", "admin.password-reset", "admin.magic-link"} {
		// A Lucia v2 database keeps no activity record: the log is the audit.
		if !seen[want] && e.auth.HasActivity() {
			t.Errorf("no %s event in %v", want, seen)
		}
	}

	// Delete: everything goes (a factor too); she is unknown afterwards.
	if e.auth.HasFactors() {
		_, err := e.auth.CreateFactor(ctx, latch.FactorRecord{ID: "f-" + ada, UserID: ada, Kind: latch.FactorTOTP, Name: "phone"})
		must(t, err)
	}
	e.admin("DELETE", "/api/admin/users/"+ada, nil).want(t, http.StatusNoContent, "")
	e.admin("GET", "/api/admin/users/"+ada, nil).want(t, http.StatusNotFound, "USER_NOT_FOUND")
	e.admin("DELETE", "/api/admin/users/"+ada, nil).want(t, http.StatusNotFound, "USER_NOT_FOUND")
	e.signIn("ada@example.com").want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if _, err := e.auth.GetKey(ctx, "email", "ada@example.com"); err == nil {
		t.Error("her key outlived her")
	}
	if evs, _, err := e.auth.ListActivity(ctx, ada, "", 0); err != nil || len(evs) != 0 {
		t.Errorf("her activity outlived her: %d events, %v", len(evs), err)
	}
	if fs, err := e.auth.ListFactors(ctx, ada); err != nil || len(fs) != 0 {
		t.Errorf("her factors outlived her: %d, %v", len(fs), err)
	}
	if e.auth.TokenStore() != nil {
		for _, kind := range []string{"magic-link", "password-reset"} {
			if toks, err := e.auth.TokenStore().ListTokens(ctx, ada, kind); err != nil || len(toks) != 0 {
				t.Errorf("her %s tokens outlived her: %d, %v", kind, len(toks), err)
			}
		}
	}
	logText := e.logText()
	for _, action := range []string{"list", "create", "show", "disable", "enable", "revoke-sessions", "password-reset", "magic-link", "delete"} {
		if !strings.Contains(logText, `"msg":"admin action","who":"token:ops","action":"`+action+`"`) {
			t.Errorf("no audit line for %s", action)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestAuthenticationBurst: simultaneous guesses get no more tries than
// guesses one after another: 5 free and 1 holding the back-off's lock.
func TestAuthenticationBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, backends[0].open(t))
	var (
		mu     sync.Mutex
		counts = map[int]int{}
		wg     sync.WaitGroup
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Not call: t.Fatal must not run outside the test's goroutine.
			req, _ := http.NewRequest("GET", e.adm.URL+"/api/admin/users", nil)
			req.Header.Set("Authorization", "Bearer wrong-"+adminToken)
			status := 0
			if res, err := http.DefaultClient.Do(req); err == nil {
				status = res.StatusCode
				res.Body.Close()
			}
			mu.Lock()
			counts[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[http.StatusUnauthorized] > 6 || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != 20 {
		t.Errorf("20 parallel wrong tokens: %v, want at most 6 answered 401 and the rest 429", counts)
	}
}

// TestBadInput: malformed input is a 4xx with a code on every backend,
// never a 500.
func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b.open(t))
			long := strings.Repeat("x", 300)
			for _, c := range []struct {
				method, path string
				body         any
				status       int
				code         string
			}{
				{"GET", "/api/admin/users?q=%ff", nil, 400, "INVALID_REQUEST"},
				{"GET", "/api/admin/users?q=a%00b", nil, 400, "INVALID_REQUEST"},
				{"GET", "/api/admin/users?q=" + long, nil, 400, "INVALID_REQUEST"},
				{"GET", "/api/admin/users?limit=x", nil, 400, "INVALID_LIMIT"},
				{"GET", "/api/admin/users?cursor=%ff", nil, 400, "INVALID_CURSOR"},
				{"GET", "/api/admin/users/%ff", nil, 404, "USER_NOT_FOUND"},
				{"GET", "/api/admin/users/a%00b", nil, 404, "USER_NOT_FOUND"},
				{"GET", "/api/admin/users/" + long, nil, 404, "USER_NOT_FOUND"},
				{"GET", "/api/admin/users/x?cursor=nonsense", nil, 404, "USER_NOT_FOUND"},
				{"POST", "/api/admin/users/%ff/disable", nil, 404, "USER_NOT_FOUND"},
				{"DELETE", "/api/admin/users/%ff", nil, 404, "USER_NOT_FOUND"},
				{"POST", "/api/admin/users", []int{1}, 400, "INVALID_BODY"},
				{"POST", "/api/admin/users", map[string]any{"email": 7}, 400, "INVALID_BODY"},
				{"POST", "/api/admin/users", json.RawMessage(`{"email":"x@example.com","password":"` + pw + `","email":"y@example.com"}`), 400, "DUPLICATE_JSON_KEY"},
				{"POST", "/api/admin/users", json.RawMessage(`{"Email":"x@example.com","password":"` + pw + `"}`), 400, "JSON_KEY_CASE"},
				{"POST", "/api/admin/users", map[string]any{"email": "x@example.com", "password": strings.Repeat("p", 70_000)}, 413, "BODY_TOO_LARGE"},
				{"POST", "/api/admin/users", map[string]any{"email": "not an address", "password": pw}, 400, "INVALID_EMAIL"},
				{"PUT", "/api/admin/users", nil, 405, "METHOD_NOT_ALLOWED"},
				{"PUT", "/api/admin/nothing", nil, 404, "NOT_FOUND"},
			} {
				r := e.admin(c.method, c.path, c.body)
				if r.status != c.status || r.code() != c.code {
					t.Errorf("%s %.60s: %d %s, want %d %s", c.method, c.path, r.status, r.raw, c.status, c.code)
				}
			}
		})
	}
}
