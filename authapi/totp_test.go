package authapi_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
)

// stepUpWith makes a step-up token for action with a proof.
func stepUpWith(t *testing.T, c *client, action string, proof map[string]string) string {
	t.Helper()
	body := map[string]string{"action": action}
	for k, v := range proof {
		body[k] = v
	}
	r := c.do("POST", "/api/auth/step-up", body).want(t, 200, "")
	return r.str("stepUpToken")
}

func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := mfa.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrolTOTP enrols an authenticator for the signed-in client and returns
// its secret and recovery codes.
func enrolTOTP(t *testing.T, e *env, c *client) (string, []string) {
	t.Helper()
	tok := stepUpWith(t, c, "add-factor", map[string]string{"method": "password", "password": pw})
	r := c.do("POST", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok}).want(t, 200, "")
	secret := r.str("secret")
	r = c.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": totpAt(t, secret, e.clock.Now())}).want(t, 200, "")
	var codes []string
	for _, v := range r.val("recoveryCodes").([]any) {
		codes = append(codes, v.(string))
	}
	return secret, codes
}

// TestTOTPEnrolment: enrol (step-up first, confirmed by a first code),
// then the factor is required for step-up; disable takes the factor and
// its recovery codes away.
func TestTOTPEnrolment(t *testing.T) {
	forEachFactorStore(t, func(t *testing.T, e *env) {
		b, su := e.signUp("totp@example.com", pw)
		uid := su.str("user", "id")
		e.api().do("POST", "/api/auth/two-factor/totp", map[string]string{}).want(t, 401, "UNAUTHORIZED")
		b.do("POST", "/api/auth/two-factor/totp", map[string]string{}).want(t, 403, "STEP_UP_REQUIRED")
		b.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": "123456"}).want(t, 400, "NO_TOTP_ENROLMENT")
		// A token made for another action does not do.
		tok := stepUpWith(t, b, "remove-factor", map[string]string{"method": "password", "password": pw})
		b.do("POST", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok}).want(t, 403, "STEP_UP_REQUIRED")

		tok = stepUpWith(t, b, "add-factor", map[string]string{"method": "password", "password": pw})
		r := b.do("POST", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok}).want(t, 200, "")
		secret, uri, qr := r.str("secret"), r.str("uri"), r.str("qr")
		if len(secret) != 32 || !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "totp@example.com") ||
			!strings.HasPrefix(qr, "data:image/png;base64,") {
			t.Fatalf("enrolment: %s", r.raw)
		}
		// Pending, not a factor yet: the password still steps up.
		stepUpWith(t, b, "change-email", map[string]string{"method": "password", "password": pw})
		// Another session of the user cannot confirm this session's enrolment.
		other := e.browser()
		other.do("POST", "/api/auth/sign-in", map[string]string{"email": "totp@example.com", "password": pw}).want(t, 200, "")
		other.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": totpAt(t, secret, e.clock.Now())}).want(t, 400, "NO_TOTP_ENROLMENT")
		b.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": "12345"}).want(t, 401, "INVALID_TWO_FACTOR_CODE")
		b.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": totpAt(t, secret, e.clock.Now().Add(-2*mfa.TOTPPeriod))}).want(t, 401, "INVALID_TWO_FACTOR_CODE")
		r = b.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": totpAt(t, secret, e.clock.Now())}).want(t, 200, "")
		codes := r.val("recoveryCodes").([]any)
		if len(codes) != 10 {
			t.Fatalf("confirm: %s", r.raw)
		}
		// Used up: a second confirmation finds nothing.
		b.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": totpAt(t, secret, e.clock.Now())}).want(t, 400, "NO_TOTP_ENROLMENT")
		if m := e.mailTo("totp@example.com", "sign-in method was added", 1); !strings.Contains(m, "/undo/") {
			t.Errorf("the notice of a new factor has no undo link: %q", m)
		}

		// The secret is not in the store in the clear, as text or as bytes.
		fs, err := e.auth.ListFactors(t.Context(), uid)
		if err != nil || len(fs) != 1 || fs[0].Kind != latch.FactorTOTP {
			t.Fatalf("factors %+v, %v", fs, err)
		}
		raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		if bytes.Contains(fs[0].Data, []byte(secret)) || bytes.Contains(fs[0].Data, raw) || len(fs[0].Data) < len(raw)+16 {
			t.Fatalf("factor data holds the secret: %q", fs[0].Data)
		}
		if _, ok := mfa.KeyID(fs[0].Data); !ok {
			t.Fatalf("factor data is not sealed with a key id")
		}

		// Now the password alone no longer steps up; the code does, once.
		b.do("POST", "/api/auth/step-up", map[string]string{"action": "add-factor", "method": "password", "password": pw}).want(t, 403, "FACTOR_REQUIRED")
		b.do("POST", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": "x"}).want(t, 409, "TOTP_ALREADY_ENABLED")
		// The confirming code's step is used: the same code again is a replay.
		b.do("POST", "/api/auth/step-up", map[string]string{"action": "remove-factor", "method": "totp", "code": totpAt(t, secret, e.clock.Now())}).want(t, 401, "INVALID_TWO_FACTOR_CODE")
		e.clock.Advance(mfa.TOTPPeriod)
		tok = stepUpWith(t, b, "remove-factor", map[string]string{"method": "totp", "code": totpAt(t, secret, e.clock.Now())})

		b.do("DELETE", "/api/auth/two-factor/totp", map[string]string{}).want(t, 403, "STEP_UP_REQUIRED")
		b.do("DELETE", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok}).want(t, 204, "")
		b.do("DELETE", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok}).want(t, 404, "TOTP_NOT_ENABLED")
		if fs, _ := e.auth.ListFactors(t.Context(), uid); len(fs) != 0 {
			t.Fatalf("factors left: %+v", fs)
		}
		// The recovery codes went with it; the password steps up again.
		b.do("POST", "/api/auth/step-up", map[string]string{"action": "add-factor", "method": "recovery-code", "code": codes[0].(string)}).want(t, 400, "INVALID_METHOD")
		stepUpWith(t, b, "add-factor", map[string]string{"method": "password", "password": pw})
		if m := e.mailTo("totp@example.com", "sign-in method was removed", 1); !strings.Contains(m, "/undo/") {
			t.Errorf("the notice of a removed factor has no undo link: %q", m)
		}
	})
}

