package storetest

import (
	"testing"

	"github.com/latchauth/latch"
)

// distinctKeyIDs are pairs of key ids that a store must keep apart: ids are
// compared byte for byte, so case-insensitive, accent-insensitive or
// space-padding collations fail here.
var distinctKeyIDs = []struct {
	name string
	// Each key id is provider + ":" + a fresh random part + rest.
	providerA, restA string
	providerB, restB string
}{
	{"case", "email", "A@x", "email", "a@x"},
	{"case-of-provider", "Email", "a@x", "email", "a@x"},
	{"trailing-space", "email", "a@x", "email", "a@x "},
	{"accent", "email", "é@x", "email", "e@x"},
	{"unicode-normalization", "email", "\u00e9@x", "email", "e\u0301@x"},
	{"sharp-s", "email", "straße@x", "email", "strasse@x"},
}

func testKeys(t *testing.T, open Open) {
	t.Run("create-get", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		for _, hash := range []*string{ptr("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"), nil, ptr("")} {
			k := f.key(u, hash)
			got, err := f.Keys.GetKey(f.ctx, k.ID)
			must(t, "GetKey", err)
			checkKey(t, "GetKey", got, k)
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		f := setup(t, open)
		u, other := f.user(nil), f.user(nil)
		k := f.key(u, ptr("first"))
		wantErr(t, "CreateKey with a taken id", f.Keys.CreateKey(f.ctx, latch.KeyRecord{ID: k.ID, UserID: u}), latch.ErrDuplicate)
		wantErr(t, "CreateKey with an id taken by another user", f.Keys.CreateKey(f.ctx, latch.KeyRecord{ID: k.ID, UserID: other, HashedPassword: ptr("second")}), latch.ErrDuplicate)
		got, err := f.Keys.GetKey(f.ctx, k.ID)
		must(t, "GetKey", err)
		checkKey(t, "the key after refused duplicates", got, k)
	})

	t.Run("missing-user", func(t *testing.T) {
		f := setup(t, open)
		k := latch.KeyRecord{ID: newKeyID(t), UserID: newID(t, "u")}
		wantNotFound(t, "CreateKey for a missing user", f.Keys.CreateKey(f.ctx, k))
		_, err := f.Keys.GetKey(f.ctx, k.ID)
		wantNotFound(t, "GetKey of a key refused for a missing user", err)
	})

	t.Run("get-missing", func(t *testing.T) {
		f := setup(t, open)
		_, err := f.Keys.GetKey(f.ctx, newKeyID(t))
		wantNotFound(t, "GetKey of a missing key", err)
	})

	t.Run("colon-in-provider-user-id", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		k := latch.KeyRecord{ID: "email:" + newID(t, "a") + ":b@c", UserID: u, HashedPassword: ptr("h")}
		must(t, "CreateKey", f.Keys.CreateKey(f.ctx, k))
		got, err := f.Keys.GetKey(f.ctx, k.ID)
		must(t, "GetKey", err)
		checkKey(t, "GetKey", got, k)
		list, err := f.Keys.ListKeys(f.ctx, u)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys", keyIDs(list), []string{k.ID})
		must(t, "UpdateKeyPassword", f.Keys.UpdateKeyPassword(f.ctx, k.ID, nil))
		must(t, "DeleteKey", f.Keys.DeleteKey(f.ctx, k.ID))
		_, err = f.Keys.GetKey(f.ctx, k.ID)
		wantNotFound(t, "GetKey after DeleteKey", err)
	})

	t.Run("byte-for-byte", func(t *testing.T) {
		for _, c := range distinctKeyIDs {
			t.Run(c.name, func(t *testing.T) {
				f := setup(t, open)
				ua, ub := f.user(nil), f.user(nil)
				random := newID(t, "")
				a := latch.KeyRecord{ID: c.providerA + ":" + random + c.restA, UserID: ua, HashedPassword: ptr("a")}
				b := latch.KeyRecord{ID: c.providerB + ":" + random + c.restB, UserID: ub, HashedPassword: ptr("b")}
				must(t, "CreateKey "+a.ID, f.Keys.CreateKey(f.ctx, a))
				must(t, "CreateKey "+b.ID+" (differs from "+a.ID+")", f.Keys.CreateKey(f.ctx, b))
				for _, k := range []latch.KeyRecord{a, b} {
					got, err := f.Keys.GetKey(f.ctx, k.ID)
					must(t, "GetKey", err)
					checkKey(t, "GetKey "+k.ID, got, k)
				}
				must(t, "UpdateKeyPassword", f.Keys.UpdateKeyPassword(f.ctx, a.ID, ptr("a2")))
				got, err := f.Keys.GetKey(f.ctx, b.ID)
				must(t, "GetKey", err)
				checkKey(t, "the other key after UpdateKeyPassword", got, b)
				must(t, "DeleteKey", f.Keys.DeleteKey(f.ctx, a.ID))
				got, err = f.Keys.GetKey(f.ctx, b.ID)
				must(t, "GetKey of the other key after DeleteKey", err)
				checkKey(t, "the other key after DeleteKey", got, b)
			})
		}
	})

	t.Run("list-by-user", func(t *testing.T) {
		f := setup(t, open)
		u, other := f.user(nil), f.user(nil)
		want := []latch.KeyRecord{f.key(u, ptr("h1")), f.key(u, nil), f.key(u, ptr("h3"))}
		f.key(other, nil)
		list, err := f.Keys.ListKeys(f.ctx, u)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys", keyIDs(list), keyIDs(want))
		for _, got := range list {
			for _, w := range want {
				if w.ID == got.ID {
					checkKey(t, "ListKeys", got, w)
				}
			}
		}
		none, err := f.Keys.ListKeys(f.ctx, f.user(nil))
		must(t, "ListKeys of a user without keys", err)
		checkIDs(t, "ListKeys of a user without keys", keyIDs(none), nil)
		none, err = f.Keys.ListKeys(f.ctx, newID(t, "u"))
		must(t, "ListKeys of a missing user", err)
		checkIDs(t, "ListKeys of a missing user", keyIDs(none), nil)
	})

	t.Run("update-password", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		k := f.key(u, nil)
		other := f.key(u, ptr("other"))
		for _, hash := range []*string{ptr("set"), ptr("changed"), nil, ptr("set again")} {
			must(t, "UpdateKeyPassword", f.Keys.UpdateKeyPassword(f.ctx, k.ID, hash))
			k.HashedPassword = hash
			got, err := f.Keys.GetKey(f.ctx, k.ID)
			must(t, "GetKey", err)
			checkKey(t, "after UpdateKeyPassword", got, k)
		}
		got, err := f.Keys.GetKey(f.ctx, other.ID)
		must(t, "GetKey", err)
		checkKey(t, "another key of the user", got, other)
	})

	t.Run("update-password-missing", func(t *testing.T) {
		f := setup(t, open)
		id := newKeyID(t)
		wantNotFound(t, "UpdateKeyPassword of a missing key", f.Keys.UpdateKeyPassword(f.ctx, id, ptr("h")))
		wantNotFound(t, "UpdateKeyPassword(nil) of a missing key", f.Keys.UpdateKeyPassword(f.ctx, id, nil))
		_, err := f.Keys.GetKey(f.ctx, id)
		wantNotFound(t, "GetKey after updating a missing key (an update must not create)", err)
	})

	t.Run("delete-one", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		k, kept := f.key(u, ptr("h")), f.key(u, nil)
		must(t, "DeleteKey", f.Keys.DeleteKey(f.ctx, k.ID))
		_, err := f.Keys.GetKey(f.ctx, k.ID)
		wantNotFound(t, "GetKey after DeleteKey", err)
		list, err := f.Keys.ListKeys(f.ctx, u)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys after DeleteKey", keyIDs(list), []string{kept.ID})
		// The id is free again.
		must(t, "CreateKey with a deleted key's id", f.Keys.CreateKey(f.ctx, k))
	})

	t.Run("delete-by-user", func(t *testing.T) {
		f := setup(t, open)
		u, other := f.user(nil), f.user(nil)
		gone := []latch.KeyRecord{f.key(u, ptr("h")), f.key(u, nil)}
		kept := f.key(other, nil)
		must(t, "DeleteKeysByUser", f.Keys.DeleteKeysByUser(f.ctx, u))
		for _, k := range gone {
			_, err := f.Keys.GetKey(f.ctx, k.ID)
			wantNotFound(t, "GetKey after DeleteKeysByUser", err)
		}
		list, err := f.Keys.ListKeys(f.ctx, u)
		must(t, "ListKeys", err)
		checkIDs(t, "ListKeys after DeleteKeysByUser", keyIDs(list), nil)
		got, err := f.Keys.GetKey(f.ctx, kept.ID)
		must(t, "GetKey of another user's key", err)
		checkKey(t, "another user's key", got, kept)
		_, err = f.Users.GetUser(f.ctx, u)
		must(t, "GetUser after DeleteKeysByUser (the user stays)", err)
	})

	t.Run("deletes-succeed-for-missing", func(t *testing.T) {
		f := setup(t, open)
		must(t, "DeleteKey of a missing key", f.Keys.DeleteKey(f.ctx, newKeyID(t)))
		must(t, "DeleteKeysByUser of a missing user", f.Keys.DeleteKeysByUser(f.ctx, newID(t, "u")))
		must(t, "DeleteKeysByUser of a user without keys", f.Keys.DeleteKeysByUser(f.ctx, f.user(nil)))
	})
}
