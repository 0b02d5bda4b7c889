package authapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Account pre-hijacking (issue 21, items 1, 6 and 11): an attacker signs up
// with the victim's address and a password of their own, keeps the session
// and holds a CLI authorization code and a magic link of the account. When
// the victim proves control of the mailbox, none of it may still work.

const squatterPW = "the squatter's password"

// squatter is what the attacker kept.
type squatter struct {
	b                        *client
	email                    string
	code, verifier, redirect string
}

// squat signs up with the address as an attacker and mints a CLI code,
// which it does not exchange yet.
func squat(t *testing.T, e *env, email string) squatter {
	t.Helper()
	b, _ := e.signUp(email, squatterPW)
	s := squatter{b: b, email: email, verifier: strings.Repeat("s", 43), redirect: "http://127.0.0.1:40404/cb"}
	s.code = allow(t, b, cliParams(s.redirect, s.verifier), "allow").Query().Get("code")
	if s.code == "" {
		t.Fatal("no CLI code for the squatter")
	}
	return s
}

// wantLockedOut fails unless the squatter's session, password and held
// CLI code are all dead.
func (s squatter) wantLockedOut(t *testing.T, e *env) {
	t.Helper()
	s.b.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": s.email, "password": squatterPW}).
		want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	e.api().do("POST", "/api/auth/cli/token", map[string]string{"code": s.code, "code_verifier": s.verifier, "redirect_uri": s.redirect}).
		want(t, http.StatusBadRequest, "INVALID_GRANT")
}

// wantOwner fails unless the browser is signed in to the address's
// account, with the address verified.
func wantOwner(t *testing.T, b *client, email string) {
	t.Helper()
	me := b.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	if me.str("user", "email") != email || me.val("user", "emailVerified") != true {
		t.Fatalf("owner's session: %s", me.raw)
	}
}

func TestMailboxClaimMagicLink(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		s := squat(t, e, "victim@example.com")
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "victim@example.com"}).want(t, http.StatusAccepted, "")
		owner := e.browser()
		r := owner.clickMagicLink(linkIn(t, e.mailTo("victim@example.com", "Sign in", 1), "/magic-link/"))
		wantRedirect(t, r, "/account")
		wantOwner(t, owner, "victim@example.com")
		s.wantLockedOut(t, e)

		// The creator's own browser, signed in, keeps the password: it
		// proved the mailbox and was there from the start.
		own, _ := e.signUp("own@example.com", pw)
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "own@example.com"}).want(t, http.StatusAccepted, "")
		wantRedirect(t, own.clickMagicLink(linkIn(t, e.mailTo("own@example.com", "Sign in", 1), "/magic-link/")), "/account")
		wantOwner(t, own, "own@example.com")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "own@example.com", "password": pw}).want(t, http.StatusOK, "")
	})
}

func TestMailboxClaimPasswordReset(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		s := squat(t, e, "victim@example.com")
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "victim@example.com"}).want(t, http.StatusAccepted, "")
		link := "/api/auth" + linkIn(t, e.mailTo("victim@example.com", "password", 1), "/password-reset/")
		owner := e.browser()
		owner.do("POST", link, map[string]string{"password": "the owner's password"}).want(t, http.StatusOK, "")
		wantOwner(t, owner, "victim@example.com")
		s.wantLockedOut(t, e)
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "victim@example.com", "password": "the owner's password"}).want(t, http.StatusOK, "")
	})
}

// TestMailboxClaimVerificationLink: the victim (or a mail scanner) opens
// the verification link that the squatter's sign-up mailed to the victim.
// Without the squatter's session or password it verifies nothing, and the
// link stays unused; so the victim's later OAuth sign-in still finds the
// account unverified and takes it from the squatter.
func TestMailboxClaimVerificationLink(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			e := newOAuthEnv(t, st.open(t))
			s := squat(t, e.env, "trinity@example.com")
			link := linkIn(t, e.mailTo("trinity@example.com", "", 1), "/api/auth/email-verification/")
			tok := link[strings.LastIndexByte(link, '/')+1:]

			victim := e.browser()
			r := victim.do("GET", link, nil) // the mailed link, as a scanner or a click
			wantRedirect(t, r, "/verify-email/")
			page := victim.do("GET", r.header.Get("Location"), nil).want(t, http.StatusOK, "")
			if !strings.Contains(page.html(), `name="password"`) {
				t.Errorf("the link's page does not ask a signed-out visitor for the password: %.500s", page.raw)
			}
			if r := victim.form("/verify-email/"+tok, url.Values{}); r.status != http.StatusUnauthorized {
				t.Errorf("form without a password: %d %.300s", r.status, r.raw)
			}
			victim.do("POST", "/api/auth/email-verification/verify-link", map[string]string{"token": tok}).
				want(t, http.StatusUnauthorized, "PASSWORD_REQUIRED")
			if s.b.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").val("user", "emailVerified") != false {
				t.Fatal("the link verified the squatter's account without proof")
			}

			e.setGitHubUser("2001", "Trinity", "trinity@example.com", true)
			wantRedirect(t, victim.oauthSignIn(t, e.github, "github", ""), "/account")
			wantOwner(t, victim, "trinity@example.com")
			s.wantLockedOut(t, e.env)

			// The link itself still works for its owner, now signed in.
			victim.do("POST", "/api/auth/email-verification/verify-link", map[string]string{"token": tok}).
				want(t, http.StatusBadRequest, "INVALID_TOKEN") // voided by the claim
		})
	}
}

