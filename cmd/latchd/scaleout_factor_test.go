package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchauth/latch/mfa"
)

// twoFactorAcross runs the second step of sign-in across two latchd
// processes sharing one store: TOTP enrolled on a is asked for by b, a
// pending sign-in made on a finishes on b, a code used on one instance is
// refused on the other, and wrong codes count across both (the fifth ends
// the pending sign-in wherever it lands). The instances share one
// --secret-key, without which neither could read the other's secrets.
func twoFactorAcross(t *testing.T, a, b string) {
	t.Helper()
	c := http.DefaultClient
	const email, password = "scale-2fa@example.com", "scale out two factors"
	st, body := call(t, c, "POST", a+"/api/auth/sign-up", map[string]string{"email": email, "password": password})
	if st != 201 {
		t.Fatalf("sign-up on a: %d %v", st, body)
	}
	auth := []string{"Authorization", "Bearer " + str(body, "token")}
	st, body = call(t, c, "POST", a+"/api/auth/step-up", map[string]string{"action": "add-factor", "method": "password", "password": password}, auth...)
	if st != 200 {
		t.Fatalf("step-up on a: %d %v", st, body)
	}
	st, body = call(t, c, "POST", b+"/api/auth/two-factor/totp", map[string]string{"stepUpToken": str(body, "stepUpToken")}, auth...)
	if st != 200 {
		t.Fatalf("TOTP enrolment on b with a's step-up token: %d %v", st, body)
	}
	secret := str(body, "secret")
	code := func(at time.Time) string {
		t.Helper()
		c, err := mfa.TOTPCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Confirmed on a with this time step's code: b's enrolment is a's.
	now := time.Now()
	if st, body := call(t, c, "POST", a+"/api/auth/two-factor/totp/confirm", map[string]string{"code": code(now)}, auth...); st != 200 {
		t.Fatalf("TOTP confirmation on a: %d %v", st, body)
	}

	// The password on b asks for the second factor.
	signIn := func(on string) string {
		t.Helper()
		st, body := call(t, c, "POST", on+"/api/auth/sign-in", map[string]string{"email": email, "password": password})
		if st != 200 || body["twoFactorRequired"] != true || str(body, "pendingToken") == "" || str(body, "token") != "" {
			t.Fatalf("sign-in on %s: %d %v, want the second step", on, st, body)
		}
		return str(body, "pendingToken")
	}
	verify := func(on, pending, code string) (int, map[string]any) {
		t.Helper()
		return call(t, c, "POST", on+"/api/auth/two-factor/verify", map[string]string{"method": "totp", "code": code, "pendingToken": pending})
	}
	// The code that confirmed the enrolment on a is spent on b too.
	pending := signIn(b)
	if st, body := verify(b, pending, code(now)); st != 401 || str(body, "error", "code") != "INVALID_TWO_FACTOR_CODE" {
		t.Fatalf("the confirmation's code replayed on b: %d %v, want 401 INVALID_TWO_FACTOR_CODE", st, body)
	}
	// The next step's code (one step of drift is allowed) finishes on a
	// the sign-in begun on b.
	next := code(now.Add(30 * time.Second))
	st, body = verify(a, pending, next)
	if st != 200 || str(body, "token") == "" {
		t.Fatalf("verify on a of b's pending sign-in: %d %v", st, body)
	}
	fresh := []string{"Authorization", "Bearer " + str(body, "token")}
	if st, body := call(t, c, "GET", b+"/api/auth/session", nil, fresh...); st != 200 || body["session"].(map[string]any)["aal"] != float64(2) {
		t.Fatalf("the two-factor session on b: %d %v, want aal 2", st, body)
	}
	// Used on a, the same code is refused on b, and the pending sign-in is
	// gone on both.
	if st, _ := verify(b, pending, next); st != 401 {
		t.Fatalf("the pending sign-in used again on b: %d, want 401", st)
	}
	pending = signIn(a)
	if st, body := verify(b, pending, next); st != 401 || str(body, "error", "code") != "INVALID_TWO_FACTOR_CODE" {
		t.Fatalf("a code used on a, replayed on b: %d %v", st, body)
	}
	// Wrong codes alternate between the instances; the pending sign-in
	// ends at the fifth wrong code in all (the replay above was the
	// first).
	for i := 2; i <= 5; i++ {
		on := a
		if i%2 == 1 {
			on = b
		}
		st, body := verify(on, pending, "000000")
		want := "INVALID_TWO_FACTOR_CODE"
		if i == 5 {
			want = "TWO_FACTOR_ATTEMPTS_EXCEEDED"
		}
		if st != 401 || str(body, "error", "code") != want {
			t.Fatalf("wrong code %d on %s: %d %v, want 401 %s", i, on, st, body, want)
		}
	}
	if st, body := verify(a, pending, code(time.Now())); st != 401 || str(body, "error", "code") != "TWO_FACTOR_PENDING_INVALID" {
		t.Fatalf("the right code after five wrong ones: %d %v, want 401 TWO_FACTOR_PENDING_INVALID", st, body)
	}
}