// TestTOTPWithoutFactorStore: where no store keeps factors (here a user
// store that is no latch.FactorStore), enrolment answers
// TWO_FACTOR_DISABLED after the step-up instead of failing.
func TestTOTPWithoutFactorStore(t *testing.T) {
	t.Parallel()
	m := memory.New()
	e := newSplitEnv(t, latch.Config{Users: usersOnly{m}, Keys: m, Sessions: m, Tokens: m}, nil)
	if e.auth.HasFactors() {
		t.Fatal("the Auth found a factor store behind usersOnly")
	}
	b, _ := e.signUp("nofactors@example.com", pw)
	tok := stepUpWith(t, b, "add-factor", map[string]string{"method": "password", "password": pw})
	b.do("POST", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok}).want(t, 404, "TWO_FACTOR_DISABLED")
}

// usersOnly hides every method of a user store but latch.UserStore's.
type usersOnly struct{ latch.UserStore }

// TestTOTPCodes: with an injected clock, a code one step early or late is
// accepted, two steps off refused; a step is accepted once; wrong codes
// are throttled per user.
func TestTOTPCodes(t *testing.T) {
	forEachFactorStore(t, func(t *testing.T, e *env) {
		b, _ := e.signUp("codes@example.com", pw)
		secret, _ := enrolTOTP(t, e, b)
		step := func(code string) *response {
			return b.do("POST", "/api/auth/step-up", map[string]string{"action": "change-email", "method": "totp", "code": code})
		}
		for _, tc := range []struct {
			name   string
			offset int
			ok     bool
		}{
			{"two steps early", -2, false}, {"one step early", -1, true}, {"one step late", 1, true},
			{"two steps late", 2, false}, {"now", 0, true},
		} {
			e.clock.Advance(3 * mfa.TOTPPeriod) // fresh steps each time
			r := step(totpAt(t, secret, e.clock.Now().Add(time.Duration(tc.offset)*mfa.TOTPPeriod)))
			if (r.status == 200) != tc.ok {
				t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
			}
			if tc.ok { // replaying the accepted code is refused
				step(totpAt(t, secret, e.clock.Now().Add(time.Duration(tc.offset)*mfa.TOTPPeriod))).want(t, 401, "INVALID_TWO_FACTOR_CODE")
			}
		}
		// Spaces are fine; letters are a wrong code, not a 500.
		e.clock.Advance(3 * mfa.TOTPPeriod)
		c := totpAt(t, secret, e.clock.Now())
		step(c[:3]+" "+c[3:]).want(t, 200, "")
		step("abcdef").want(t, 401, "INVALID_TWO_FACTOR_CODE")

		// Too many wrong codes: 5 free (the letters above count: a success
		// clears the count, a failure after it starts it again), then 1 s
		// doubling; the right code waits too.
		e.clock.Advance(3 * mfa.TOTPPeriod)
		wrong := "000000"
		if totpAt(t, secret, e.clock.Now()) == wrong {
			wrong = "111111"
		}
		for range 5 {
			step(wrong).want(t, 401, "INVALID_TWO_FACTOR_CODE")
		}
		step(wrong).want(t, 429, "TOO_MANY_REQUESTS")
		if wait := retryAfter(t, step(totpAt(t, secret, e.clock.Now())).want(t, 429, "TOO_MANY_REQUESTS")); wait != time.Second {
			t.Errorf("Retry-After %v after the sixth wrong code, want 1s", wait)
		}
		if e.throttleRealTime {
			return // the back-off ends in real time, which the test does not wait for
		}
		e.clock.Advance(2 * time.Second)
		step(totpAt(t, secret, e.clock.Now())).want(t, 200, "")
	})
}