func TestMailboxClaimOAuth(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			e := newOAuthEnv(t, st.open(t))
			s := squat(t, e.env, "neo@example.com") // GitHub's fake user 1001
			// A magic link the squatter had mailed (to the victim) before.
			e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "neo@example.com"}).want(t, http.StatusAccepted, "")
			magic := linkIn(t, e.mailTo("neo@example.com", "Sign in", 1), "/magic-link/")

			owner := e.browser()
			wantRedirect(t, owner.oauthSignIn(t, e.github, "github", ""), "/account")
			wantOwner(t, owner, "neo@example.com")
			s.wantLockedOut(t, e.env)
			wantRedirect(t, e.browser().clickMagicLink(magic), "/magic-link?e=INVALID_TOKEN")

			// The link by email is a method added: the address is told,
			// with an undo link that removes it.
			tok := undoToken(t, e.env, "neo@example.com", "sign-in method was added", 1)
			k, err := e.auth.GetKey(t.Context(), "email", "neo@example.com")
			if err != nil {
				t.Fatal(err)
			}
			keys, _ := e.auth.GetAllUserKeys(t.Context(), k.UserID)
			if len(keys) != 2 {
				t.Fatalf("keys after the link: %+v", keys)
			}
			e.api().do("POST", "/api/auth/undo", map[string]string{"token": tok}).want(t, http.StatusOK, "")
			if keys, _ := e.auth.GetAllUserKeys(t.Context(), k.UserID); len(keys) != 1 || keys[0].ProviderID != "email" {
				t.Errorf("keys after the undo: %+v", keys)
			}
			if a := activityTypes(t, e.env, k.UserID); !strings.Contains(a, "method-linked:github") {
				t.Errorf("activity: %s", a)
			}
		})
	}
}

// TestResetVoidsSignInTokens: a reset ends every way in issued before it,
// of a verified account too (issue 21, item 6).
func TestResetVoidsSignInTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		b, _ := e.signUp("rita@example.com", pw)
		b.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": codeIn(t, e.mailTo("rita@example.com", "", 1))}).want(t, http.StatusOK, "")

		verifier, redirect := strings.Repeat("r", 43), "http://127.0.0.1:40405/cb"
		code := allow(t, b, cliParams(redirect, verifier), "allow").Query().Get("code")
		ott := b.do("GET", "/api/auth/one-time-token/generate", nil).want(t, http.StatusOK, "").str("token")
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "rita@example.com"}).want(t, http.StatusAccepted, "")
		magic := linkIn(t, e.mailTo("rita@example.com", "Sign in", 1), "/magic-link/")
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "rita@example.com"}).want(t, http.StatusAccepted, "")
		first := "/api/auth" + linkIn(t, e.mailTo("rita@example.com", "password", 1), "/password-reset/")
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "rita@example.com"}).want(t, http.StatusAccepted, "")
		second := "/api/auth" + linkIn(t, e.mailTo("rita@example.com", "password", 2), "/password-reset/")

		e.api().do("POST", second, map[string]string{"password": "a new password"}).want(t, http.StatusOK, "")

		wantRedirect(t, e.browser().clickMagicLink(magic), "/magic-link?e=INVALID_TOKEN")
		e.api().do("POST", "/api/auth/cli/token", map[string]string{"code": code, "code_verifier": verifier, "redirect_uri": redirect}).
			want(t, http.StatusBadRequest, "INVALID_GRANT")
		e.api().do("POST", "/api/auth/one-time-token/verify", map[string]string{"token": ott}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
		e.api().do("POST", first, map[string]string{"password": "yet another password"}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
	})
}

// TestVerifyLinkPage: the mailed verification link's page consumes nothing
// on GET; signed in to the account it verifies with one button, signed out
// (or as another user) it asks for the password.
func TestVerifyLinkPage(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		owner, _ := e.signUp("page@example.com", pw)
		link := linkIn(t, e.mailTo("page@example.com", "", 1), "/api/auth/email-verification/")
		page := "/verify-email/" + link[strings.LastIndexByte(link, '/')+1:]

		other, _ := e.signUp("other@example.com", pw)
		for name, b := range map[string]*client{"signed out": e.browser(), "another user": other} {
			r := b.do("GET", page, nil).want(t, http.StatusOK, "")
			if !strings.Contains(r.html(), `name="password"`) || r.header.Get("Referrer-Policy") != "strict-origin" {
				t.Errorf("%s: page without a password field or not strict-origin: %.500s", name, r.raw)
			}
			if r := b.form(page, url.Values{"password": {"wrong password"}}); r.status != http.StatusUnauthorized || !strings.Contains(r.html(), `name="password"`) {
				t.Errorf("%s, wrong password: %d %.300s", name, r.status, r.raw)
			}
		}
		r := owner.do("GET", page, nil).want(t, http.StatusOK, "")
		if strings.Contains(r.html(), `name="password"`) {
			t.Errorf("the owner's page asks for the password: %.500s", r.raw)
		}
		wantRedirect(t, owner.form(page, url.Values{}), "/account?m=email-verified")
		if owner.do("GET", "/api/auth/session", nil).val("user", "emailVerified") != true {
			t.Fatal("the page did not verify")
		}
		wantRedirect(t, owner.form(page, url.Values{}), "/verify-email?e=INVALID_TOKEN")

		// Signed out, with the password.
		e.signUp("pw@example.com", pw)
		link = linkIn(t, e.mailTo("pw@example.com", "", 1), "/api/auth/email-verification/")
		page = "/verify-email/" + link[strings.LastIndexByte(link, '/')+1:]
		wantRedirect(t, e.browser().form(page, url.Values{"password": {pw}}), "/sign-in?m=email-verified")
		me := e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "pw@example.com", "password": pw}).want(t, http.StatusOK, "")
		if me.val("user", "emailVerified") != true {
			t.Errorf("the password form did not verify: %s", me.raw)
		}
	})
}
