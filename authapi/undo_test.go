package authapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// undoToken returns the token of the undo link in the n-th mail to addr
// about subject, checking that the HTML part carries the same link.
func undoToken(t *testing.T, e *env, addr, subject string, n int) string {
	t.Helper()
	link := linkIn(t, e.mailTo(addr, subject, n), "/undo/")
	found := false
	for _, m := range e.outbox.Messages() {
		if m.To == addr && strings.Contains(m.Subject, subject) && strings.Contains(m.HTML, link) {
			found = true
		}
	}
	if !found {
		t.Errorf("no HTML part with %s", link)
	}
	return strings.TrimPrefix(link, "/undo/")
}

func activityTypes(t *testing.T, e *env, userID string) string {
	t.Helper()
	evs, _, err := e.auth.ListActivity(context.Background(), userID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type+":"+ev.Detail)
	}
	return strings.Join(out, " ")
}

// TestUndoEmailChange: the notice to the old address carries an undo link
// valid 7 days; while it lives nobody else takes the old address; using
// it restores the address (attribute and key), removes the sign-in
// methods added since, ends every session, voids every token, removes the
// password and mails a reset link to the restored address. It works once.
func TestUndoEmailChange(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, su := e.signUp("undo-old@example.com", pw)
		uid := su.str("user", "id")
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("github", "kept-1")); err != nil {
			t.Fatal(err)
		}
		b.do("POST", "/api/auth/email", map[string]string{"newEmail": "undo-new@example.com", "password": pw}).want(t, http.StatusAccepted, "")
		clink := linkIn(t, e.mailTo("undo-new@example.com", "Confirm", 1), "/email-change/")
		e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": strings.TrimPrefix(clink, "/email-change/")}).want(t, http.StatusOK, "")
		tok := undoToken(t, e, "undo-old@example.com", "email of your", 1)

		// The old address is reserved: no sign-up, no move to it.
		e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": "undo-old@example.com", "password": pw}).want(t, http.StatusConflict, "USER_ALREADY_EXISTS")
		o, _ := e.signUp("undo-other@example.com", pw)
		o.do("POST", "/api/auth/email", map[string]string{"newEmail": "undo-old@example.com", "password": pw}).want(t, http.StatusAccepted, "")
		e.mailTo("undo-old@example.com", "Someone tried to use your address", 1)

		// What an intruder would do with the account meanwhile.
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("gitlab", "added-1")); err != nil {
			t.Fatal(err)
		}
		intruder := e.api()
		intruder.bearer = intruder.do("POST", "/api/auth/sign-in", map[string]string{"email": "undo-new@example.com", "password": pw}).want(t, http.StatusOK, "").str("token")
		intruder.do("GET", "/api/auth/one-time-token/generate", nil).want(t, http.StatusOK, "")

		e.api().do("POST", "/api/auth/undo", map[string]string{"token": "e" + strings.Repeat("x", 43)}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": ""}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
		r := e.api().do("POST", "/api/auth/undo", map[string]string{"token": tok}).want(t, http.StatusOK, "")
		if r.val("passwordReset") != true {
			t.Errorf("undo answer: %s", r.raw)
		}
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": tok}).want(t, http.StatusBadRequest, "INVALID_TOKEN")

		u, err := e.auth.GetUser(ctx, uid)
		if err != nil || u.Attributes.String("email") != "undo-old@example.com" {
			t.Fatalf("email after the undo: %v %v", u.Attributes, err)
		}
		if _, err := e.auth.GetKey(ctx, "email", "undo-old@example.com"); err != nil {
			t.Errorf("old email key: %v", err)
		}
		if _, err := e.auth.GetKey(ctx, "email", "undo-new@example.com"); !errors.Is(err, latch.ErrInvalidKeyID) {
			t.Errorf("new email key after the undo: %v", err)
		}
		if _, err := e.auth.GetKey(ctx, "gitlab", "added-1"); !errors.Is(err, latch.ErrInvalidKeyID) {
			t.Errorf("method added after the change: %v", err)
		}
		if _, err := e.auth.GetKey(ctx, "github", "kept-1"); err != nil {
			t.Errorf("method from before the change: %v", err)
		}
		if n := sessionCount(t, e, uid); n != 0 {
			t.Errorf("%d sessions after the undo", n)
		}
		intruder.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
		b.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
		if toks, _ := e.store.ListTokens(ctx, uid, "one-time-token"); len(toks) != 0 {
			t.Errorf("one-time tokens after the undo: %d", len(toks))
		}
		for _, addr := range []string{"undo-old@example.com", "undo-new@example.com"} {
			e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": addr, "password": pw}).want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		}
		if a := activityTypes(t, e, uid); !strings.Contains(a, "undo:email") || !strings.Contains(a, "email-changed") {
			t.Errorf("activity: %s", a)
		}

		// The reset mailed to the restored address lets the owner in.
		rlink := linkIn(t, e.mailTo("undo-old@example.com", "Reset your", 1), "/password-reset/")
		e.api().do("POST", "/api/auth"+rlink, map[string]string{"password": "the owner's new password"}).want(t, http.StatusOK, "")
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "undo-old@example.com", "password": "the owner's new password"}).want(t, http.StatusOK, "")
	})
}