// TestRecoveryCodes: each code works once, typed in any case; new codes
// void the old; a password change keeps them.
func TestRecoveryCodes(t *testing.T) {
	forEachFactorStore(t, func(t *testing.T, e *env) {
		b, _ := e.signUp("rc@example.com", pw)
		secret, codes := enrolTOTP(t, e, b)
		if len(codes) != 10 {
			t.Fatalf("%d codes", len(codes))
		}
		rc := func(action, code string) *response {
			return b.do("POST", "/api/auth/step-up", map[string]string{"action": action, "method": "recovery-code", "code": code})
		}
		rc("change-email", strings.ToUpper(codes[0])).want(t, 200, "")
		if m := e.mailTo("rc@example.com", "recovery code", 1); !strings.Contains(m, "9 recovery codes are left") {
			t.Fatalf("notice: %s", m)
		}
		rc("change-email", codes[0]).want(t, 401, "INVALID_TWO_FACTOR_CODE")
		rc("change-email", "not a code!").want(t, 401, "INVALID_TWO_FACTOR_CODE")

		// A password change (stepped up with a code) keeps the other codes.
		tok := rc("change-password", codes[1]).want(t, 200, "").str("stepUpToken")
		b.do("POST", "/api/auth/password", map[string]string{"stepUpToken": tok, "newPassword": "a new password"}).want(t, 200, "")
		rc("change-email", codes[2]).want(t, 200, "")

		// New codes: the old ones are void.
		b.do("POST", "/api/auth/two-factor/recovery-codes", map[string]string{}).want(t, 403, "STEP_UP_REQUIRED")
		e.clock.Advance(mfa.TOTPPeriod)
		tok = stepUpWith(t, b, "recovery-codes", map[string]string{"method": "totp", "code": totpAt(t, secret, e.clock.Now())})
		r := b.do("POST", "/api/auth/two-factor/recovery-codes", map[string]string{"stepUpToken": tok}).want(t, 200, "")
		fresh := r.val("recoveryCodes").([]any)
		if len(fresh) != 10 || fresh[0].(string) == codes[3] {
			t.Fatalf("new codes: %s", r.raw)
		}
		rc("change-email", codes[3]).want(t, 401, "INVALID_TWO_FACTOR_CODE")
		rc("change-email", fresh[3].(string)).want(t, 200, "")

		// A user without a factor has no recovery codes to make.
		c, _ := e.signUp("nofactor@example.com", pw)
		tok = stepUpWith(t, c, "recovery-codes", map[string]string{"method": "password", "password": pw})
		c.do("POST", "/api/auth/two-factor/recovery-codes", map[string]string{"stepUpToken": tok}).want(t, 409, "NO_SECOND_FACTOR")
	})
}

