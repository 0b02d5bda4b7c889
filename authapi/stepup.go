package authapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

// Step-up: a sensitive action (changing the password or the email,
// deleting the account, adding or removing a factor, new recovery codes)
// takes a proof made just before it, as a one-shot action token: POST
// /api/auth/step-up with the password, a code or a passkey assertion
// returns a single-use token bound to the session and the action, valid
// five minutes, which the action consumes. A long-lived session is
// therefore never locked out (no "fresh session" window), and a stolen
// session cannot act without the proof.

// The actions a step-up token can be made for.
const (
	ActionChangePassword = "change-password"
	ActionChangeEmail    = "change-email"
	ActionDeleteAccount  = "delete-account"
	ActionAddFactor      = "add-factor"
	ActionRemoveFactor   = "remove-factor"
	ActionRecoveryCodes  = "recovery-codes"
)

var stepUpActions = []string{ActionChangePassword, ActionChangeEmail, ActionDeleteAccount, ActionAddFactor, ActionRemoveFactor, ActionRecoveryCodes}

// stepUpLifetime is how long a step-up token lives.
const stepUpLifetime = 5 * time.Minute

// The step-up errors.
var (
	ErrStepUpRequired = newError(http.StatusForbidden, "STEP_UP_REQUIRED", "this action needs a step-up token made for it in the last 5 minutes (POST /api/auth/step-up)")
	ErrFactorRequired = newError(http.StatusForbidden, "FACTOR_REQUIRED", "this account has a second factor: step up with it, not with the password alone")
	ErrUnknownAction  = newError(http.StatusBadRequest, "INVALID_ACTION", "unknown step-up action")
	ErrUnknownMethod  = newError(http.StatusBadRequest, "INVALID_METHOD", "unknown or unavailable step-up method")
)

// stepUpRequest is the body of POST /api/auth/step-up. Each method reads
// the fields it needs.
type stepUpRequest struct {
	Action    string          `json:"action"`
	Method    string          `json:"method"`
	Password  string          `json:"password,omitempty"`
	Code      string          `json:"code,omitempty"`
	Assertion json.RawMessage `json:"assertion,omitempty"`
}

// stepUpMethod checks one kind of proof for the signed-in session's user.
// A wrong proof returns the error to answer (and counts in the throttles
// the method uses); nil means the proof holds.
type stepUpMethod struct {
	// factor says the method proves a second factor: a user who has one
	// must step up with such a method.
	factor bool
	check  func(r *http.Request, s latch.Session, req stepUpRequest) error
}

// registerStepUp adds a step-up method. The second-factor and passkey
// flows register theirs ("totp", "recovery-code", "passkey",
// "email-code") beside the password's.
func (h *Handler) registerStepUp(name string, m stepUpMethod) {
	if h.stepUpMethods == nil {
		h.stepUpMethods = map[string]stepUpMethod{}
	}
	h.stepUpMethods[name] = m
}

func (h *Handler) initStepUp() error {
	if h.stepUps == nil {
		var err error
		h.stepUps, err = token.NewIDTokens(h.auth, "step-up", token.IDTokenOptions{ExpiresIn: stepUpLifetime})
		if err != nil {
			return kindClash("StepUpTokens", err)
		}
	}
	h.registerStepUp("password", stepUpMethod{check: func(r *http.Request, s latch.Session, req stepUpRequest) error {
		_, err := h.confirmPassword(r, s.UserID, req.Password)
		return err
	}})
	return nil
}

type stepUpJSON struct {
	StepUpToken string    `json:"stepUpToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (h *Handler) stepUpAPI(w http.ResponseWriter, r *http.Request) error {
	var req stepUpRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	tok, err := h.stepUp(r, s, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, stepUpJSON{StepUpToken: tok.String(), ExpiresAt: tok.ExpiresAt})
	return nil
}

// stepUp checks the proof and issues a token for (session, action).
func (h *Handler) stepUp(r *http.Request, s latch.Session, req stepUpRequest) (token.Token, error) {
	if !slices.Contains(stepUpActions, req.Action) {
		return token.Token{}, ErrUnknownAction
	}
	m, ok := h.stepUpMethods[req.Method]
	if !ok {
		return token.Token{}, ErrUnknownMethod
	}
	if !m.factor {
		has, err := h.hasFactor(r.Context(), s.UserID)
		if err != nil {
			return token.Token{}, err
		}
		if has {
			return token.Token{}, ErrFactorRequired
		}
	}
	if err := m.check(r, s, req); err != nil {
		return token.Token{}, err
	}
	tok, err := h.stepUps.IssueWithData(r.Context(), s.UserID, stepUpData(s, req.Action))
	if err != nil {
		return token.Token{}, err
	}
	h.record(r, s.UserID, evStepUp, req.Action+" "+req.Method)
	return tok, nil
}

// hasFactor reports whether the user has a second factor or passkey.
func (h *Handler) hasFactor(ctx context.Context, userID string) (bool, error) {
	fs, err := h.auth.ListFactors(ctx, userID)
	return len(fs) > 0, err
}

func stepUpData(s latch.Session, action string) []byte {
	return []byte(action + "\x00" + s.ID)
}

// takeStepUp consumes a step-up token for the action on the request's
// session: ErrStepUpRequired when it is missing, expired, used, or made
// for another action or session (a token shown for the wrong action is
// used up all the same).
func (h *Handler) takeStepUp(ctx context.Context, s latch.Session, action, value string) error {
	if value == "" {
		return ErrStepUpRequired
	}
	tok, data, err := h.stepUps.ValidateWithData(ctx, strings.TrimSpace(value))
	if errors.Is(err, token.ErrInvalidToken) || errors.Is(err, token.ErrExpiredToken) {
		return ErrStepUpRequired
	}
	if err != nil {
		return err
	}
	if tok.UserID != s.UserID || subtle.ConstantTimeCompare(data, stepUpData(s, action)) != 1 {
		return ErrStepUpRequired
	}
	return nil
}

// confirmAction checks what a sensitive action of the signed-in user is
// confirmed with: a step-up token made for the action when one is given,
// else the account's password (ErrFactorRequired when the user has a
// second factor: the password alone does not do then).
func (h *Handler) confirmAction(r *http.Request, s latch.Session, action, password, stepUpToken string) error {
	if stepUpToken != "" {
		return h.takeStepUp(r.Context(), s, action, stepUpToken)
	}
	has, err := h.hasFactor(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	if has {
		return ErrFactorRequired
	}
	_, err = h.confirmPassword(r, s.UserID, password)
	return err
}

// confirmRequest is the body of the account changes that take the
// password or a step-up token.
type confirmRequest struct {
	Password    string `json:"password"`
	StepUpToken string `json:"stepUpToken"`
}
