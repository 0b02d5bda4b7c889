package authapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// TestSessionHandlesHideTokens: under the lucia2 profile a session's stored
// id is its token, the bearer secret. No answer, list or page of the API
// may show it; sessions are listed and revoked by an opaque handle (issue
// 21, item 5).
func TestSessionHandlesHideTokens(t *testing.T) {
	t.Parallel()
	e := newSplitEnv(t, latch.Config{Store: memory.New(), Profile: latch.ProfileLucia2}, nil)
	a, r := e.signUp("lu@example.com", pw)
	tokens := map[string]string{"a": cookie(r, "auth_session").Value}
	b := e.browser()
	r = b.do("POST", "/api/auth/sign-in", map[string]string{"email": "lu@example.com", "password": pw}).want(t, http.StatusOK, "")
	tokens["b"] = cookie(r, "auth_session").Value
	app := e.api()
	app.bearer = app.do("POST", "/api/auth/sign-in", map[string]string{"email": "lu@example.com", "password": pw}).want(t, http.StatusOK, "").str("token")
	tokens["app"] = app.bearer
	for name, tok := range tokens {
		if tok == "" || e.auth.SessionID(tok) != tok {
			t.Fatalf("session %s: token %q is not its stored id: the test proves nothing", name, tok)
		}
	}

	answers := map[string]*response{
		"GET /api/auth/session":           a.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, ""),
		"GET /api/auth/sessions":          a.do("GET", "/api/auth/sessions", nil).want(t, http.StatusOK, ""),
		"GET /api/auth/sessions (bearer)": app.do("GET", "/api/auth/sessions", nil).want(t, http.StatusOK, ""),
		"GET /account":                    a.do("GET", "/account", nil).want(t, http.StatusOK, ""),
	}
	for what, ans := range answers {
		for name, tok := range tokens {
			if strings.Contains(string(ans.raw), tok) {
				t.Errorf("%s shows the token of session %s: %.600s", what, name, ans.raw)
			}
		}
	}

	// The handles revoke, from the API and from the account page; the
	// stored ids do not.
	bHandle := b.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").str("session", "id")
	list, _ := answers["GET /api/auth/sessions"].val("sessions").([]any)
	found := false
	for _, x := range list {
		found = found || x.(map[string]any)["id"] == bHandle
	}
	if len(list) != 3 || !found {
		t.Fatalf("sessions %s: want 3 with b's handle %s", answers["GET /api/auth/sessions"].raw, bHandle)
	}
	if !strings.Contains(answers["GET /account"].html(), bHandle) {
		t.Errorf("the account page does not list b's handle %s", bHandle)
	}
	a.do("DELETE", "/api/auth/sessions/"+tokens["b"], nil).want(t, http.StatusNotFound, "SESSION_NOT_FOUND")
	b.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	a.do("DELETE", "/api/auth/sessions/"+bHandle, nil).want(t, http.StatusNoContent, "")
	b.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")

	appHandle := app.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").str("session", "id")
	if r := a.form("/account/sessions/"+tokens["app"]+"/revoke", nil); r.status != http.StatusNotFound {
		t.Errorf("revoking by the stored id from the page: %d, want 404", r.status)
	}
	app.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	wantRedirect(t, a.form("/account/sessions/"+appHandle+"/revoke", nil), "/account?m=session-revoked")
	app.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
}
