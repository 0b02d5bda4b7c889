package latch_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/store/memory"
)

// TestSessionTokenAtRest: in the default profile the store keeps the
// SHA-256 of the session token, never the token; in the lucia2 profile the
// token itself, as Lucia v2 does.
func TestSessionTokenAtRest(t *testing.T) {
	for _, tc := range []struct {
		profile latch.Profile
		hashed  bool
	}{{latch.ProfileDefault, true}, {latch.ProfileLucia2, false}} {
		store := memory.New()
		auth, err := latch.New(latch.Config{Store: store, Profile: tc.profile})
		if err != nil {
			t.Fatal(err)
		}
		u, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := auth.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Token) != 40 {
			t.Errorf("%q: token of %d characters, want 40", tc.profile, len(s.Token))
		}
		_, errPlain := store.GetSession(t.Context(), s.Token)
		_, errHashed := store.GetSession(t.Context(), latch.HashToken(s.Token))
		if tc.hashed && (!errors.Is(errPlain, latch.ErrNotFound) || errHashed != nil) {
			t.Errorf("default profile: stored under the token: %v; under its SHA-256: %v; want only the digest", errPlain, errHashed)
		}
		if !tc.hashed && (errPlain != nil || !errors.Is(errHashed, latch.ErrNotFound)) {
			t.Errorf("lucia2 profile: stored under the token: %v; under its SHA-256: %v; want the plain id", errPlain, errHashed)
		}
	}
}

// countingHasher counts the verifications it does.
type countingHasher struct {
	password.Argon2id
	verifies atomic.Int64
}

func (h *countingHasher) Verify(hash, pw string) (bool, error) {
	h.verifies.Add(1)
	return h.Argon2id.Verify(hash, pw)
}

// TestUnknownKeyCostsAVerification: using a key that does not exist, or a
// passwordless key with a password, costs one password verification, like
// a wrong password, so timing does not tell which accounts exist.
func TestUnknownKeyCostsAVerification(t *testing.T) {
	h := &countingHasher{}
	auth, err := latch.New(latch.Config{Store: memory.New(), PasswordHasher: h})
	if err != nil {
		t.Fatal(err)
	}
	pw := "correct horse battery"
	if _, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "a@example.com", Password: &pw}}); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "github", ProviderUserID: "42"}}); err != nil {
		t.Fatal(err)
	}
	wrong := "wrong password"
	for _, tc := range []struct {
		name, provider, id string
		want               error
	}{
		{"wrong password", "email", "a@example.com", latch.ErrInvalidPassword},
		{"unknown key", "email", "nobody@example.com", latch.ErrInvalidKeyID},
		{"malformed key", "", "", latch.ErrInvalidKeyID},
		{"passwordless key", "github", "42", latch.ErrInvalidPassword},
	} {
		before := h.verifies.Load()
		_, err := auth.UseKey(t.Context(), tc.provider, tc.id, &wrong)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if n := h.verifies.Load() - before; n != 1 {
			t.Errorf("%s: %d password verifications, want 1", tc.name, n)
		}
	}
}

