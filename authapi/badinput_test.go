package authapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
)

func TestBodies(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	big := `{"email":"a@example.com","password":"` + strings.Repeat("x", authapi.MaxBodyBytes) + `"}`
	exact := `{"email":"x@example.com","password":"` + strings.Repeat("y", 100) + `","pad":"`
	exact += strings.Repeat(" ", authapi.MaxBodyBytes-len(exact)-2) + `"}`
	cases := []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"over 64 KiB", "/api/auth/sign-in", big, 413, "BODY_TOO_LARGE"},
		{"64 KiB + 1 streamed", "/api/auth/sign-up", io.MultiReader(strings.NewReader(exact[:len(exact)-1]), strings.NewReader(" "+exact[len(exact)-1:])), 413, "BODY_TOO_LARGE"},
		{"exactly 64 KiB", "/api/auth/sign-in", exact, 401, "INVALID_CREDENTIALS"},
		{"malformed", "/api/auth/sign-in", `{"email":`, 400, "INVALID_BODY"},
		{"not an object", "/api/auth/sign-in", `["a@example.com"]`, 400, "INVALID_BODY"},
		{"null", "/api/auth/sign-up", `null`, 400, "INVALID_BODY"},
		{"empty", "/api/auth/sign-up", ``, 400, "INVALID_BODY"},
		{"trailing garbage", "/api/auth/sign-in", `{"email":"a@example.com","password":"12345678"} x`, 400, "INVALID_BODY"},
		{"wrong type", "/api/auth/sign-in", `{"email":12,"password":"12345678"}`, 400, "INVALID_BODY"},
		{"unknown fields tolerated", "/api/auth/sign-in", `{"email":"a@example.com","password":"12345678","rememberMe":true}`, 401, "INVALID_CREDENTIALS"},
		{"not UTF-8", "/api/auth/sign-up", "{\"email\":\"a\xff@example.com\",\"password\":\"12345678\"}", 400, "INVALID_EMAIL"},
		{"NUL in email", "/api/auth/sign-up", `{"email":"a\u0000b@example.com","password":"12345678"}`, 400, "INVALID_EMAIL"},
		{"duplicate key", "/api/auth/sign-in", `{"email":"a@example.com","password":"x","password":"12345678"}`, 400, "DUPLICATE_JSON_KEY"},
		{"case-variant key", "/api/auth/sign-in", `{"email":"a@example.com","Email":"b@example.com","password":"12345678"}`, 400, "DUPLICATE_JSON_KEY"},
		{"Kelvin-sign variant key", "/api/auth/magic-link", `{"email":"a@example.com","callbackURL":"/y","callbac\u212aURL":"/x"}`, 400, "DUPLICATE_JSON_KEY"},
		{"duplicate of an unknown key", "/api/auth/sign-up", `{"email":"a@example.com","password":"12345678","x":1,"X":2}`, 400, "DUPLICATE_JSON_KEY"},
		{"duplicate in a nested object", "/api/auth/sign-in", `{"email":"a@example.com","password":"12345678","meta":{"a":1,"a":2}}`, 400, "DUPLICATE_JSON_KEY"},
		{"field named in another case", "/api/auth/sign-in", `{"emAil":"a@example.com","pAssword":"12345678"}`, 400, "JSON_KEY_CASE"},
		{"field named with a long s", "/api/auth/sign-in", "{\"email\":\"a@example.com\",\"pa\u017fsword\":\"12345678\"}", 400, "JSON_KEY_CASE"},
		{"same key in sibling objects", "/api/auth/sign-in", `{"email":"a@example.com","password":"12345678","m":[{"a":1},{"a":2}]}`, 401, "INVALID_CREDENTIALS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.api().do("POST", tc.path, tc.body)
			r.want(t, tc.status, tc.code)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	// The streamed body really had no Content-Length.
	if len(exact) != authapi.MaxBodyBytes {
		t.Fatalf("exact body is %d bytes", len(exact))
	}
}

