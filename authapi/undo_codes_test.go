package authapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchauth/latch/mfa"
)

// TestUndoTakesRecoveryCodes: the recovery codes of a TOTP factor that an
// undo removes go with it (left behind, they would be the only second
// factor the owner is asked for, and only whoever enrolled holds them),
// and codes made since the undone change go even where the factor stays.
// Codes made before the change stay.
func TestUndoTakesRecoveryCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		if !e.auth.HasFactors() {
			t.Skip("this store keeps no factors yet")
		}
		ts := e.auth.TokenStore()
		codesOf := func(uid string) int {
			t.Helper()
			recs, err := ts.ListTokens(t.Context(), uid, "recovery-code")
			if err != nil {
				t.Fatal(err)
			}
			return len(recs)
		}

		// Someone in the owner's session enrols TOTP; the owner undoes it
		// from the notice and gets in with the mailed reset alone.
		const addr = "undo-codes@example.com"
		b, su := e.signUp(addr, pw)
		uid := su.str("user", "id")
		// A verified address: the reset below is then no claim of the
		// mailbox (which would remove every factor by itself).
		b.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeIn(t, e.mailTo(addr, "", 1))}).want(t, http.StatusOK, "")
		enrolTOTP(t, e, b)
		if n := codesOf(uid); n != 10 {
			t.Fatalf("%d recovery codes after enrolment", n)
		}
		tok := undoToken(t, e, addr, "sign-in method was added", 1)
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": tok}).want(t, http.StatusOK, "")
		if fs, _ := e.auth.ListFactors(t.Context(), uid); len(fs) != 0 {
			t.Errorf("factors after the undo: %+v", fs)
		}
		if n := codesOf(uid); n != 0 {
			t.Errorf("%d recovery codes left after the undo of their factor", n)
		}
		rlink := linkIn(t, e.mailTo(addr, "Reset your", 1), "/password-reset/")
		r := e.api().do("POST", "/api/auth"+rlink, map[string]string{"password": "the owner's new password"}).want(t, http.StatusOK, "")
		if r.val("twoFactorRequired") != nil || r.str("token") == "" {
			t.Fatalf("the owner's reset after the undo asks for a second factor: %s", r.raw)
		}

		// The owner's own TOTP and codes; the password changes, then new
		// codes are made: undoing the change takes the new codes (whoever
		// changed the password saw them) and keeps the factor.
		const addr2 = "undo-codes-2@example.com"
		b2, su2 := e.signUp(addr2, pw)
		uid2 := su2.str("user", "id")
		secret, before := enrolTOTP(t, e, b2)
		e.clock.Advance(time.Minute)
		step := stepUpWith(t, b2, "change-password", map[string]string{"method": "recovery-code", "code": before[0]})
		b2.do("POST", "/api/auth/password", map[string]string{"stepUpToken": step, "newPassword": "a new password"}).want(t, http.StatusOK, "")
		pwUndo := undoToken(t, e, addr2, "password was changed", 1)

		if n := codesOf(uid2); n != 9 {
			t.Fatalf("%d recovery codes before the undo, want 9", n)
		}

		e.clock.Advance(mfa.TOTPPeriod)
		step = stepUpWith(t, b2, "recovery-codes", map[string]string{"method": "totp", "code": totpAt(t, secret, e.clock.Now())})
		b2.do("POST", "/api/auth/two-factor/recovery-codes", map[string]string{"stepUpToken": step}).want(t, http.StatusOK, "")
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": pwUndo}).want(t, http.StatusOK, "")
		if fs, _ := e.auth.ListFactors(t.Context(), uid2); len(fs) != 1 {
			t.Errorf("factors after the undo of the password change: %+v, want the owner's TOTP", fs)
		}
		if n := codesOf(uid2); n != 0 {
			t.Errorf("%d recovery codes made after the undone change are left", n)
		}
	})
}

// TestUndoKeepsOlderRecoveryCodes: an undo of a change after which no
// codes were made keeps the owner's codes.
func TestUndoKeepsOlderRecoveryCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		if !e.auth.HasFactors() {
			t.Skip("this store keeps no factors yet")
		}
		const addr = "undo-keep-codes@example.com"
		b, su := e.signUp(addr, pw)
		uid := su.str("user", "id")
		_, codes := enrolTOTP(t, e, b)
		e.clock.Advance(time.Minute)
		step := stepUpWith(t, b, "change-password", map[string]string{"method": "recovery-code", "code": codes[0]})
		b.do("POST", "/api/auth/password", map[string]string{"stepUpToken": step, "newPassword": "a new password"}).want(t, http.StatusOK, "")
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": undoToken(t, e, addr, "password was changed", 1)}).want(t, http.StatusOK, "")
		recs, err := e.auth.TokenStore().ListTokens(t.Context(), uid, "recovery-code")
		if err != nil || len(recs) != 9 {
			t.Errorf("recovery codes after the undo: %d (%v), want the owner's 9", len(recs), err)
		}
	})
}