// TestUndoVoidOnceFieldChangesAgain: an undo link of the password or the
// email is void once that field changes again; a method's link survives
// a password change.
func TestUndoVoidOnceFieldChangesAgain(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, su := e.signUp("gen@example.com", pw)
		uid := su.str("user", "id")
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("github", "gen-1")); err != nil {
			t.Fatal(err)
		}
		b.do("DELETE", "/api/auth/accounts/github", map[string]string{"password": pw}).want(t, http.StatusNoContent, "")
		method := undoToken(t, e, "gen@example.com", "sign-in method was removed", 1)
		e.clock.Advance(time.Second)

		b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "second password 2"}).want(t, http.StatusOK, "")
		first := undoToken(t, e, "gen@example.com", "password was changed", 1)
		b.do("POST", "/api/auth/password", map[string]string{"currentPassword": "second password 2", "newPassword": "third password 3"}).want(t, http.StatusOK, "")
		second := undoToken(t, e, "gen@example.com", "password was changed", 2)
		e.clock.Advance(time.Second)
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": first}).want(t, http.StatusBadRequest, "INVALID_TOKEN")

		b.do("POST", "/api/auth/email", map[string]string{"newEmail": "gen2@example.com", "password": "third password 3"}).want(t, http.StatusAccepted, "")
		e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": strings.TrimPrefix(linkIn(t, e.mailTo("gen2@example.com", "Confirm", 1), "/email-change/"), "/email-change/")}).want(t, http.StatusOK, "")
		e1 := undoToken(t, e, "gen@example.com", "email of your", 1)
		b.do("POST", "/api/auth/email", map[string]string{"newEmail": "gen3@example.com", "password": "third password 3"}).want(t, http.StatusAccepted, "")
		e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": strings.TrimPrefix(linkIn(t, e.mailTo("gen3@example.com", "Confirm", 1), "/email-change/"), "/email-change/")}).want(t, http.StatusOK, "")
		e2 := undoToken(t, e, "gen2@example.com", "email of your", 1)
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": e1}).want(t, http.StatusBadRequest, "INVALID_TOKEN")

		// The newest email undo brings gen2 back. The links of changes
		// made before it (the password's, the method's) survive it.
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": e2}).want(t, http.StatusOK, "")
		if u, _ := e.auth.GetUser(ctx, uid); u.Attributes.String("email") != "gen2@example.com" {
			t.Errorf("email after the undo: %q", u.Attributes.String("email"))
		}
		// Each undo mails a reset link (queued) and voids the links before
		// it: wait for each mail before the next undo.
		e.mailTo("gen2@example.com", "Reset your", 1)
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": second}).want(t, http.StatusOK, "")
		e.mailTo("gen2@example.com", "Reset your", 2)
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": method}).want(t, http.StatusOK, "")

		// The last reset link sets a password. An undo link expires after
		// 7 days.
		rlink := linkIn(t, e.mailTo("gen2@example.com", "Reset your", 3), "/password-reset/")
		c := e.api()
		c.bearer = c.do("POST", "/api/auth"+rlink, map[string]string{"password": "fourth password 4"}).want(t, http.StatusOK, "").str("token")
		c.do("POST", "/api/auth/password", map[string]string{"currentPassword": "fourth password 4", "newPassword": "fifth password 5"}).want(t, http.StatusOK, "")
		late := undoToken(t, e, "gen2@example.com", "password was changed", 1)
		e.clock.Advance(7*24*time.Hour + time.Second)
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": late}).want(t, http.StatusBadRequest, "EXPIRED_TOKEN")
	})
}

