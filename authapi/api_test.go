package authapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
)

const pw = "correct horse battery"

func TestSignUpSignInSignOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, r := e.signUp("Ada@Example.com", pw)
		if got := r.str("user", "email"); got != "ada@example.com" {
			t.Errorf("email %q, want it lower-cased", got)
		}
		if r.val("user", "emailVerified") != false || r.str("user", "id") == "" || r.str("session", "id") == "" {
			t.Errorf("sign-up body %s", r.raw)
		}
		if r.val("token") != nil {
			t.Errorf("a browser (Origin set) got the session token in the body: %s", r.raw)
		}
		ck := cookie(r, "auth_session")
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Value == "" {
			t.Fatalf("session cookie %+v", ck)
		}
		if strings.Contains(string(r.raw), ck.Value) {
			t.Errorf("the body holds the session token")
		}
		c.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")

		// The same address, however written, is taken.
		for _, email := range []string{"ada@example.com", " ADA@EXAMPLE.COM ", "ada@EXAMPLE.com"} {
			e.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": email, "password": pw}).
				want(t, http.StatusConflict, "USER_ALREADY_EXISTS")
		}

		// Sign out: 204, cookie cleared, session gone.
		r = c.do("POST", "/api/auth/sign-out", nil).want(t, http.StatusNoContent, "")
		if ck := cookie(r, "auth_session"); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("sign-out cookie %+v, want it cleared", ck)
		}
		c.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")

		// Sign in as an API client: the token comes in the body and works
		// as a bearer token.
		api := e.api()
		r = api.do("POST", "/api/auth/sign-in", map[string]string{"email": "ADA@example.COM", "password": pw}).want(t, http.StatusOK, "")
		tok := r.str("token")
		if tok == "" {
			t.Fatalf("API sign-in without token: %s", r.raw)
		}
		api.bearer = tok
		if got := api.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").str("user", "email"); got != "ada@example.com" {
			t.Errorf("session user %q", got)
		}
		api.do("POST", "/api/auth/sign-out", nil).want(t, http.StatusNoContent, "")
		api.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
	})
}

func TestSignUpValidation(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	e.signUp("taken@example.com", pw)
	cases := []struct {
		name, email, password string
		status                int
		code                  string
	}{
		{"no email", "", pw, 400, "INVALID_EMAIL"},
		{"no at", "ada.example.com", pw, 400, "INVALID_EMAIL"},
		{"no domain dot", "ada@localhost", pw, 400, "INVALID_EMAIL"},
		{"space inside", "a da@example.com", pw, 400, "INVALID_EMAIL"},
		{"mixed scripts", "p\u0430ypal@example.com", pw, 400, "INVALID_EMAIL"}, // Cyrillic а among Latin
		{"fullwidth", "\uff41da@example.com", pw, 400, "INVALID_EMAIL"},
		{"zero width joiner", "a\u200dda@example.com", pw, 400, "INVALID_EMAIL"},
		{"password 7", "x1@example.com", "1234567", 400, "PASSWORD_TOO_SHORT"},
		{"password 257", "x2@example.com", strings.Repeat("a", 257), 400, "PASSWORD_TOO_LONG"},
		{"password 256 two-byte", "x3@example.com", strings.Repeat("é", 256), 400, "PASSWORD_TOO_LONG"},
		{"taken", "taken@example.com", pw, 409, "USER_ALREADY_EXISTS"},
		{"password 8", "ok8@example.com", "12345678", 201, ""},
		{"password 256", "ok256@example.com", strings.Repeat("a", 256), 201, ""},
		{"unicode", "ÉLODIE@Exämple.com", pw, 201, ""},
		{"cyrillic", "пользователь@пример.рф", pw, 201, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": tc.email, "password": tc.password}).
				want(t, tc.status, tc.code)
		})
	}
	// NFD and NFC spellings and the punycode domain are one address.
	e.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": "e\u0301lodie@exa\u0308mple.com", "password": pw}).
		want(t, 409, "USER_ALREADY_EXISTS")
	e.browser().do("POST", "/api/auth/sign-up", map[string]string{"email": "élodie@xn--exmple-cua.com", "password": pw}).
		want(t, 409, "USER_ALREADY_EXISTS")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "Élodie@EXÄMPLE.com", "password": pw}).want(t, 200, "")
}

func TestSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.signUp("grace@example.com", pw)
		wrong := e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "grace@example.com", "password": "not the password"}).
			want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		unknown := e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "nobody@example.com", "password": "not the password"}).
			want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		if string(wrong.raw) != string(unknown.raw) {
			t.Errorf("wrong password %s and unknown email %s differ", wrong.raw, unknown.raw)
		}
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "not an email", "password": pw}).
			want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		r := e.browser().do("POST", "/api/auth/sign-in", map[string]string{"email": "grace@example.com", "password": pw}).want(t, 200, "")
		if cookie(r, "auth_session") == nil {
			t.Error("sign-in set no cookie")
		}
		if r.val("session", "fresh") != true {
			t.Errorf("new session not fresh: %s", r.raw)
		}
	})
}

func TestSignInThrottle(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	e.signUp("lin@example.com", pw)
	bad := map[string]string{"email": "lin@example.com", "password": "wrong password"}
	var r *response
	for i := 0; i < 20; i++ {
		r = e.api().do("POST", "/api/auth/sign-in", bad)
		if r.status == http.StatusTooManyRequests {
			break
		}
		r.want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	r.want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	// Even the right password waits now.
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "lin@example.com", "password": pw}).
		want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	// Another address from the same IP is not blocked by this address's count.
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "other@example.com", "password": "whatever1"}).
		want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	e.clock.Advance(time.Hour)
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "lin@example.com", "password": pw}).want(t, 200, "")
}

func TestSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		a, _ := e.signUp("mae@example.com", pw)
		b := e.browser()
		b.do("POST", "/api/auth/sign-in", map[string]string{"email": "mae@example.com", "password": pw}).want(t, 200, "")
		c := e.browser()
		c.do("POST", "/api/auth/sign-in", map[string]string{"email": "mae@example.com", "password": pw}).want(t, 200, "")
		stranger, sr := e.signUp("stranger@example.com", pw)

		r := a.do("GET", "/api/auth/sessions", nil).want(t, 200, "")
		list, _ := r.val("sessions").([]any)
		if len(list) != 3 {
			t.Fatalf("sessions %s, want 3", r.raw)
		}
		current := 0
		var other string
		bID := b.do("GET", "/api/auth/session", nil).str("session", "id")
		for _, x := range list {
			m := x.(map[string]any)
			if m["current"] == true {
				current++
			}
			if m["id"] == bID {
				other = bID
			}
		}
		if current != 1 || other == "" {
			t.Fatalf("sessions %s: want one current and b's", r.raw)
		}
		// Another user's session is as unknown as a made-up one.
		a.do("DELETE", "/api/auth/sessions/"+sr.str("session", "id"), nil).want(t, 404, "SESSION_NOT_FOUND")
		a.do("DELETE", "/api/auth/sessions/nosuchsession", nil).want(t, 404, "SESSION_NOT_FOUND")
		stranger.do("GET", "/api/auth/session", nil).want(t, 200, "")

		a.do("DELETE", "/api/auth/sessions/"+other, nil).want(t, http.StatusNoContent, "")
		b.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		c.do("GET", "/api/auth/session", nil).want(t, 200, "")
		a.do("DELETE", "/api/auth/sessions", nil).want(t, http.StatusNoContent, "")
		c.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		a.do("GET", "/api/auth/session", nil).want(t, 200, "")
		e.api().do("GET", "/api/auth/sessions", nil).want(t, 401, "UNAUTHORIZED")
	})
}

