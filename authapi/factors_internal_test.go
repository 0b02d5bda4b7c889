package authapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/store/memory"
)

// TestFactorRegistry: a registered kind of factor is listed for the users
// who have it and becomes a step-up method that satisfies a user with a
// factor, checked by the kind's verify.
func TestFactorRegistry(t *testing.T) {
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Auth: auth, BaseURL: "http://127.0.0.1", Mailer: mail.NewOutbox()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	// "with" has a factor record of the kind; "other" has one of another
	// kind; "without" has none.
	for id, kind := range map[string]string{"with": "fake", "other": "else"} {
		if _, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{UserID: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.CreateFactor(t.Context(), latch.FactorRecord{ID: "f-" + id, UserID: id, Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
	var verified []string
	h.registerFactor("fake", secondFactor{
		has: func(_ context.Context, _ string, fs []latch.FactorRecord) (bool, error) {
			return hasKind(fs, "fake"), nil
		},
		verify: func(_ *http.Request, userID string, p factorProof) ([]string, error) {
			verified = append(verified, userID+":"+p.Code)
			if p.Code != "right" {
				return nil, ErrInvalidCredentials
			}
			return []string{"otp"}, nil
		},
	})
	if got, _ := h.userFactors(t.Context(), "with"); !slices.Equal(got, []string{"fake"}) {
		t.Errorf("userFactors(with) = %v", got)
	}
	for _, id := range []string{"without", "other"} {
		if got, _ := h.userFactors(t.Context(), id); len(got) != 0 {
			t.Errorf("userFactors(%s) = %v", id, got)
		}
	}
	m, ok := h.stepUpMethods["fake"]
	if !ok || !m.factor {
		t.Fatalf("no factor step-up method: %+v", m)
	}
	r := httptest.NewRequest("POST", "/api/auth/step-up", nil)
	if err := m.check(r, latch.Session{UserID: "without"}, stepUpRequest{Code: "right"}); err != ErrUnknownMethod {
		t.Errorf("a user without the factor: %v, want ErrUnknownMethod", err)
	}
	if err := m.check(r, latch.Session{UserID: "with"}, stepUpRequest{Code: "wrong"}); err != ErrInvalidCredentials {
		t.Errorf("a wrong code: %v", err)
	}
	if err := m.check(r, latch.Session{UserID: "with"}, stepUpRequest{Code: "right"}); err != nil {
		t.Errorf("the right code: %v", err)
	}
	if !slices.Equal(verified, []string{"with:wrong", "with:right"}) {
		t.Errorf("verify saw %v", verified)
	}
}