// TestUndoMethodRemoved: the notice of an unlinked method carries an undo
// link that removes the methods added since, the password and every
// session.
func TestUndoMethodRemoved(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, su := e.signUp("meth@example.com", pw)
		uid := su.str("user", "id")
		for _, k := range []string{"github", "google"} {
			if _, err := e.auth.CreateKey(ctx, uid, latchKey(k, "m-1")); err != nil {
				t.Fatal(err)
			}
		}
		b.do("DELETE", "/api/auth/accounts/github", map[string]string{"password": pw}).want(t, http.StatusNoContent, "")
		tok := undoToken(t, e, "meth@example.com", "sign-in method was removed", 1)
		if a := activityTypes(t, e, uid); !strings.Contains(a, "method-unlinked:github") {
			t.Errorf("activity: %s", a)
		}
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("gitlab", "m-2")); err != nil {
			t.Fatal(err)
		}
		if e.auth.HasFactors() { // a passkey from before and one added since
			for i, id := range []string{"pk-before", "pk-after"} {
				e.clock.Advance(time.Duration(i) * time.Second)
				if _, err := e.auth.CreateFactor(ctx, latch.FactorRecord{ID: id, UserID: uid, Kind: latch.FactorPasskey, Name: id,
					CreatedAt: e.clock.Now().Add(time.Duration(i-1) * time.Second).UnixMilli()}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The page shows one button and changes nothing.
		page := e.browser().do("GET", "/undo/"+tok, nil)
		if page.status != http.StatusOK || !strings.Contains(page.html(), `action="/undo/`+tok+`"`) || page.header.Get("Referrer-Policy") != "strict-origin" {
			t.Fatalf("undo page: %d %.300s", page.status, page.raw)
		}
		evil := e.browser()
		evil.origin = "https://evil.example"
		if r := evil.form("/undo/"+tok, nil); r.status != http.StatusForbidden {
			t.Errorf("cross-origin undo: %d", r.status)
		}
		b.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
		r := b.form("/undo/"+tok, nil)
		if r.status != http.StatusOK || !strings.Contains(r.html(), "undone") {
			t.Fatalf("undo: %d %.300s", r.status, r.raw)
		}
		if c := cookie(r, "auth_session"); c == nil || c.MaxAge >= 0 {
			t.Errorf("the undoing browser's cookie is not cleared: %v", c)
		}
		if _, err := e.auth.GetKey(ctx, "gitlab", "m-2"); !errors.Is(err, latch.ErrInvalidKeyID) {
			t.Errorf("method added after the change: %v", err)
		}
		if _, err := e.auth.GetKey(ctx, "google", "m-1"); err != nil {
			t.Errorf("method from before: %v", err)
		}
		if e.auth.HasFactors() {
			fs, _ := e.auth.ListFactors(ctx, uid)
			if len(fs) != 1 || fs[0].ID != "pk-before" {
				t.Errorf("factors after the undo: %+v", fs)
			}
		}
		if n := sessionCount(t, e, uid); n != 0 {
			t.Errorf("%d sessions after the undo", n)
		}
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "meth@example.com", "password": pw}).want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		e.mailTo("meth@example.com", "Reset your", 1)
	})
}

// TestNewDeviceNotice: a sign-in from a device and network not among the
// user's recent sign-ins mails a notice whose link ends every session
// (and keeps the password); a known device gets no notice.
func TestNewDeviceNotice(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		_, su := e.signUp("dev@example.com", pw)
		uid := su.str("user", "id")
		signIn := func(ua string) *client {
			c := e.api()
			c.bearer = c.do("POST", "/api/auth/sign-in", map[string]string{"email": "dev@example.com", "password": pw}, "User-Agent", ua).want(t, http.StatusOK, "").str("token")
			return c
		}
		signIn("Go-http-client/1.1") // the sign-up's device
		firefox := "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
		ff := signIn(firefox)
		tok := undoToken(t, e, "dev@example.com", "New sign-in", 1)
		if m := e.mailTo("dev@example.com", "New sign-in", 1); !strings.Contains(m, "Firefox on Linux") || !strings.Contains(m, "127.0.0.1") {
			t.Errorf("notice: %q", m)
		}
		signIn(firefox) // known now
		if page := e.browser().do("GET", "/undo/"+tok, nil); !strings.Contains(page.html(), "Sign out everywhere") {
			t.Errorf("page: %.300s", page.raw)
		}
		r := e.api().do("POST", "/api/auth/undo", map[string]string{"token": tok}).want(t, http.StatusOK, "")
		if r.val("passwordReset") != false {
			t.Errorf("answer: %s", r.raw)
		}
		ff.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
		if n := sessionCount(t, e, uid); n != 0 {
			t.Errorf("%d sessions after sign out everywhere", n)
		}
		signIn(firefox) // the password stays
		if n := len(mailsTo(e, "dev@example.com", "New sign-in")); n != 1 {
			t.Errorf("%d new-device notices, want 1", n)
		}
	})
}