func TestRoutesAndMethods(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	e.api().do("GET", "/api/auth/nothing-here", nil).want(t, 404, "NOT_FOUND")
	e.api().do("GET", "/api/other", nil).want(t, 404, "NOT_FOUND")
	r := e.api().do("GET", "/api/auth/sign-in", nil).want(t, 405, "METHOD_NOT_ALLOWED")
	if r.header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	r = e.api().do("PUT", "/api/auth/sessions", nil).want(t, 405, "METHOD_NOT_ALLOWED")
	if r.header.Get("Allow") != "DELETE, GET, HEAD" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	e.api().do("GET", "/api/auth/email-verification/verify", nil).want(t, 405, "METHOD_NOT_ALLOWED")
}

func TestMalformedCredentials(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	_, s := e.signUp("cookie@example.com", pw)
	_ = s
	huge := strings.Repeat("a", 1<<20)
	headers := []struct {
		name string
		kv   []string
	}{
		{"garbage cookie", []string{"Cookie", "auth_session=%%%garbage%%%"}},
		{"empty cookie", []string{"Cookie", "auth_session="}},
		{"quoted cookie", []string{"Cookie", `auth_session="abc"`}},
		{"long cookie", []string{"Cookie", "auth_session=" + strings.Repeat("z", 4000)}},
		{"high bytes", []string{"Cookie", "auth_session=abc\xff\xfedef"}},
		{"two cookies", []string{"Cookie", "auth_session=abc; auth_session=def"}},
		{"bearer empty", []string{"Authorization", "Bearer "}},
		{"bearer garbage", []string{"Authorization", "Bearer !!!"}},
		{"basic", []string{"Authorization", "Basic YTpi"}},
		{"bearer long", []string{"Authorization", "Bearer " + strings.Repeat("b", 10000)}},
	}
	for _, hc := range headers {
		t.Run(hc.name, func(t *testing.T) {
			e.api().do("GET", "/api/auth/session", nil, hc.kv...).want(t, 401, "UNAUTHORIZED")
		})
	}
	t.Run("1 MB Authorization", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/auth/session", nil)
		req.Header.Set("Authorization", "Bearer "+huge)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// The server refuses the header block (431) or the handler finds no
		// session (401); never a 5xx.
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge && res.StatusCode != http.StatusUnauthorized {
			t.Errorf("1 MB Authorization: %d %s", res.StatusCode, body)
		}
	})
}

func TestOrigin(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	a, _ := e.signUp("origin@example.com", pw)
	evil := func(c *client) *client { c.origin = "https://evil.example"; return c }
	// With the session cookie, a foreign Origin is refused, and so is none.
	evil(a).do("POST", "/api/auth/sign-out", nil).want(t, 403, "INVALID_ORIGIN")
	evil(a).do("DELETE", "/api/auth/sessions", nil).want(t, 403, "INVALID_ORIGIN")
	a.origin = ""
	a.do("POST", "/api/auth/sign-out", nil).want(t, 403, "INVALID_ORIGIN")
	a.origin = e.srv.URL
	a.do("GET", "/api/auth/session", nil).want(t, 200, "")
	// Without a cookie a foreign browser page cannot sign anyone in either.
	evil(e.browser()).do("POST", "/api/auth/sign-in", map[string]string{"email": "origin@example.com", "password": pw}).
		want(t, 403, "INVALID_ORIGIN")
	evil(e.browser()).do("POST", "/api/auth/sign-up", map[string]string{"email": "o2@example.com", "password": pw}).
		want(t, 403, "INVALID_ORIGIN")
	// An API client sends no Origin and no cookie.
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "origin@example.com", "password": pw}).want(t, 200, "")
}

// panicStore panics where sign-in reads the key.
type panicStore struct{ latch.Store }

func (panicStore) GetKey(context.Context, string) (latch.KeyRecord, error) {
	panic("secret detail that must not leak")
}

func TestPanicIsAPlain500(t *testing.T) {
	e := newEnv(t, panicStore{memory.New()}, nil)
	r := e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "p@example.com", "password": pw}).want(t, 500, "INTERNAL")
	if strings.Contains(string(r.raw), "secret") || strings.Contains(string(r.raw), "goroutine") {
		t.Errorf("500 body leaks: %s", r.raw)
	}
	// The server goes on serving.
	e.api().do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
}
