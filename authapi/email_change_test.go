package authapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestChangeEmail(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, su := e.signUp("before@example.com", pw)
		uid := su.str("user", "id")
		e.signUp("taken@example.com", pw)

		e.api().do("POST", "/api/auth/email", map[string]string{"newEmail": "after@example.com", "password": pw}).want(t, 401, "UNAUTHORIZED")
		b.do("POST", "/api/auth/email", map[string]string{"newEmail": "not an address", "password": pw}).want(t, 400, "INVALID_EMAIL")
		b.do("POST", "/api/auth/email", map[string]string{"newEmail": "Before@Example.com", "password": pw}).want(t, 400, "EMAIL_UNCHANGED")
		b.do("POST", "/api/auth/email", map[string]string{"newEmail": "after@example.com", "password": "wrong password"}).want(t, 401, "INVALID_CREDENTIALS")

		// A taken address: the same answer, and its owner is told.
		taken := b.do("POST", "/api/auth/email", map[string]string{"newEmail": "taken@example.com", "password": pw}).want(t, 202, "")
		free := b.do("POST", "/api/auth/email", map[string]string{"newEmail": "After@example.com", "password": pw}).want(t, 202, "")
		if string(taken.raw) != string(free.raw) {
			t.Errorf("answers differ: %s / %s", taken.raw, free.raw)
		}
		if m := e.mailTo("taken@example.com", "Someone tried to use your address", 1); strings.Contains(m, "/email-change/") {
			t.Errorf("a link went to the taken address: %q", m)
		}
		link := linkIn(t, e.mailTo("after@example.com", "Confirm your new email", 1), "/email-change/")
		tok := strings.TrimPrefix(link, "/email-change/")

		// Opening the link (GET, HEAD) changes nothing.
		page := b.do("GET", link, nil)
		if page.status != 200 || !strings.Contains(page.html(), `action="/email-change/`) || page.header.Get("Referrer-Policy") != "strict-origin" {
			t.Fatalf("link page: %d %.500s", page.status, page.raw)
		}
		b.do("HEAD", link, nil)
		if u, _ := e.auth.GetUser(ctx, uid); u.Attributes.String("email") != "before@example.com" {
			t.Fatalf("GET changed the email to %q", u.Attributes.String("email"))
		}
		other := e.browser()
		other.do("GET", "/api/auth/one-time-token/generate", nil)
		b.do("GET", "/api/auth/one-time-token/generate", nil).want(t, 200, "")

		r := e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": tok}).want(t, 200, "")
		if r.str("user", "email") != "after@example.com" || r.val("user", "emailVerified") != true {
			t.Fatalf("confirm: %s", r.raw)
		}
		e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": tok}).want(t, 400, "INVALID_TOKEN")
		e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": ""}).want(t, 400, "INVALID_TOKEN")
		if toks, _ := e.store.ListTokens(ctx, uid, "one-time-token"); len(toks) != 0 {
			t.Errorf("one-time tokens after the change: %d", len(toks))
		}
		b.do("GET", "/api/auth/session", nil).want(t, 200, "") // sessions stay
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "before@example.com", "password": pw}).want(t, 401, "INVALID_CREDENTIALS")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "after@example.com", "password": pw}).want(t, 200, "")
		if m := e.mailTo("before@example.com", "email of your", 1); !strings.Contains(m, "after@example.com") {
			t.Errorf("notice to the old address: %q", m)
		}
		// The old address stays the account's while the undo link lives.
		e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": "before@example.com", "password": pw}).want(t, 409, "USER_ALREADY_EXISTS")
		e.clock.Advance(7*24*time.Hour + time.Minute)
		e.signUp("before@example.com", pw) // then it is free
	})
}

// TestChangeEmailRace: an address taken between the request and the
// confirmation is not stolen, and the link is not used up.
func TestChangeEmailRace(t *testing.T) {
	e := newEnv(t, stores[1].open(t), nil)
	b, _ := e.signUp("race1@example.com", pw)
	b.do("POST", "/api/auth/email", map[string]string{"newEmail": "race2@example.com", "password": pw}).want(t, 202, "")
	tok := strings.TrimPrefix(linkIn(t, e.mailTo("race2@example.com", "Confirm", 1), "/email-change/"), "/email-change/")
	e.signUp("race2@example.com", pw)
	e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": tok}).want(t, 409, "USER_ALREADY_EXISTS")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "race1@example.com", "password": pw}).want(t, 200, "")

	// Expired after its hour.
	b.do("POST", "/api/auth/email", map[string]string{"newEmail": "race3@example.com", "password": pw}).want(t, 202, "")
	tok = strings.TrimPrefix(linkIn(t, e.mailTo("race3@example.com", "Confirm", 1), "/email-change/"), "/email-change/")
	e.clock.Advance(61 * time.Minute)
	e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": tok}).want(t, 400, "EXPIRED_TOKEN")
}

func TestChangeEmailPages(t *testing.T) {
	e := newEnv(t, stores[0].open(t), nil)
	b, _ := e.signUp("pg1@example.com", pw)
	if !strings.Contains(b.do("GET", "/account", nil).html(), `action="/account/email"`) {
		t.Fatal("no email form on /account")
	}
	wantRedirect(t, b.form("/account/email", url.Values{"new_email": {"pg2@example.com"}, "password": {"wrong password"}}), "/account?e=INVALID_CREDENTIALS")
	wantRedirect(t, b.form("/account/email", url.Values{"new_email": {"pg2@example.com"}, "password": {pw}}), "/account?m=email-change-sent")
	link := linkIn(t, e.mailTo("pg2@example.com", "Confirm", 1), "/email-change/")
	evil := e.browser()
	evil.origin = "https://evil.example"
	if r := evil.form(link, nil); r.status != http.StatusForbidden {
		t.Errorf("cross-origin confirm: %d", r.status)
	}
	c := e.browser() // another browser, not signed in
	if r := c.form(link, url.Values{}); r.status != 200 || !strings.Contains(r.html(), "now uses pg2@example.com") {
		t.Fatalf("confirm page: %d %.500s", r.status, r.raw)
	}
	if r := c.form(link, url.Values{}); r.status != 400 {
		t.Errorf("second confirm: %d", r.status)
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "pg2@example.com", "password": pw}).want(t, 200, "")
}