func mailsTo(e *env, addr, subject string) []string {
	var out []string
	for _, m := range e.outbox.Messages() {
		if m.To == addr && strings.Contains(m.Subject, subject) {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestUnlinkRace: two parallel unlinks of an account's only two ways in
// never both succeed; the user's row is locked while the keys are counted.
func TestUnlinkRace(t *testing.T) {
	for _, s := range accountStores {
		if s.name != "postgres" && s.name != "mariadb" && s.name != "postgres+redis" {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := s.open(t)
			ctx := context.Background()
			b, su := e.signUp("race@example.com", pw)
			uid := su.str("user", "id")
			for round := range 8 {
				if _, err := e.auth.GetKey(ctx, "github", "r-1"); err != nil {
					if _, err := e.auth.CreateKey(ctx, uid, latchKey("github", "r-1")); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := e.auth.GetKey(ctx, "email", "race@example.com"); err != nil {
					p := pw
					if _, err := e.auth.CreateKey(ctx, uid, latch.KeyOptions{ProviderID: "email", ProviderUserID: "race@example.com", Password: &p}); err != nil {
						t.Fatal(err)
					}
				}
				var wg sync.WaitGroup
				codes := make([]int, 2)
				for i, p := range []string{"email", "github"} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						codes[i] = b.do("DELETE", "/api/auth/accounts/"+p, map[string]string{"password": pw}).status
					}()
				}
				wg.Wait()
				keys, err := e.auth.GetAllUserKeys(ctx, uid)
				if err != nil || len(keys) != 1 {
					t.Fatalf("round %d: answers %v, %d keys left (%v)", round, codes, len(keys), err)
				}
			}
		})
	}
}

// TestUndoKeepsLaterLinks: ending the sessions of a new device leaves
// the undo links of later changes working (the intruder's email change is
// still undone from the old address); undoing an email change voids the
// links of later changes, which went to the address it takes back.
func TestUndoKeepsLaterLinks(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, su := e.signUp("later@example.com", pw)
		uid := su.str("user", "id")
		if _, err := e.auth.CreateKey(ctx, uid, latchKey("github", "l-1")); err != nil {
			t.Fatal(err)
		}
		intruder := e.api()
		intruder.bearer = intruder.do("POST", "/api/auth/sign-in", map[string]string{"email": "later@example.com", "password": pw},
			"User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36").want(t, http.StatusOK, "").str("token")
		sessions := undoToken(t, e, "later@example.com", "New sign-in", 1)
		e.clock.Advance(time.Second)
		intruder.do("POST", "/api/auth/email", map[string]string{"newEmail": "intruder@example.com", "password": pw}).want(t, http.StatusAccepted, "")
		e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": strings.TrimPrefix(linkIn(t, e.mailTo("intruder@example.com", "Confirm", 1), "/email-change/"), "/email-change/")}).want(t, http.StatusOK, "")
		email := undoToken(t, e, "later@example.com", "email of your", 1)
		e.clock.Advance(time.Second)
		intruder.do("DELETE", "/api/auth/accounts/github", map[string]string{"password": pw}).want(t, http.StatusNoContent, "")
		method := undoToken(t, e, "intruder@example.com", "sign-in method was removed", 1) // went to the intruder's address

		e.api().do("POST", "/api/auth/undo", map[string]string{"token": sessions}).want(t, http.StatusOK, "")
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": email}).want(t, http.StatusOK, "")
		if u, _ := e.auth.GetUser(ctx, uid); u.Attributes.String("email") != "later@example.com" {
			t.Errorf("email after the undos: %q", u.Attributes.String("email"))
		}
		e.api().do("POST", "/api/auth/undo", map[string]string{"token": method}).want(t, http.StatusBadRequest, "INVALID_TOKEN")
	})
}