func TestEmailVerification(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		a, _ := e.signUp("ida@example.com", pw)
		b, _ := e.signUp("bo@example.com", pw)
		codeA := codeIn(t, e.mailTo("ida@example.com", "", 1))
		codeB := codeIn(t, e.mailTo("bo@example.com", "", 1))

		// B's code is no code for A; a wrong code counts an attempt.
		if codeA != codeB {
			a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeB}).want(t, 400, "INVALID_CODE")
		}
		a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": "00000000x"}).want(t, 400, "INVALID_CODE")
		e.api().do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeA}).want(t, 401, "UNAUTHORIZED")
		r := a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeA}).want(t, 200, "")
		if r.val("user", "emailVerified") != true {
			t.Errorf("after verify: %s", r.raw)
		}
		a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeA}).want(t, 400, "INVALID_CODE")
		a.do("POST", "/api/auth/email-verification", nil).want(t, 409, "EMAIL_ALREADY_VERIFIED")
		// B's code still works for B after A's failures with it.
		b.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeB}).want(t, 200, "")

		// The link in the mail verifies too, once, but only for the
		// account's own session or with its password.
		c, _ := e.signUp("cy@example.com", pw)
		link := linkIn(t, e.mailTo("cy@example.com", "", 1), "/api/auth/email-verification/")
		tok := link[strings.LastIndexByte(link, '/')+1:]
		r = e.browser().do("GET", link, nil)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/verify-email/"+tok {
			t.Fatalf("verification link: %d %s", r.status, r.header.Get("Location"))
		}
		if r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("verification link Referrer-Policy %q", r.header.Get("Referrer-Policy"))
		}
		const verifyLink = "/api/auth/email-verification/verify-link"
		e.browser().do("POST", verifyLink, map[string]string{"token": tok}).want(t, 401, "PASSWORD_REQUIRED")
		a.do("POST", verifyLink, map[string]string{"token": tok}).want(t, 401, "PASSWORD_REQUIRED") // another user's session
		e.api().do("POST", verifyLink, map[string]string{"token": tok, "password": "not the password"}).want(t, 401, "INVALID_CREDENTIALS")
		e.api().do("POST", verifyLink, map[string]string{"token": tok, "password": pw + "x"}).want(t, 401, "INVALID_CREDENTIALS")
		if c.do("GET", "/api/auth/session", nil).val("user", "emailVerified") != false {
			t.Fatal("a refused link verified the address")
		}
		r = c.do("POST", verifyLink, map[string]string{"token": tok}).want(t, 200, "")
		if r.val("user", "emailVerified") != true || r.str("session", "id") == "" {
			t.Errorf("verify-link with the session: %s", r.raw)
		}
		c.do("POST", verifyLink, map[string]string{"token": tok}).want(t, 400, "INVALID_TOKEN")
		e.api().do("POST", verifyLink, map[string]string{"token": ""}).want(t, 400, "INVALID_TOKEN")

		// With the password, from a browser that is not signed in.
		d, _ := e.signUp("dee@example.com", pw)
		link = linkIn(t, e.mailTo("dee@example.com", "", 1), "/api/auth/email-verification/")
		tok = link[strings.LastIndexByte(link, '/')+1:]
		r = e.api().do("POST", verifyLink, map[string]string{"token": tok, "password": pw}).want(t, 200, "")
		if r.val("user", "emailVerified") != true || r.val("session") != nil {
			t.Errorf("verify-link with the password: %s", r.raw)
		}
		if d.do("GET", "/api/auth/session", nil).val("user", "emailVerified") != true {
			t.Error("link with the password did not verify")
		}
		e.api().do("POST", verifyLink, map[string]string{"token": tok, "password": pw}).want(t, 400, "INVALID_TOKEN")
	})
}

func TestVerificationAttempts(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	a, _ := e.signUp("kit@example.com", pw)
	code := codeIn(t, e.mailTo("kit@example.com", "", 1))
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	var r *response
	for i := 0; i < 10; i++ {
		r = a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": wrong})
		if r.status == http.StatusTooManyRequests {
			break
		}
		r.want(t, 400, "INVALID_CODE")
	}
	r.want(t, http.StatusTooManyRequests, "TOO_MANY_ATTEMPTS")
	// The right code is refused too, until a new one is sent.
	if r := a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": code}); r.status == 200 {
		t.Fatalf("the code still works after too many attempts")
	}
	a.do("POST", "/api/auth/email-verification", nil).want(t, http.StatusAccepted, "")
	code = codeIn(t, e.mailTo("kit@example.com", "", 2))
	a.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": code}).want(t, 200, "")
}