// TestInvalidateSessionTokenTrap: passing the token where the id is
// expected — the Lucia v2 sign-out, InvalidateSession(ctx, s.Token) — is
// an error, never a silent no-op; InvalidateSessionToken signs out by token.
func TestInvalidateSessionTokenTrap(t *testing.T) {
	ctx := t.Context()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	err = auth.InvalidateSession(ctx, s.Token)
	if !errors.Is(err, latch.ErrSessionTokenGiven) || !errors.Is(err, latch.ErrInvalidSessionID) {
		t.Fatalf("InvalidateSession(token) = %v, want ErrSessionTokenGiven (and ErrInvalidSessionID)", err)
	}
	if _, err := auth.GetSessionByID(ctx, s.Token); !errors.Is(err, latch.ErrSessionTokenGiven) {
		t.Errorf("GetSessionByID(token) = %v, want ErrSessionTokenGiven", err)
	}
	if err := auth.UpdateSessionAttributes(ctx, s.Token, latch.Attributes{"a": "b"}); !errors.Is(err, latch.ErrSessionTokenGiven) {
		t.Errorf("UpdateSessionAttributes(token) = %v, want ErrSessionTokenGiven", err)
	}
	if _, err := auth.ValidateSession(ctx, s.Token); err != nil {
		t.Fatalf("the session is gone after a refused InvalidateSession: %v", err)
	}
	if err := auth.InvalidateSessionToken(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.ValidateSession(ctx, s.Token); !errors.Is(err, latch.ErrInvalidSessionID) {
		t.Fatalf("after InvalidateSessionToken the token validates: %v", err)
	}
	// A well-formed id of no session is no error, as before.
	if err := auth.InvalidateSession(ctx, s.ID); err != nil {
		t.Errorf("InvalidateSession(gone id) = %v, want nil", err)
	}
	if err := auth.InvalidateSessionToken(ctx, ""); !errors.Is(err, latch.ErrInvalidSessionID) {
		t.Errorf("InvalidateSessionToken(\"\") = %v, want ErrInvalidSessionID", err)
	}

	// In the lucia2 profile the id is the token: both calls sign out.
	lucia, err := latch.New(latch.Config{Store: memory.New(), Profile: latch.ProfileLucia2})
	if err != nil {
		t.Fatal(err)
	}
	u2, err := lucia.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, byToken := range []bool{false, true} {
		s2, err := lucia.CreateSession(ctx, latch.CreateSessionOptions{UserID: u2.ID})
		if err != nil {
			t.Fatal(err)
		}
		if byToken {
			err = lucia.InvalidateSessionToken(ctx, s2.Token)
		} else {
			err = lucia.InvalidateSession(ctx, s2.Token)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lucia.ValidateSession(ctx, s2.Token); !errors.Is(err, latch.ErrInvalidSessionID) {
			t.Errorf("lucia2 (byToken=%v): session still valid: %v", byToken, err)
		}
	}
}

// TestSessionJSON: User and Session marshal with the API's names, and a
// Session's token never appears in its JSON.
func TestSessionJSON(t *testing.T) {
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{Attributes: latch.Attributes{"email": "a@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "userId", "activeExpires", "idleExpires", "state", "fresh", "attributes", "user"} {
		if _, ok := got[k]; !ok {
			t.Errorf("session JSON has no %q: %s", k, b)
		}
	}
	if strings.Contains(string(b), s.Token) || got["Token"] != nil || got["token"] != nil {
		t.Errorf("session JSON carries the token: %s", b)
	}
	if user, _ := got["user"].(map[string]any); user["id"] != u.ID {
		t.Errorf("session JSON user = %v, want id %q", got["user"], u.ID)
	}
}

// TestEventsNeverCarrySessionTokens: in the lucia2 profile the stored
// session id is the token, so events name the session by its digest.
func TestEventsNeverCarrySessionTokens(t *testing.T) {
	for _, p := range []latch.Profile{latch.ProfileDefault, latch.ProfileLucia2} {
		var got []latch.Event
		a, err := latch.New(latch.Config{Store: memory.New(), Profile: p, OnEvent: func(_ context.Context, e latch.Event) { got = append(got, e) }})
		if err != nil {
			t.Fatal(err)
		}
		u, err := a.CreateUser(t.Context(), latch.CreateUserOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := a.CreateSession(t.Context(), latch.CreateSessionOptions{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.InvalidateSessionToken(t.Context(), s.Token); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%q: %d events, want user.created, session.created, session.revoked", p, len(got))
		}
		for _, e := range got[1:] {
			if id := e.Data["sessionId"]; id != latch.HashToken(s.Token) || strings.Contains(id, s.Token) {
				t.Errorf("%q: %s names the session %q, want the token's digest", p, e.Type, id)
			}
		}
	}
}
