package authapi

import (
	"context"
	"crypto/subtle"
	"net/http"

	"github.com/latchauth/latch"
)

// TestFactorKind is the kind of the factor RegisterTestFactor registers.
const TestFactorKind = "test"

// RegisterTestFactor registers, for tests, a kind of second factor named
// "test": a user has it when a factor record of Kind "test" exists, and
// its proof is a code equal to the record's Data. It stands in for TOTP
// and passkeys, which register themselves the same way.
func RegisterTestFactor(h *Handler) {
	h.registerFactor(TestFactorKind, secondFactor{
		has: func(_ context.Context, _ string, fs []latch.FactorRecord) (bool, error) {
			return hasKind(fs, TestFactorKind), nil
		},
		verify: func(r *http.Request, userID string, p factorProof) ([]string, error) {
			// Counted in the user's factor throttle, as every kind's
			// verify must.
			key, err := h.factorAttempt(r.Context(), userID)
			if err != nil {
				return nil, err
			}
			fs, err := h.auth.ListFactors(r.Context(), userID)
			if err != nil {
				h.factorDone(r.Context(), key, err)
				return nil, err
			}
			for _, f := range fs {
				if f.Kind == TestFactorKind && p.Code != "" && subtle.ConstantTimeCompare([]byte(p.Code), f.Data) == 1 {
					h.factorDone(r.Context(), key, nil)
					return []string{"otp"}, nil
				}
			}
			return nil, ErrInvalidCode // counted: not given back
		},
	})
}

// ServedRoutes returns the API routes the handler's mux serves, pattern →
// methods, for the OpenAPI completeness test.
func (h *Handler) ServedRoutes() map[string][]string { return h.served }
