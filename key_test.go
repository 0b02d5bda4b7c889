package latch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// A hash written by lucia@2.7.7 for "correct horse battery staple".
const luciaHash = "s2:vemnxdz8c5auirhd:a24353c9a5e642465e45ddda9ea25704e278179161434737f08d8ec9181d40fc67fb031db615ac3698202033437d200e29dd33586da65b62950a55e6035582fa"

// TestRehashOnSignIn: a Lucia v2 hash verifies, and on success the default
// profile replaces it with Argon2id while the lucia2 profile keeps the s2
// format Lucia itself can still read.
func TestRehashOnSignIn(t *testing.T) {
	for _, tc := range []struct {
		profile latch.Profile
		prefix  string
	}{{latch.ProfileDefault, "$argon2id$"}, {latch.ProfileLucia2, "s2:"}} {
		store := memory.New()
		auth, err := latch.New(latch.Config{Store: store, Profile: tc.profile})
		if err != nil {
			t.Fatal(err)
		}
		h := luciaHash
		key := latch.KeyRecord{ID: "email:lucia@example.com", UserID: "u1", HashedPassword: &h}
		if err := store.CreateUser(t.Context(), latch.UserRecord{ID: "u1"}, &key); err != nil {
			t.Fatal(err)
		}
		pw := "correct horse battery staple"
		if _, err := auth.UseKey(t.Context(), "email", "lucia@example.com", &pw); err != nil {
			t.Fatalf("%q: UseKey with Lucia's hash: %v", tc.profile, err)
		}
		rec, err := store.GetKey(t.Context(), key.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(*rec.HashedPassword, tc.prefix) {
			t.Errorf("%q: stored hash after sign-in %.20q…, want %q", tc.profile, *rec.HashedPassword, tc.prefix)
		}
		if _, err := auth.UseKey(t.Context(), "email", "lucia@example.com", &pw); err != nil {
			t.Errorf("%q: UseKey after the rehash: %v", tc.profile, err)
		}
	}
}

// TestMoveKey: the key gets its new id with its user and password; a taken
// id or a missing key changes nothing.
func TestMoveKey(t *testing.T) {
	store := memory.New()
	auth, err := latch.New(latch.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	pw := "correct horse battery"
	u, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "a@example.com", Password: &pw}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "c@example.com", Password: &pw}}); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.MoveKey(t.Context(), "email", "a@example.com", "c@example.com"); !errors.Is(err, latch.ErrDuplicateKeyID) {
		t.Errorf("move onto a taken id: %v", err)
	}
	if _, err := auth.MoveKey(t.Context(), "email", "zz@example.com", "d@example.com"); !errors.Is(err, latch.ErrInvalidKeyID) {
		t.Errorf("move a missing key: %v", err)
	}
	k, err := auth.MoveKey(t.Context(), "email", "a@example.com", "b@example.com")
	if err != nil || k.UserID != u.ID || !k.PasswordDefined {
		t.Fatalf("MoveKey: %+v %v", k, err)
	}
	if _, err := auth.UseKey(t.Context(), "email", "b@example.com", &pw); err != nil {
		t.Errorf("the moved key's password: %v", err)
	}
	if _, err := auth.GetKey(t.Context(), "email", "a@example.com"); !errors.Is(err, latch.ErrInvalidKeyID) {
		t.Errorf("the old key: %v", err)
	}
}
