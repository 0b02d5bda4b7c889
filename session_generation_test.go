package latch_test

import (
	"errors"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// TestSessionGeneration: raising the user's SessionGenerationAttribute ends
// every session made before it, on validation and in the user's list, with
// the clock standing still; sessions made after it live.
func TestSessionGeneration(t *testing.T) {
	ctx := t.Context()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	for gen := int64(1); gen <= 2; gen++ {
		if _, err := auth.UpdateUserAttributes(ctx, u.ID, latch.Attributes{latch.SessionGenerationAttribute: gen}); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.ValidateSession(ctx, before.Token); !errors.Is(err, latch.ErrInvalidSessionID) {
			t.Fatalf("generation %d: older session validates: %v", gen, err)
		}
		after, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.ValidateSession(ctx, after.Token); err != nil {
			t.Fatalf("generation %d: newer session: %v", gen, err)
		}
		list, err := auth.GetAllUserSessions(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != after.ID {
			t.Fatalf("generation %d: listed %d sessions, want only the newer one", gen, len(list))
		}
		before = after
	}
}
