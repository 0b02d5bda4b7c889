package latch_test

import (
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