func TestPasswordReset(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		a, _ := e.signUp("rue@example.com", pw)
		other := e.browser()
		other.do("POST", "/api/auth/sign-in", map[string]string{"email": "rue@example.com", "password": pw}).want(t, 200, "")

		known := e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "RUE@example.com"}).want(t, http.StatusAccepted, "")
		unknown := e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "nobody@example.com"}).want(t, http.StatusAccepted, "")
		sameAnswer(t, known, unknown)
		link := linkIn(t, e.mailTo("rue@example.com", "password", 1), "/password-reset/")
		tokenPath := "/api/auth" + link

		// Bad input does not use the link up.
		e.api().do("POST", tokenPath, map[string]string{"password": "short"}).want(t, 400, "PASSWORD_TOO_SHORT")
		e.api().do("POST", tokenPath, `{"password":`).want(t, 400, "INVALID_BODY")

		newPW := "a new password"
		b := e.browser()
		r := b.do("POST", tokenPath, map[string]string{"password": newPW}).want(t, 200, "")
		if r.val("user", "emailVerified") != true || cookie(r, "auth_session") == nil {
			t.Errorf("reset: %s, cookie %v", r.raw, cookie(r, "auth_session"))
		}
		if r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("reset Referrer-Policy %q", r.header.Get("Referrer-Policy"))
		}
		b.do("GET", "/api/auth/session", nil).want(t, 200, "")
		a.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		other.do("GET", "/api/auth/session", nil).want(t, 401, "UNAUTHORIZED")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "rue@example.com", "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "rue@example.com", "password": newPW}).want(t, 200, "")

		// Used twice.
		e.api().do("POST", tokenPath, map[string]string{"password": "another password"}).want(t, 400, "INVALID_TOKEN")
		e.api().do("POST", "/api/auth/password-reset/made-up-token", map[string]string{"password": "another password"}).want(t, 400, "INVALID_TOKEN")
	})
}

// sameAnswer fails unless two answers have the same status, body and
// headers (but Date and X-Request-Id, new for every request).
func sameAnswer(t *testing.T, a, b *response) {
	t.Helper()
	if a.status != b.status || string(a.raw) != string(b.raw) {
		t.Errorf("answers differ: %d %s / %d %s", a.status, a.raw, b.status, b.raw)
	}
	for k := range a.header {
		if k != "Date" && k != "X-Request-Id" && a.header.Get(k) != b.header.Get(k) {
			t.Errorf("header %s differs: %q / %q", k, a.header.Get(k), b.header.Get(k))
		}
	}
	if len(a.header) != len(b.header) {
		t.Errorf("headers differ: %v / %v", a.header, b.header)
	}
}

func TestPasswordResetExpiredAndDeletedUser(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.signUp("old@example.com", pw)
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "old@example.com"}).want(t, 202, "")
		link := "/api/auth" + linkIn(t, e.mailTo("old@example.com", "password", 1), "/password-reset/")
		e.clock.Advance(48 * time.Hour)
		r := e.api().do("POST", link, map[string]string{"password": "a new password"})
		if r.status != 400 || (r.code() != "EXPIRED_TOKEN" && r.code() != "INVALID_TOKEN") {
			t.Errorf("expired link: %d %s", r.status, r.raw)
		}

		_, s := e.signUp("gone@example.com", pw)
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "gone@example.com"}).want(t, 202, "")
		link = "/api/auth" + linkIn(t, e.mailTo("gone@example.com", "password", 1), "/password-reset/")
		if err := e.auth.DeleteUser(context.Background(), s.str("user", "id")); err != nil {
			t.Fatal(err)
		}
		e.api().do("POST", link, map[string]string{"password": "a new password"}).want(t, 400, "INVALID_TOKEN")
		if _, err := e.auth.GetKey(context.Background(), "email", "gone@example.com"); err == nil {
			t.Error("a reset for a deleted user brought its key back")
		}
	})
}

