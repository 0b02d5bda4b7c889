package latch_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// TestSessionAMR: a session keeps how it was made; "mfa" makes it AAL 2;
// a session without methods is AAL 1; bad values are refused.
func TestSessionAMR(t *testing.T) {
	ctx := t.Context()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		amr     []string
		wantAMR []string
		wantAAL int
	}{
		{nil, []string{}, 1},
		{[]string{"pwd"}, []string{"pwd"}, 1},
		{[]string{"pwd", "otp", "mfa", "otp"}, []string{"pwd", "otp", "mfa"}, 2},
		{[]string{"hwk", "user", "mfa"}, []string{"hwk", "user", "mfa"}, 2},
	} {
		s, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID, AMR: c.amr})
		if err != nil {
			t.Fatal(err)
		}
		got, err := auth.ValidateSession(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []latch.Session{s, got} {
			if !slices.Equal(v.AMR, c.wantAMR) || v.AAL != c.wantAAL {
				t.Errorf("AMR %v: session has amr %v aal %d, want %v aal %d", c.amr, v.AMR, v.AAL, c.wantAMR, c.wantAAL)
			}
		}
	}
	for _, bad := range [][]string{{""}, {"PWD"}, {"pwd otp"}, {"a-very-long-method-name"}} {
		if _, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID, AMR: bad}); !errors.Is(err, latch.ErrInvalidRequest) {
			t.Errorf("AMR %q: %v, want ErrInvalidInput", bad, err)
		}
	}
}

// TestFactorInputChecked: the core refuses factor fields no store keeps
// the same way (a NUL byte, too long), before any store sees them.
func TestFactorInputChecked(t *testing.T) {
	ctx := t.Context()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []latch.FactorRecord{
		{ID: "a\x00b", Kind: "totp"},
		{ID: "ok", Kind: "to\x00tp"},
		{ID: "ok", Kind: "totp", Name: "x\x00"},
		{ID: "", Kind: "totp"},
		{ID: "ok", Kind: ""},
		{ID: "ok", Kind: "totp", Name: string(make([]rune, 65))},
		{ID: "ok", Kind: "totp", Data: make([]byte, latch.MaxFactorDataLength+1)},
	} {
		f.UserID = u.ID
		if _, err := auth.CreateFactor(ctx, f); !errors.Is(err, latch.ErrInvalidRequest) {
			t.Errorf("CreateFactor(%q, %q, %q, %d bytes) = %v, want ErrInvalidRequest", f.ID, f.Kind, f.Name, len(f.Data), err)
		}
	}
}

// TestFactorEvents: adding and removing a factor raise factor.added and
// factor.removed with its kind, after the write.
func TestFactorEvents(t *testing.T) {
	ctx := t.Context()
	var got []string
	auth, err := latch.New(latch.Config{Store: memory.New(), OnEvent: func(_ context.Context, e latch.Event) {
		if strings.HasPrefix(e.Type, "factor.") {
			got = append(got, e.Type+" "+e.Data["factor"]+" "+e.Data["factorId"])
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []latch.FactorRecord{{ID: "t1", Kind: latch.FactorTOTP}, {ID: "p1", Kind: latch.FactorPasskey}, {ID: "p2", Kind: latch.FactorPasskey}} {
		f.UserID = u.ID
		if _, err := auth.CreateFactor(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := auth.DeleteFactor(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if err := auth.DeleteFactor(ctx, "t1"); err != nil { // gone: no event
		t.Fatal(err)
	}
	if err := auth.DeleteUserFactors(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{"factor.added totp t1", "factor.added passkey p1", "factor.added passkey p2",
		"factor.removed totp t1", "factor.removed passkey p1", "factor.removed passkey p2"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}
