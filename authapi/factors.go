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
	// has reports whether the user has this factor set up (and
	// confirmed), given the user's factors (every kind lives among them,
	// or, as recovery codes, only beside one): a sign-in lists them once
	// for every kind.
	has func(ctx context.Context, userID string, factors []latch.FactorRecord) (bool, error)
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
		ok, err := h.hasKindOf(r.Context(), f, s.UserID)
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
	fs, err := h.auth.ListFactors(ctx, userID)
	if err != nil || len(fs) == 0 {
		return nil, err // no factor: no kind, and one read per sign-in
	}
	var out []string
	for _, name := range h.factorOrder {
		ok, err := h.factorKinds[name].has(ctx, userID, fs)
		if err != nil {
			return nil, err
		}
		if ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// hasKindOf reports whether the user has the kind f set up.
func (h *Handler) hasKindOf(ctx context.Context, f secondFactor, userID string) (bool, error) {
	fs, err := h.auth.ListFactors(ctx, userID)
	if err != nil {
		return false, err
	}
	return f.has(ctx, userID, fs)
}

// hasKind reports whether factors hold one of the kind.
func hasKind(factors []latch.FactorRecord, kind string) bool {
	return slices.ContainsFunc(factors, func(f latch.FactorRecord) bool { return f.Kind == kind })
}
