package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

// testUserList checks the UserLister contract and Auth.ListUsers on it;
// it is skipped when the user store does not implement it. Server-backed
// stores hold other tests' users too: every id here starts with a fresh
// random prefix, so the rows of this test are the contiguous run of ids
// after that prefix.
func testUserList(t *testing.T, open Open) {
	t.Run("pages", func(t *testing.T) { testUserPages(t, open) })
}

func testUserPages(t *testing.T, open Open) {
	f := setup(t, open)
	lister, ok := f.Users.(latch.UserLister)
	if !ok {
		t.Skip("the user store does not implement latch.UserLister")
	}
	p := newID(t, "ul")
	ids := []string{p + "a", p + "b", p + "c", p + "d", p + "e"}
	for _, id := range slices.Backward(ids) { // created out of order
		must(t, "CreateUser", f.Users.CreateUser(f.ctx, latch.UserRecord{ID: id, Attributes: latch.Attributes{"name": id}}, nil))
	}

	// All users, in pages of two from the prefix on.
	var got []string
	after := p
	for range 10 {
		page, err := lister.ListUsers(f.ctx, after, 2)
		must(t, "ListUsers", err)
		if len(page) > 2 {
			t.Fatalf("ListUsers(limit 2) gave %d users", len(page))
		}
		done := len(page) < 2
		for _, u := range page {
			if !strings.HasPrefix(u.ID, p) {
				done = true
				break
			}
			if u.Attributes["name"] != u.ID {
				t.Errorf("user %s has attributes %v", u.ID, u.Attributes)
			}
			got = append(got, u.ID)
			after = u.ID
		}
		if done {
			break
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("users in pages: %v, want %v", got, ids)
	}

	// By key prefix: in order of key id, a user with two keys twice, other
	// providers and other cases left out (ids are compared byte for byte).
	mail := "email:" + p
	keys := map[string]string{
		mail + "carol@example.com": ids[2], mail + "ada@example.com": ids[0], mail + "bob@example.com": ids[1],
		mail + "ada2@example.com": ids[0], "github:" + p + "ada": ids[0], "email:" + strings.ToUpper(p) + "x@example.com": ids[3],
		mail[:len(mail)-1] + "@example.com": ids[4], // the prefix without its last character
	}
	for id, user := range keys {
		must(t, "CreateKey", f.Keys.CreateKey(f.ctx, latch.KeyRecord{ID: id, UserID: user}))
	}
	want := []latch.KeyUser{
		{KeyID: mail + "ada2@example.com", User: latch.UserRecord{ID: ids[0]}},
		{KeyID: mail + "ada@example.com", User: latch.UserRecord{ID: ids[0]}},
		{KeyID: mail + "bob@example.com", User: latch.UserRecord{ID: ids[1]}},
		{KeyID: mail + "carol@example.com", User: latch.UserRecord{ID: ids[2]}},
	}
	var gotKeys []latch.KeyUser
	after = ""
	for range 10 {
		page, err := lister.ListKeyUsers(f.ctx, mail, after, 3)
		must(t, "ListKeyUsers", err)
		if len(page) > 3 {
			t.Fatalf("ListKeyUsers(limit 3) gave %d keys", len(page))
		}
		for _, k := range page {
			if k.User.Attributes["name"] != k.User.ID {
				t.Errorf("key %s: user %s has attributes %v", k.KeyID, k.User.ID, k.User.Attributes)
			}
			gotKeys = append(gotKeys, latch.KeyUser{KeyID: k.KeyID, User: latch.UserRecord{ID: k.User.ID}})
			after = k.KeyID
		}
		if len(page) < 3 {
			break
		}
	}
	if !equalKeyUsers(gotKeys, want) {
		t.Errorf("keys with prefix %q: %v, want %v", mail, gotKeys, want)
	}
	if page, err := lister.ListKeyUsers(f.ctx, mail+"zzz", "", 10); err != nil || len(page) != 0 {
		t.Errorf("ListKeyUsers of a prefix nobody has = %v, %v; want none", page, err)
	}

	// Through Auth: the email prefix as a user types it (normalised), the
	// cursor it gives, and a cursor of the other mode refused.
	a, _ := f.auth()
	var viaAuth []string
	cursor := ""
	for range 10 {
		users, next, err := a.ListUsers(f.ctx, latch.ListUsersOptions{EmailPrefix: " " + strings.ToUpper(p), Cursor: cursor, Limit: 3})
		must(t, "Auth.ListUsers", err)
		for _, u := range users {
			viaAuth = append(viaAuth, u.ID)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if w := []string{ids[0], ids[0], ids[1], ids[2]}; !slices.Equal(viaAuth, w) {
		t.Errorf("Auth.ListUsers by email prefix: %v, want %v", viaAuth, w)
	}
	_, next, err := a.ListUsers(f.ctx, latch.ListUsersOptions{Limit: 1})
	must(t, "Auth.ListUsers", err)
	if next == "" {
		t.Fatal("Auth.ListUsers(limit 1) of several users gave no next cursor")
	}
	if _, _, err := a.ListUsers(f.ctx, latch.ListUsersOptions{EmailPrefix: "a", Cursor: next}); !errors.Is(err, latch.ErrInvalidCursor) {
		t.Errorf("a cursor of the full list used with a prefix: %v, want ErrInvalidCursor", err)
	}
	if _, _, err := a.ListUsers(f.ctx, latch.ListUsersOptions{Cursor: "!!"}); !errors.Is(err, latch.ErrInvalidCursor) {
		t.Errorf("a cursor not made by ListUsers: %v, want ErrInvalidCursor", err)
	}
}

func equalKeyUsers(a, b []latch.KeyUser) bool {
	return slices.EqualFunc(a, b, func(x, y latch.KeyUser) bool { return x.KeyID == y.KeyID && x.User.ID == y.User.ID })
}

// testDisable checks Auth.DisableUser and EnableUser on the stores: the
// flag round-trips, sessions end and tokens are voided, CreateSession is
// refused, a session written behind the flag's back is refused, and
// enabling lets the user in again.
func testDisable(t *testing.T, open Open) {
	t.Run("disable-enable", func(t *testing.T) { testDisableEnable(t, open) })
}

func testDisableEnable(t *testing.T, open Open) {
	f := setup(t, open)
	a, _ := f.auth()
	pw := "correct horse battery staple"
	user, email := f.emailUser(a, &pw)
	s1, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID})
	must(t, "CreateSession", err)
	if f.Tokens != nil {
		f.token(user.ID, "magic-link", msOf(base)+60_000)
	}

	u, err := a.DisableUser(f.ctx, user.ID)
	must(t, "DisableUser", err)
	if !u.Disabled() {
		t.Fatalf("DisableUser returned %v, not disabled", u.Attributes)
	}
	if got, err := a.GetUser(f.ctx, user.ID); err != nil || !got.Disabled() {
		t.Fatalf("GetUser after DisableUser = %v, %v; want disabled", got.Attributes, err)
	}
	if _, err := a.ValidateSession(f.ctx, s1.Token); !errors.Is(err, latch.ErrInvalidSessionID) {
		t.Errorf("the session from before DisableUser: %v, want ErrInvalidSessionID", err)
	}
	if recs, err := f.Sessions.ListSessions(f.ctx, user.ID); err != nil || len(recs) != 0 {
		t.Errorf("sessions left after DisableUser: %d, %v", len(recs), err)
	}
	if f.Tokens != nil {
		if toks, err := f.Tokens.ListTokens(f.ctx, user.ID, "magic-link"); err != nil || len(toks) != 0 {
			t.Errorf("tokens left after DisableUser: %d, %v", len(toks), err)
		}
	}
	if _, err := a.UseKey(f.ctx, "email", email, &pw); err != nil {
		t.Errorf("UseKey of a disabled user: %v (the key stays; CreateSession refuses)", err)
	}
	if _, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID}); !errors.Is(err, latch.ErrUserDisabled) {
		t.Errorf("CreateSession for a disabled user: %v, want ErrUserDisabled", err)
	}
	// A session written in a race (the store's own call, past the check).
	raced := f.session(user.ID, msOf(base)+3_600_000, nil)
	if _, err := a.GetSessionByID(f.ctx, raced.ID); !errors.Is(err, latch.ErrInvalidSessionID) {
		t.Errorf("a disabled user's session written behind the flag: %v, want ErrInvalidSessionID", err)
	}
	if _, err := a.DisableUser(f.ctx, user.ID); err != nil {
		t.Errorf("DisableUser twice: %v", err)
	}

	f.session(user.ID, msOf(base)+3_600_000, nil)
	u, err = a.EnableUser(f.ctx, user.ID)
	must(t, "EnableUser", err)
	if u.Disabled() {
		t.Errorf("EnableUser returned %v, still disabled", u.Attributes)
	}
	if recs, err := f.Sessions.ListSessions(f.ctx, user.ID); err != nil || len(recs) != 0 {
		t.Errorf("sessions from the disabled time left after EnableUser: %d, %v", len(recs), err)
	}
	s2, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID})
	must(t, "CreateSession after EnableUser", err)
	if _, err := a.ValidateSession(f.ctx, s2.Token); err != nil {
		t.Errorf("ValidateSession after EnableUser: %v", err)
	}
	for _, id := range []string{"", newID(t, "nobody")} {
		if _, err := a.DisableUser(f.ctx, id); !errors.Is(err, latch.ErrInvalidUserID) {
			t.Errorf("DisableUser(%q): %v, want ErrInvalidUserID", id, err)
		}
		if _, err := a.EnableUser(f.ctx, id); !errors.Is(err, latch.ErrInvalidUserID) {
			t.Errorf("EnableUser(%q): %v, want ErrInvalidUserID", id, err)
		}
	}
}
