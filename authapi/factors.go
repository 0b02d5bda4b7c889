package authapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/latchauth/latch"
)

// Second factors plug in here. Each kind (TOTP, recovery codes, passkeys)
// registers how to tell whether a user has it and how to check a proof of
// it; the pending sign-in (POST /api/auth/two-factor/verify) and step-up
// (POST /api/auth/step-up) both ask this registry, so neither knows the
// kinds, and a kind's own file knows nothing of sign-in or step-up.

// factorProof is what the user sends to prove a factor: a code (TOTP,
// recovery code) or a WebAuthn assertion (passkey).
type factorProof struct {
	Code      string
	Assertion json.RawMessage
}

// secondFactor is one kind of second factor.
type secondFactor struct {
	// has reports whether the user has this factor set up (and confirmed).
	has func(ctx context.Context, userID string) (bool, error)
	// verify checks a proof for the user. A wrong proof returns the error
	// to answer (401 with a code); it must count in the throttles and
	// attempt limits the kind keeps. It returns the RFC 8176 methods the
	// proof stands for ("otp"; "hwk" or "swk", with "user" when the
	// authenticator verified the user).
	verify func(r *http.Request, userID string, p factorProof) (amr []string, err error)
}

// registerFactor adds a kind of second factor, and the step-up method of
// the same name (a factor method: it satisfies a user with a factor).
func (h *Handler) registerFactor(name string, f secondFactor) {
	if h.factorKinds == nil {
		h.factorKinds = map[string]secondFactor{}
	}
	h.factorKinds[name] = f
	h.factorOrder = append(h.factorOrder, name)
	h.registerStepUp(name, stepUpMethod{factor: true, check: func(r *http.Request, s latch.Session, req stepUpRequest) error {
		ok, err := f.has(r.Context(), s.UserID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUnknownMethod
		}
		_, err = f.verify(r, s.UserID, factorProof{Code: req.Code, Assertion: req.Assertion})
		return err
	}})
}

// userFactors returns the names of the second factors the user has, in
// the order they were registered.
func (h *Handler) userFactors(ctx context.Context, userID string) ([]string, error) {
	var out []string
	for _, name := range h.factorOrder {
		ok, err := h.factorKinds[name].has(ctx, userID)
		if err != nil {
			return nil, err
		}
		if ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
