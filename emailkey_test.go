package latch_test

import (
	"errors"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/store/memory"
)

// TestEmailKeysNormalised: an email key created in any spelling is one
// key, found in any other; a mixed-case key written before normalisation
// (a Lucia v2 database) still works under its own spelling; and
// Config.EmailKeysAsGiven turns it off.
func TestEmailKeysNormalised(t *testing.T) {
	ctx := t.Context()
	store := memory.New()
	auth, err := latch.New(latch.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	pw := "correct horse battery staple"
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: " Ada@Example.COM ", Password: &pw},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetKey(ctx, "email:ada@example.com"); err != nil {
		t.Fatalf("stored key: %v, want email:ada@example.com", err)
	}
	for _, spelling := range []string{"ada@example.com", "ADA@example.com", "Ada@Example.com"} {
		k, err := auth.UseKey(ctx, "email", spelling, &pw)
		if err != nil || k.UserID != u.ID {
			t.Errorf("UseKey(%q) = %+v, %v; want the user", spelling, k, err)
		}
		if _, err := auth.GetKey(ctx, "email", spelling); err != nil {
			t.Errorf("GetKey(%q) = %v", spelling, err)
		}
	}
	if _, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "ADA@example.com", Password: &pw},
	}); !errors.Is(err, latch.ErrDuplicateKeyID) {
		t.Errorf("second user as ADA@example.com: %v, want ErrDuplicateKeyID", err)
	}
	// Other providers are left as they are: an OAuth subject is case-sensitive.
	if _, err := auth.CreateKey(ctx, u.ID, latch.KeyOptions{ProviderID: "github", ProviderUserID: "AbC"}); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.GetKey(ctx, "github", "abc"); !errors.Is(err, latch.ErrInvalidKeyID) {
		t.Errorf("github key found in another case: %v", err)
	}

	// A legacy mixed-case key, as a Lucia v2 database may hold.
	h, err := password.Argon2id{}.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	legacy := latch.KeyRecord{ID: "email:Grace@Example.com", UserID: "legacy", HashedPassword: &h}
	if err := store.CreateUser(ctx, latch.UserRecord{ID: "legacy"}, &legacy); err != nil {
		t.Fatal(err)
	}
	if k, err := auth.UseKey(ctx, "email", "Grace@Example.com", &pw); err != nil || k.UserID != "legacy" {
		t.Errorf("legacy key under its own spelling: %+v, %v", k, err)
	}
	if _, err := auth.UpdateKeyPassword(ctx, "email", "Grace@Example.com", &pw); err != nil {
		t.Errorf("UpdateKeyPassword on the legacy key: %v", err)
	}
	if _, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "Grace@Example.com", Password: &pw},
	}); !errors.Is(err, latch.ErrDuplicateKeyID) {
		t.Errorf("new user under the legacy spelling: %v, want ErrDuplicateKeyID", err)
	}
	if err := auth.DeleteKey(ctx, "email", "Grace@Example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetKey(ctx, "email:Grace@Example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("DeleteKey left the legacy key: %v", err)
	}

	// Turned off: keys are exact.
	exact, err := latch.New(latch.Config{Store: memory.New(), EmailKeysAsGiven: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exact.CreateUser(ctx, latch.CreateUserOptions{
		Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "Ada@Example.com", Password: &pw},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := exact.GetKey(ctx, "email", "ada@example.com"); !errors.Is(err, latch.ErrInvalidKeyID) {
		t.Errorf("EmailKeysAsGiven: found under another case: %v", err)
	}
	if _, err := exact.GetKey(ctx, "email", "Ada@Example.com"); err != nil {
		t.Errorf("EmailKeysAsGiven: exact spelling: %v", err)
	}
}

func TestNormalizeEmailKey(t *testing.T) {
	for in, want := range map[string]string{
		" Ada@Example.COM\t":        "ada@example.com",
		"ada@example.com":           "ada@example.com",
		"Bob@XN--BCHER-KVA.example": "bob@bücher.example",
		"no-at-sign":                "no-at-sign",
	} {
		if got := latch.NormalizeEmailKey(in); got != want {
			t.Errorf("NormalizeEmailKey(%q) = %q, want %q", in, got, want)
		}
		if got := latch.NormalizeEmailKey(want); got != want {
			t.Errorf("NormalizeEmailKey not idempotent on %q: %q", want, got)
		}
	}
}
