package oauth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
)

func forEachAuth(t *testing.T, fn func(t *testing.T, a *latch.Auth)) {
	for name, open := range map[string]func(t *testing.T) latch.Store{
		"memory": func(*testing.T) latch.Store { return memory.New() },
		"sqlite": func(t *testing.T) latch.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := latch.New(latch.Config{Store: open(t)})
			if err != nil {
				t.Fatal(err)
			}
			fn(t, a)
		})
	}
}

// emailUser makes a user with an email key and password, as sign-up does.
func emailUser(t *testing.T, a *latch.Auth, email string, verified bool) latch.User {
	t.Helper()
	pw := "correct horse battery"
	u, err := a.CreateUser(context.Background(), latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: email, Password: &pw},
		Attributes: latch.Attributes{"email": email, "email_verified": verified},
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFindOrCreateUser(t *testing.T) {
	ctx := context.Background()
	forEachAuth(t, func(t *testing.T, a *latch.Auth) {
		t.Run("new, then existing", func(t *testing.T) {
			pu := oauth.ProviderUser{ID: "gh-1", Email: "Neo@Example.COM", EmailVerified: true, Name: "Neo"}
			acc, err := oauth.FindOrCreateUser(ctx, a, "github", pu, oauth.LinkOptions{
				Attributes: func(oauth.ProviderUser) latch.Attributes {
					return latch.Attributes{"plan": "free", "email": "ignored@example.com"}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			at := acc.User.Attributes
			if acc.How != oauth.Created || at.String("email") != "neo@example.com" || !at.Bool("email_verified") ||
				at.String("name") != "Neo" || at.String("plan") != "free" {
				t.Errorf("created %+v", acc)
			}
			if k, err := a.GetKey(ctx, "github", "gh-1"); err != nil || k.UserID != acc.User.ID || k.PasswordDefined {
				t.Errorf("key %+v, %v", k, err)
			}
			again, err := oauth.FindOrCreateUser(ctx, a, "github", pu, oauth.LinkOptions{})
			if err != nil || again.How != oauth.Existing || again.User.ID != acc.User.ID {
				t.Errorf("second sign-in: %+v, %v", again, err)
			}
			// No email key was made: the address is the user's attribute only.
			if _, err := a.GetKey(ctx, "email", "neo@example.com"); !errors.Is(err, latch.ErrInvalidKeyID) {
				t.Errorf("an email key exists: %v", err)
			}
		})

		t.Run("links by verified email", func(t *testing.T) {
			u := emailUser(t, a, "trinity@example.com", true)
			s, err := a.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			acc, err := oauth.FindOrCreateUser(ctx, a, "google", oauth.ProviderUser{ID: "g-1", Email: "TRINITY@example.com", EmailVerified: true}, oauth.LinkOptions{})
			if err != nil || acc.How != oauth.LinkedByEmail || acc.User.ID != u.ID || acc.Key.ID() != "google:g-1" {
				t.Fatalf("link: %+v, %v", acc, err)
			}
			pw := "correct horse battery"
			if _, err := a.UseKey(ctx, "email", "trinity@example.com", &pw); err != nil {
				t.Errorf("the verified owner's password stopped working: %v", err)
			}
			if _, err := a.ValidateSession(ctx, s.Token); err != nil {
				t.Errorf("the verified owner's session ended: %v", err)
			}
		})

		t.Run("Linked runs in the link's transaction", func(t *testing.T) {
			u := emailUser(t, a, "hooked@example.com", true)
			pu := oauth.ProviderUser{ID: "g-hook", Email: "hooked@example.com", EmailVerified: true}
			refuse := errors.New("notice not queued")
			var got oauth.Account
			_, err := oauth.FindOrCreateUser(ctx, a, "google", pu, oauth.LinkOptions{
				Linked: func(ctx context.Context, acc oauth.Account) error {
					got = acc
					return refuse
				},
			})
			if !errors.Is(err, refuse) || got.How != oauth.LinkedByEmail || got.User.ID != u.ID || got.Key.ID() != "google:g-hook" {
				t.Fatalf("link whose hook failed: %v; the hook saw %+v", err, got)
			}
			_, kerr := a.GetKey(ctx, "google", "g-hook")
			if a.Atomic() != errors.Is(kerr, latch.ErrInvalidKeyID) {
				// Rolled back where there is a transaction; written (and
				// kept) where there is none.
				t.Errorf("key after the failed hook (Atomic %v): %v", a.Atomic(), kerr)
			}
			calls := 0
			acc, err := oauth.FindOrCreateUser(ctx, a, "google", pu, oauth.LinkOptions{
				Linked: func(context.Context, oauth.Account) error { calls++; return nil },
			})
			if err != nil || acc.User.ID != u.ID || calls != boolCount(a.Atomic()) {
				t.Errorf("link again: %+v, %v, hook called %d times", acc, err, calls)
			}
		})

		t.Run("never links on an unverified email", func(t *testing.T) {
			u := emailUser(t, a, "morpheus@example.com", true)
			acc, err := oauth.FindOrCreateUser(ctx, a, "discord", oauth.ProviderUser{ID: "d-1", Email: "morpheus@example.com", EmailVerified: false}, oauth.LinkOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if acc.How != oauth.Created || acc.User.ID == u.ID || acc.User.Attributes.Bool("email_verified") {
				t.Errorf("unverified address linked or marked verified: %+v", acc)
			}
			keys, _ := a.GetAllUserKeys(ctx, u.ID)
			if len(keys) != 1 {
				t.Errorf("the email user has %d keys, want 1", len(keys))
			}
		})

		t.Run("pre-hijacked account", func(t *testing.T) {
			// Someone signed up first with the victim's address and a
			// password of theirs, never verified.
			u := emailUser(t, a, "oracle@example.com", false)
			s, err := a.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			acc, err := oauth.FindOrCreateUser(ctx, a, "google", oauth.ProviderUser{ID: "g-2", Email: "oracle@example.com", EmailVerified: true}, oauth.LinkOptions{})
			if err != nil || acc.How != oauth.LinkedByEmail || acc.User.ID != u.ID {
				t.Fatalf("link: %+v, %v", acc, err)
			}
			pw := "correct horse battery"
			if _, err := a.UseKey(ctx, "email", "oracle@example.com", &pw); !errors.Is(err, latch.ErrInvalidPassword) {
				t.Errorf("the unproven password still works: %v", err)
			}
			if _, err := a.ValidateSession(ctx, s.Token); !errors.Is(err, latch.ErrInvalidSessionID) {
				t.Errorf("the unproven session still works: %v", err)
			}
			if !acc.User.Attributes.Bool("email_verified") {
				t.Error("the address is not marked verified")
			}
		})

		t.Run("claim hook replaces the cleanup", func(t *testing.T) {
			u := emailUser(t, a, "claimed@example.com", false)
			var got []string
			claim := func(ctx context.Context, cu latch.User) (latch.User, error) {
				got = append(got, cu.ID)
				return a.UpdateUserAttributes(ctx, cu.ID, latch.Attributes{"email_verified": true, "claimed": true})
			}
			acc, err := oauth.FindOrCreateUser(ctx, a, "google", oauth.ProviderUser{ID: "g-3", Email: "claimed@example.com", EmailVerified: true}, oauth.LinkOptions{Claim: claim})
			if err != nil || acc.How != oauth.LinkedByEmail || acc.User.ID != u.ID {
				t.Fatalf("link: %+v, %v", acc, err)
			}
			if len(got) != 1 || got[0] != u.ID || !acc.User.Attributes.Bool("claimed") {
				t.Fatalf("Claim called for %v, user %+v: want once, for %s, and its user returned", got, acc.User.Attributes, u.ID)
			}
			// A verified account is linked without a claim.
			emailUser(t, a, "verified-claim@example.com", true)
			got = nil
			if _, err := oauth.FindOrCreateUser(ctx, a, "google", oauth.ProviderUser{ID: "g-4", Email: "verified-claim@example.com", EmailVerified: true}, oauth.LinkOptions{Claim: claim}); err != nil || len(got) != 0 {
				t.Fatalf("verified account: Claim called %d times, %v", len(got), err)
			}
		})

		t.Run("address the normalizer refuses", func(t *testing.T) {
			acc, err := oauth.FindOrCreateUser(ctx, a, "github", oauth.ProviderUser{ID: "gh-odd", Email: "odd@@example", EmailVerified: true},
				oauth.LinkOptions{NormalizeEmail: func(s string) (string, error) {
					if strings.Count(s, "@") != 1 {
						return "", errors.New("bad")
					}
					return s, nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if acc.User.Attributes.String("email") != "" || acc.User.Attributes.Bool("email_verified") {
				t.Errorf("a refused address was kept: %+v", acc.User.Attributes)
			}
		})

		t.Run("concurrent first sign-ins make one user", func(t *testing.T) {
			var wg sync.WaitGroup
			ids := make([]string, 8)
			errs := make([]error, 8)
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					acc, err := oauth.FindOrCreateUser(ctx, a, "gitlab", oauth.ProviderUser{ID: "gl-1", Email: "x@example.com"}, oauth.LinkOptions{})
					ids[i], errs[i] = acc.User.ID, err
				}()
			}
			wg.Wait()
			for i := range ids {
				if errs[i] != nil || ids[i] != ids[0] {
					t.Fatalf("call %d: %q, %v (first %q)", i, ids[i], errs[i], ids[0])
				}
			}
		})
	})
}

// GetExistingUser finds the user of a provider key and never creates or
// links anything, even when a verified address matches an email key.
func TestGetExistingUser(t *testing.T) {
	ctx := context.Background()
	forEachAuth(t, func(t *testing.T, a *latch.Auth) {
		owner := emailUser(t, a, "trin@example.com", true)
		pu := oauth.ProviderUser{ID: "gh-7", Email: "trin@example.com", EmailVerified: true}
		acc, ok, err := oauth.GetExistingUser(ctx, a, "github", pu)
		if err != nil || ok || acc.User.ID != "" {
			t.Fatalf("no key yet: %+v, %v, %v", acc, ok, err)
		}
		if _, err := a.GetKey(ctx, "github", "gh-7"); !errors.Is(err, latch.ErrInvalidKeyID) {
			t.Errorf("GetExistingUser linked a key: %v", err)
		}
		if keys, err := a.GetAllUserKeys(ctx, owner.ID); err != nil || len(keys) != 1 {
			t.Errorf("owner's keys %+v, %v: want only the email key", keys, err)
		}
		// The application's own policy links it; then it is found.
		if _, err := a.CreateKey(ctx, owner.ID, latch.KeyOptions{ProviderID: "github", ProviderUserID: "gh-7"}); err != nil {
			t.Fatal(err)
		}
		acc, ok, err = oauth.GetExistingUser(ctx, a, "github", pu)
		if err != nil || !ok || acc.User.ID != owner.ID || acc.How != oauth.Existing || acc.Key.ProviderUserID != "gh-7" {
			t.Errorf("after linking: %+v, %v, %v", acc, ok, err)
		}
	})
}

// A key under a provider user's FormerID moves to its ID, in one
// transaction, on every store.
func TestFormerIDMoves(t *testing.T) {
	ctx := context.Background()
	forEachAuth(t, func(t *testing.T, a *latch.Auth) {
		old, err := a.CreateUser(ctx, latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "slack", ProviderUserID: "U1"}})
		if err != nil {
			t.Fatal(err)
		}
		pu := oauth.ProviderUser{ID: "T1/U1", FormerID: "U1"}
		acc, ok, err := oauth.GetExistingUser(ctx, a, "slack", pu)
		if err != nil || !ok || acc.User.ID != old.ID || acc.Key.ProviderUserID != "T1/U1" {
			t.Fatalf("GetExistingUser: %+v, %v, %v", acc, ok, err)
		}
		keys, err := a.GetAllUserKeys(ctx, old.ID)
		if err != nil || len(keys) != 1 || keys[0].ProviderUserID != "T1/U1" {
			t.Errorf("keys %+v, %v: want only the moved key", keys, err)
		}
		// Another team's U1 no longer finds anything.
		if _, ok, err := oauth.GetExistingUser(ctx, a, "slack", oauth.ProviderUser{ID: "T2/U1", FormerID: "U1"}); ok || err != nil {
			t.Errorf("the namesake found a user: %v, %v", ok, err)
		}
	})
}

// boolCount is 1 for true, 0 for false.
func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}