// TestTwoFactorRemoval: the factor and its recovery codes go with the
// account's removal by an administrator, with a claim of the mailbox
// (someone set them up before the address was proven), and with the user.
func TestTwoFactorRemoval(t *testing.T) {
	forEachFactorStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		recoveryCodes := func(uid string) int {
			recs, err := e.auth.TokenStore().ListTokens(ctx, uid, "recovery-code")
			if err != nil {
				t.Fatal(err)
			}
			return len(recs)
		}

		// An administrator removes them (a lost phone): sessions end, mail.
		b, su := e.signUp("lost@example.com", pw)
		uid := su.str("user", "id")
		enrolTOTP(t, e, b)
		if n, err := e.h.RemoveFactors(ctx, uid); err != nil || n != 1 {
			t.Fatalf("RemoveFactors: %d, %v; want 1", n, err)
		}
		if fs, _ := e.auth.ListFactors(ctx, uid); len(fs) != 0 || recoveryCodes(uid) != 0 {
			t.Fatalf("after removal: %d factors, %d codes", len(fs), recoveryCodes(uid))
		}
		b.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		e.mailTo("lost@example.com", "second factors", 1)
		// Nothing left: nothing changes.
		if n, err := e.h.RemoveFactors(ctx, uid); err != nil || n != 0 {
			t.Fatalf("RemoveFactors again: %d, %v; want 0", n, err)
		}
		if _, err := e.h.RemoveFactors(ctx, "no-such-user"); !errors.Is(err, latch.ErrNotFound) && !errors.Is(err, latch.ErrInvalidUserID) {
			t.Fatalf("unknown user: %v", err)
		}

		// A squatter signs up with another's address and adds a factor; the
		// owner's password reset (a claim of the mailbox) removes it.
		sq, su := e.signUp("owner@example.com", pw)
		uid = su.str("user", "id")
		enrolTOTP(t, e, sq)
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "owner@example.com"}).want(t, 202, "")
		link := "/api/auth" + linkIn(t, e.mailTo("owner@example.com", "password", 1), "/password-reset/")
		e.browser().do("POST", link, map[string]string{"password": "the owner's password"}).want(t, 200, "")
		if fs, _ := e.auth.ListFactors(ctx, uid); len(fs) != 0 || recoveryCodes(uid) != 0 {
			t.Fatalf("after the claim: %d factors, %d codes", len(fs), recoveryCodes(uid))
		}

		// Deleting the account takes them along.
		d, su := e.signUp("gone@example.com", pw)
		uid = su.str("user", "id")
		secret, _ := enrolTOTP(t, e, d)
		e.clock.Advance(mfa.TOTPPeriod)
		tok := stepUpWith(t, d, "delete-account", map[string]string{"method": "totp", "code": totpAt(t, secret, e.clock.Now())})
		d.do("DELETE", "/api/auth/account", map[string]string{"stepUpToken": tok}).want(t, 204, "")
		if recoveryCodes(uid) != 0 {
			t.Fatalf("after deleting the account: %d codes", recoveryCodes(uid))
		}
	})
}

// TestTOTPSecretNotInSQLiteFile: after enrolment, the bytes of the SQLite
// database (and its WAL) hold neither the secret as shown nor its raw
// bytes, nor any recovery code.
func TestTOTPSecretNotInSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(filepath.Join(dir, "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, s, nil)
	if !e.auth.HasFactors() {
		t.Skip("the SQLite store keeps no factors yet")
	}
	b, _ := e.signUp("rows@example.com", pw)
	secret, codes := enrolTOTP(t, e, b)
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	var all []byte
	files, _ := filepath.Glob(filepath.Join(dir, "latch.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("no database bytes read")
	}
	for _, needle := range append([][]byte{[]byte(secret), raw}, []byte(codes[0]), []byte(strings.ReplaceAll(codes[0], "-", ""))) {
		if bytes.Contains(all, needle) {
			t.Fatalf("the database holds %q in the clear", needle)
		}
	}
}
