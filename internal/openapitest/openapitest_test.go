package openapitest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/openapitest"
)

// TestCheckerCatches feeds the Checker answers the code might drift to and
// wants each refused with a message that says what to add and where.
func TestCheckerCatches(t *testing.T) {
	c, err := openapitest.New(authapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	const user = `{"id":"u1","email":"a@example.com","emailVerified":false}`
	const session = `{"id":"0123456789abcdef0123456789abcdef","activeExpires":"2026-01-01T00:00:00Z","idleExpires":"2026-01-01T00:00:00Z","fresh":true}`
	for _, tc := range []struct {
		name         string
		method, path string
		reqBody      string
		status       int
		resBody      string
		want         string // in the one problem; "" for none
	}{
		{"documented answer", "POST", "/api/auth/sign-in", `{"email":"a@example.com","password":"pw"}`, 200,
			`{"user":` + user + `,"session":` + session + `}`, ""},
		{"documented error", "POST", "/api/auth/sign-in", `{}`, 401,
			`{"error":{"code":"INVALID_CREDENTIALS","message":"wrong"}}`, ""},
		{"catch-all 404", "GET", "/api/auth/nothing-here", "", 404,
			`{"error":{"code":"NOT_FOUND","message":"no"}}`, ""},
		{"405 on a documented path", "PUT", "/api/auth/session", "", 405,
			`{"error":{"code":"METHOD_NOT_ALLOWED","message":"no"}}`, ""},
		// The admin API (latchd's admin listener) is checked like the rest.
		{"admin answer", "GET", "/api/admin/users", "", 200, `{"users":[{"id":"u1","email":"a@example.com","emailVerified":false,"disabled":false}],"next":""}`, ""},
		{"admin answer checked", "GET", "/api/admin/users", "", 200, `{}`,
			`the answer does not match "paths"."/api/admin/users".get.responses."200"`},
		{"admin unlisted code", "POST", "/api/admin/users/u1/disable", "", 409,
			`{"error":{"code":"USER_DISABLED","message":"no"}}`, `add "409" to "paths"."/api/admin/users/{id}/disable".post.responses`},
		// It authenticates before its catch-all 404, a wrong method included.
		{"admin catch-all 401", "GET", "/api/admin/nothing", "", 401,
			`{"error":{"code":"ADMIN_UNAUTHORIZED","message":"no"}}`, ""},
		{"admin wrong method 404", "PUT", "/api/admin/users", "", 404,
			`{"error":{"code":"NOT_FOUND","message":"no"}}`, ""},
		// latchd's public listener does not serve the admin paths.
		{"admin path on another listener", "GET", "/api/admin/users", "", 404,
			`{"error":{"code":"NOT_FOUND","message":"no"}}`, ""},
		{"admin missing user", "GET", "/api/admin/users/u1", "", 404,
			`{"error":{"code":"NO_SUCH_USER","message":"no"}}`, `add "NO_SUCH_USER" to the code enum of "paths"."/api/admin/users/{id}".get.responses."404"`},
		{"undocumented path", "GET", "/api/auth/new-thing", "", 200, `{}`,
			`add "/api/auth/new-thing" (with {name} for its variable segments) to "paths"`},
		{"undocumented method", "PUT", "/api/auth/session", "", 200, `{}`,
			`add "put" under "paths"."/api/auth/session"`},
		{"undocumented status", "POST", "/api/auth/sign-in", `{}`, 418,
			`{"error":{"code":"TEAPOT","message":"no"}}`, `add "418" to "paths"."/api/auth/sign-in".post.responses`},
		{"unlisted code", "POST", "/api/auth/sign-in", `{}`, 401,
			`{"error":{"code":"TWO_FACTOR_REQUIRED","message":"no"}}`, `add "TWO_FACTOR_REQUIRED" to the code enum of "paths"."/api/auth/sign-in".post.responses."401"`},
		{"unlisted code of a shared response", "POST", "/api/auth/sign-in", `{}`, 503,
			`{"error":{"code":"DOWN","message":"no"}}`, `refers to the shared response "components"."responses"."Unavailable" (STORE_UNAVAILABLE, SERVER_BUSY): replace that $ref with the operation's own response listing STORE_UNAVAILABLE, SERVER_BUSY and DOWN`},
		{"undocumented field", "GET", "/api/auth/session", "", 200,
			`{"user":` + user + `,"session":` + session + `,"extra":1}`, `the answer does not match "paths"."/api/auth/session".get.responses."200"`},
		{"missing field", "GET", "/api/auth/session", "", 200,
			`{"user":` + user + `}`, `the answer does not match`},
		{"accepted an invalid request", "POST", "/api/auth/sign-in", `{"email":1}`, 200,
			`{"user":` + user + `,"session":` + session + `}`, `the server accepted a request that does not match "paths"."/api/auth/sign-in".post`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.reqBody))
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer a-session-token")
			res := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}}
			got := c.Check(req, []byte(tc.reqBody), res, []byte(tc.resBody))
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("problems with a documented exchange:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) || !strings.Contains(got[0], openapitest.File) {
				t.Fatalf("got %d problems:\n%s\nwant one saying %q in %s", len(got), strings.Join(got, "\n"), tc.want, openapitest.File)
			}
		})
	}
}
