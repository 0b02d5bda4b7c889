package authapi_test

import (
	"testing"

	"github.com/latchauth/latch"
)

// TestStepUp: a step-up token is made by a proof, bound to the session and
// the action, used once; a user with a second factor cannot step up or act
// with the password alone.
func TestStepUp(t *testing.T) {
	forEachFactorStore(t, func(t *testing.T, e *env) {
		b, su := e.signUp("su@example.com", pw)
		uid := su.str("user", "id")
		other := e.browser()
		other.do("POST", "/api/auth/sign-in", map[string]string{"email": "su@example.com", "password": pw}).want(t, 200, "")

		e.api().do("POST", "/api/auth/step-up", map[string]string{"action": "change-password", "method": "password", "password": pw}).want(t, 401, "UNAUTHORIZED")
		b.do("POST", "/api/auth/step-up", map[string]string{"action": "launch-rockets", "method": "password", "password": pw}).want(t, 400, "INVALID_ACTION")
		b.do("POST", "/api/auth/step-up", map[string]string{"action": "change-password", "method": "telepathy"}).want(t, 400, "INVALID_METHOD")
		b.do("POST", "/api/auth/step-up", map[string]string{"action": "change-password", "method": "password", "password": "wrong password"}).want(t, 401, "INVALID_CREDENTIALS")

		stepUp := func(c *client, action string) string {
			t.Helper()
			r := c.do("POST", "/api/auth/step-up", map[string]string{"action": action, "method": "password", "password": pw}).want(t, 200, "")
			if r.str("stepUpToken") == "" || r.str("expiresAt") == "" {
				t.Fatalf("step-up: %s", r.raw)
			}
			return r.str("stepUpToken")
		}
		// Made for another action, or shown by another session: refused.
		tok := stepUp(b, "delete-account")
		b.do("POST", "/api/auth/password", map[string]string{"stepUpToken": tok, "newPassword": "a new password"}).want(t, 403, "STEP_UP_REQUIRED")
		tok = stepUp(b, "change-password")
		other.do("POST", "/api/auth/password", map[string]string{"stepUpToken": tok, "newPassword": "a new password"}).want(t, 403, "STEP_UP_REQUIRED")
		// ...and that showing used it up.
		b.do("POST", "/api/auth/password", map[string]string{"stepUpToken": tok, "newPassword": "a new password"}).want(t, 403, "STEP_UP_REQUIRED")
		// Expired after five minutes.
		tok = stepUp(b, "change-password")
		e.clock.Advance(5*60e9 + 1)
		b.do("POST", "/api/auth/password", map[string]string{"stepUpToken": tok, "newPassword": "a new password"}).want(t, 403, "STEP_UP_REQUIRED")

		tok = stepUp(b, "change-password")
		r := b.do("POST", "/api/auth/password", map[string]string{"stepUpToken": tok, "newPassword": "a new password"}).want(t, 200, "")
		if r.str("user", "id") != uid {
			t.Fatalf("change: %s", r.raw)
		}
		b.do("POST", "/api/auth/password", map[string]string{"stepUpToken": tok, "newPassword": "another password"}).want(t, 403, "STEP_UP_REQUIRED")

		// With a second factor, the password alone neither steps up nor acts.
		if _, err := e.auth.CreateFactor(t.Context(), latch.FactorRecord{ID: "f-" + uid, UserID: uid, Kind: latch.FactorTOTP}); err != nil {
			t.Fatal(err)
		}
		b.do("POST", "/api/auth/step-up", map[string]string{"action": "change-email", "method": "password", "password": "a new password"}).want(t, 403, "FACTOR_REQUIRED")
		b.do("POST", "/api/auth/password", map[string]string{"currentPassword": "a new password", "newPassword": "third password"}).want(t, 403, "FACTOR_REQUIRED")
		b.do("POST", "/api/auth/email", map[string]string{"password": "a new password", "newEmail": "new@example.com"}).want(t, 403, "FACTOR_REQUIRED")
		b.do("DELETE", "/api/auth/account", map[string]string{"password": "a new password"}).want(t, 403, "FACTOR_REQUIRED")
		b.do("GET", "/api/auth/session", nil).want(t, 200, "")
	})
}