func TestMagicLink(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.signUp("max@example.com", pw)
		known := e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "max@example.com", "callbackURL": "/after"}).want(t, 202, "")
		unknown := e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "nobody@example.com"}).want(t, 202, "")
		sameAnswer(t, known, unknown)
		link := linkIn(t, e.mailTo("max@example.com", "Sign in", 1), "/magic-link/")
		b := e.browser()
		r := b.clickMagicLink(link)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/after" || cookie(r, "auth_session") == nil {
			t.Fatalf("magic link: %d %q %v", r.status, r.header.Get("Location"), r.header)
		}
		if got := b.do("GET", "/api/auth/session", nil).want(t, 200, "").val("user", "emailVerified"); got != true {
			t.Errorf("magic link did not verify the email")
		}
		r = e.browser().clickMagicLink(link)
		if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/magic-link?e=INVALID_TOKEN" || cookie(r, "auth_session") != nil {
			t.Errorf("magic link used twice: %d %q", r.status, loc)
		}
		// A callback off the site is dropped.
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "max@example.com", "callbackURL": "//evil.example/x"}).want(t, 202, "")
		link = linkIn(t, e.mailTo("max@example.com", "Sign in", 2), "/magic-link/")
		if strings.Contains(link, "evil") {
			t.Errorf("link %q carries an off-site callback", link)
		}
	})
}

func TestOneTimeToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		a, s := e.signUp("ott@example.com", pw)
		e.api().do("GET", "/api/auth/one-time-token/generate", nil).want(t, 401, "UNAUTHORIZED")
		tok := a.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "").str("token")
		if tok == "" {
			t.Fatal("no token")
		}
		r := e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": tok}).want(t, 200, "")
		if r.str("session", "id") != s.str("session", "id") || r.str("user", "email") != "ott@example.com" {
			t.Errorf("verify: %s, want the session %s", r.raw, s.str("session", "id"))
		}
		e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": tok}).want(t, 400, "INVALID_TOKEN")
		e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": ""}).want(t, 400, "INVALID_TOKEN")

		// Expired after its 3 minutes.
		tok = a.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "").str("token")
		e.clock.Advance(4 * time.Minute)
		r = e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": tok})
		if r.status != 400 {
			t.Errorf("expired one-time token: %d %s", r.status, r.raw)
		}
	})
}

func TestOneTimeTokenServerOnly(t *testing.T) {
	e := newEnv(t, stores[0].open(t), func(c *authapi.Config) { c.DisableClientOneTimeTokens = true })
	a, _ := e.signUp("srv@example.com", pw)
	a.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 403, "FORBIDDEN")
}

func TestMailRequestThrottle(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	accepted := 0
	var r *response
	for i := 0; i < 30; i++ {
		r = e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": fmt.Sprintf("n%d@example.com", i)})
		if r.status != http.StatusAccepted {
			break
		}
		accepted++
	}
	r.want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	if accepted < 10 {
		t.Errorf("throttled after %d requests, want at least 10 free", accepted)
	}
	if ra := r.header.Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After %q, want 60", ra)
	}
	// Magic links and sign-ups from the same IP wait too.
	e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "x@example.com"}).want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": "new@example.com", "password": pw}).want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	e.clock.Advance(61 * time.Second)
	e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "n0@example.com"}).want(t, http.StatusAccepted, "")
}

// TestVerificationCodeLifetime: a mailed code lives 10 minutes (ASVS
// V2.7.2), on the injected clock.
func TestVerificationCodeLifetime(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		d, _ := e.signUp("dee@example.com", pw)
		f, _ := e.signUp("eff@example.com", pw)
		codeD := codeIn(t, e.mailTo("dee@example.com", "", 1))
		codeF := codeIn(t, e.mailTo("eff@example.com", "", 1))
		if m := e.mailTo("dee@example.com", "", 1); !strings.Contains(m, "10 minutes") {
			t.Errorf("the mail does not say the code lives 10 minutes:\n%s", m)
		}
		e.clock.Advance(10*time.Minute - time.Second)
		d.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeD}).want(t, 200, "")
		e.clock.Advance(2 * time.Second)
		// Expired reads as wrong: the code is void either way.
		f.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeF}).want(t, 400, "INVALID_CODE")
	})
}
