package storetest

import (
	"testing"

	"github.com/latchauth/latch"
)

func testUsers(t *testing.T, open Open) {
	t.Run("create-without-key", func(t *testing.T) {
		f := setup(t, open)
		u := latch.UserRecord{ID: newID(t, "u"), Attributes: latch.Attributes{"email": "ada@example.com", "admin": false}}
		must(t, "CreateUser", f.Users.CreateUser(f.ctx, u, nil))
		got, err := f.Users.GetUser(f.ctx, u.ID)
		must(t, "GetUser", err)
		checkUser(t, "GetUser", got, u)
		keys, err := f.Keys.ListKeys(f.ctx, u.ID)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys of a user created without key", keyIDs(keys), nil)
	})

	t.Run("create-with-key", func(t *testing.T) {
		f := setup(t, open)
		u := latch.UserRecord{ID: newID(t, "u"), Attributes: latch.Attributes{}}
		k := latch.KeyRecord{ID: newKeyID(t), UserID: u.ID, HashedPassword: ptr("hash")}
		must(t, "CreateUser", f.Users.CreateUser(f.ctx, u, &k))
		got, err := f.Users.GetUser(f.ctx, u.ID)
		must(t, "GetUser", err)
		checkUser(t, "GetUser", got, u)
		gk, err := f.Keys.GetKey(f.ctx, k.ID)
		must(t, "GetKey", err)
		checkKey(t, "GetKey", gk, k)
		keys, err := f.Keys.ListKeys(f.ctx, u.ID)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys", keyIDs(keys), []string{k.ID})
	})

	t.Run("create-with-taken-key-is-atomic", func(t *testing.T) {
		f := setup(t, open)
		owner := f.user(nil)
		taken := f.key(owner, ptr("owner's hash"))
		u := latch.UserRecord{ID: newID(t, "u")}
		k := latch.KeyRecord{ID: taken.ID, UserID: u.ID, HashedPassword: ptr("intruder's hash")}
		wantErr(t, "CreateUser with a taken key id", f.Users.CreateUser(f.ctx, u, &k), latch.ErrDuplicate)
		_, err := f.Users.GetUser(f.ctx, u.ID)
		wantNotFound(t, "GetUser of a user whose key was refused (CreateUser must be one transaction)", err)
		got, err := f.Keys.GetKey(f.ctx, taken.ID)
		must(t, "GetKey", err)
		checkKey(t, "the taken key after the refused CreateUser", got, taken)
		// The id is free again: creating the user now must work.
		must(t, "CreateUser after the refused one", f.Users.CreateUser(f.ctx, u, nil))
	})

	t.Run("duplicate-id", func(t *testing.T) {
		f := setup(t, open)
		u := latch.UserRecord{ID: newID(t, "u"), Attributes: latch.Attributes{"n": int64(1)}}
		must(t, "CreateUser", f.Users.CreateUser(f.ctx, u, nil))
		again := latch.UserRecord{ID: u.ID, Attributes: latch.Attributes{"n": int64(2)}}
		wantErr(t, "CreateUser with a taken id", f.Users.CreateUser(f.ctx, again, nil), latch.ErrDuplicate)
		k := latch.KeyRecord{ID: newKeyID(t), UserID: u.ID}
		wantErr(t, "CreateUser with a taken id and a new key", f.Users.CreateUser(f.ctx, again, &k), latch.ErrDuplicate)
		_, err := f.Keys.GetKey(f.ctx, k.ID)
		wantNotFound(t, "GetKey of the key given with a refused user (CreateUser must be one transaction)", err)
		got, err := f.Users.GetUser(f.ctx, u.ID)
		must(t, "GetUser", err)
		checkUser(t, "the first user after refused duplicates", got, u)
	})

	t.Run("ids-are-case-sensitive", func(t *testing.T) {
		f := setup(t, open)
		lower := newID(t, "u")
		upper := "U" + lower[1:]
		must(t, "CreateUser lower", f.Users.CreateUser(f.ctx, latch.UserRecord{ID: lower, Attributes: latch.Attributes{"v": "lower"}}, nil))
		must(t, "CreateUser differing only in case", f.Users.CreateUser(f.ctx, latch.UserRecord{ID: upper, Attributes: latch.Attributes{"v": "upper"}}, nil))
		for id, want := range map[string]string{lower: "lower", upper: "upper"} {
			got, err := f.Users.GetUser(f.ctx, id)
			must(t, "GetUser", err)
			checkUser(t, "GetUser "+id, got, latch.UserRecord{ID: id, Attributes: latch.Attributes{"v": want}})
		}
	})

	t.Run("get-missing", func(t *testing.T) {
		f := setup(t, open)
		_, err := f.Users.GetUser(f.ctx, newID(t, "u"))
		wantNotFound(t, "GetUser of a missing user", err)
	})

	t.Run("update-attributes-merges", func(t *testing.T) {
		f := setup(t, open)
		id := f.user(latch.Attributes{"a": int64(1), "b": "x", "c": true})
		must(t, "UpdateUserAttributes", f.Users.UpdateUserAttributes(f.ctx, id, latch.Attributes{"b": "y", "c": nil, "d": 2.5}))
		want := latch.Attributes{"a": int64(1), "b": "y", "c": nil, "d": 2.5}
		got, err := f.Users.GetUser(f.ctx, id)
		must(t, "GetUser", err)
		checkAttributes(t, "after the first patch", got.Attributes, want)

		must(t, "UpdateUserAttributes with an empty patch", f.Users.UpdateUserAttributes(f.ctx, id, latch.Attributes{}))
		must(t, "UpdateUserAttributes with a nil patch", f.Users.UpdateUserAttributes(f.ctx, id, nil))
		got, err = f.Users.GetUser(f.ctx, id)
		must(t, "GetUser", err)
		checkAttributes(t, "after empty patches", got.Attributes, want)

		must(t, "UpdateUserAttributes", f.Users.UpdateUserAttributes(f.ctx, id, latch.Attributes{"c": false}))
		want["c"] = false
		got, err = f.Users.GetUser(f.ctx, id)
		must(t, "GetUser", err)
		checkAttributes(t, "after setting a nil attribute again", got.Attributes, want)
	})

	t.Run("update-attributes-missing", func(t *testing.T) {
		f := setup(t, open)
		id := newID(t, "u")
		wantNotFound(t, "UpdateUserAttributes of a missing user", f.Users.UpdateUserAttributes(f.ctx, id, latch.Attributes{"a": "b"}))
		_, err := f.Users.GetUser(f.ctx, id)
		wantNotFound(t, "GetUser after updating a missing user (an update must not create)", err)
	})

	t.Run("delete-cascades", func(t *testing.T) {
		f := setup(t, open)
		id := f.user(latch.Attributes{"email": "gone@example.com"})
		k1, k2 := f.key(id, ptr("h")), f.key(id, nil)
		other := f.user(nil)
		otherKey := f.key(other, nil)
		var s, otherSession latch.SessionRecord
		if f.sessionsWithUsers() {
			s = f.session(id, baseMS+hour, nil)
			otherSession = f.session(other, baseMS+hour, nil)
		}
		var tok, otherTok latch.TokenRecord
		if f.tokensWithUsers() {
			tok = f.token(id, "verify", baseMS+hour)
			otherTok = f.token(other, "verify", baseMS+hour)
			for _, u := range []string{id, other} {
				if _, err := f.Tokens.AddAttempt(f.ctx, "code", u, baseMS, baseMS+hour); err != nil {
					t.Fatalf("AddAttempt: %v", err)
				}
			}
		}

		must(t, "DeleteUser", f.Users.DeleteUser(f.ctx, id))

		_, err := f.Users.GetUser(f.ctx, id)
		wantNotFound(t, "GetUser after DeleteUser", err)
		for _, k := range []latch.KeyRecord{k1, k2} {
			_, err := f.Keys.GetKey(f.ctx, k.ID)
			wantNotFound(t, "GetKey of a deleted user's key", err)
		}
		keys, err := f.Keys.ListKeys(f.ctx, id)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys of a deleted user", keyIDs(keys), nil)
		if f.sessionsWithUsers() {
			_, err := f.Sessions.GetSession(f.ctx, s.ID)
			wantNotFound(t, "GetSession of a deleted user's session", err)
			list, err := f.Sessions.ListSessions(f.ctx, id)
			must(t, "ListSessions", err)
			checkIDs(t, "ListSessions of a deleted user", sessionIDs(list), nil)
		}
		if f.tokensWithUsers() {
			_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			wantNotFound(t, "GetToken of a deleted user's token", err)
			n, err := f.Tokens.Attempts(f.ctx, "code", id, baseMS)
			must(t, "Attempts", err)
			if n != 0 {
				t.Errorf("Attempts of a deleted user = %d, want 0 (DeleteUser removes attempt counters)", n)
			}
		}

		// The other user keeps everything.
		_, err = f.Users.GetUser(f.ctx, other)
		must(t, "GetUser of another user", err)
		_, err = f.Keys.GetKey(f.ctx, otherKey.ID)
		must(t, "GetKey of another user's key", err)
		if f.sessionsWithUsers() {
			_, err := f.Sessions.GetSession(f.ctx, otherSession.ID)
			must(t, "GetSession of another user's session", err)
		}
		if f.tokensWithUsers() {
			_, err := f.Tokens.GetToken(f.ctx, otherTok.Kind, otherTok.ID)
			must(t, "GetToken of another user's token", err)
			n, err := f.Tokens.Attempts(f.ctx, "code", other, baseMS)
			must(t, "Attempts", err)
			if n != 1 {
				t.Errorf("Attempts of another user = %d, want 1", n)
			}
		}

		// The id can be used again, with none of the old rows.
		must(t, "CreateUser with a deleted user's id", f.Users.CreateUser(f.ctx, latch.UserRecord{ID: id}, &latch.KeyRecord{ID: k1.ID, UserID: id}))
		got, err := f.Users.GetUser(f.ctx, id)
		must(t, "GetUser", err)
		checkAttributes(t, "re-created user", got.Attributes, latch.Attributes{})
	})

	t.Run("delete-missing", func(t *testing.T) {
		f := setup(t, open)
		must(t, "DeleteUser of a missing user", f.Users.DeleteUser(f.ctx, newID(t, "u")))
		id := f.user(nil)
		must(t, "DeleteUser", f.Users.DeleteUser(f.ctx, id))
		must(t, "DeleteUser twice", f.Users.DeleteUser(f.ctx, id))
	})

	t.Run("no-aliasing", func(t *testing.T) {
		// The store keeps its own copy: changing the caller's maps after a
		// call must not change what the store holds.
		f := setup(t, open)
		in := latch.Attributes{"v": "original"}
		id := newID(t, "u")
		must(t, "CreateUser", f.Users.CreateUser(f.ctx, latch.UserRecord{ID: id, Attributes: in}, nil))
		in["v"], in["added"] = "changed by caller", true
		got, err := f.Users.GetUser(f.ctx, id)
		must(t, "GetUser", err)
		checkAttributes(t, "after the caller changed its input map", got.Attributes, latch.Attributes{"v": "original"})
		got.Attributes["v"], got.Attributes["added"] = "changed by caller", true
		patch := latch.Attributes{"p": int64(1)}
		must(t, "UpdateUserAttributes", f.Users.UpdateUserAttributes(f.ctx, id, patch))
		patch["p"] = int64(2)
		again, err := f.Users.GetUser(f.ctx, id)
		must(t, "GetUser", err)
		checkAttributes(t, "after the caller changed a returned map and its patch", again.Attributes, latch.Attributes{"v": "original", "p": int64(1)})
	})
}
