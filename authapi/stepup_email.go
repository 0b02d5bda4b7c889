package authapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

// The "email-code" step-up, for accounts without a password and without
// a second factor (made with OAuth): POST /api/auth/step-up/email-code
// {action} mails a numeric code bound to the session and the action;
// POST /api/auth/step-up {action, method:"email-code", code} turns it into
// a step-up token. It proves the mailbox, as the password would prove the
// password: a user with a second factor steps up with the factor instead
// (stepUp refuses this method for them, as every non-factor method).

// stepUpCodeLifetime is how long a mailed step-up code is valid.
const stepUpCodeLifetime = 10 * time.Minute

func (h *Handler) initEmailCode() error {
	if h.stepUpCodes == nil {
		var err error
		h.stepUpCodes, err = token.NewPasswordTokens(h.auth, "step-up-email-code", token.PasswordTokenOptions{
			ExpiresIn: stepUpCodeLifetime, Length: 6, MaxAttempts: 5,
		})
		if err != nil {
			return kindClash("StepUpCodes", err)
		}
	}
	h.registerStepUp("email-code", stepUpMethod{check: h.checkStepUpCode})
	return nil
}

type stepUpCodeRequest struct {
	Action string `json:"action"`
}

type stepUpCodeJSON struct {
	Message   string    `json:"message"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// sendStepUpCodeAPI serves POST /api/auth/step-up/email-code: it mails a
// code for the action to the signed-in user's address, replacing any
// code mailed before. Throttled per user like every request that sends
// mail.
func (h *Handler) sendStepUpCodeAPI(w http.ResponseWriter, r *http.Request) error {
	var req stepUpCodeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	if !slices.Contains(stepUpActions, req.Action) {
		return ErrUnknownAction
	}
	has, err := h.hasFactor(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	if has {
		return ErrFactorRequired
	}
	email := s.User.Attributes.String(attrEmail)
	if email == "" {
		return ErrUnknownMethod // no address to mail
	}
	if err := h.countMailRequest(r, "user:"+s.UserID); err != nil {
		return err
	}
	tok, err := h.stepUpCodes.IssueWithData(r.Context(), s.UserID, stepUpData(s, req.Action))
	if err != nil {
		return err
	}
	if err := h.queueMail(r.Context(), "", h.mails.StepUpCode(email, tok.String(), req.Action, stepUpCodeLifetime)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, stepUpCodeJSON{Message: "A code is on its way to " + maskEmail(email) + ".", ExpiresAt: tok.ExpiresAt})
	return nil
}

// checkStepUpCode is the "email-code" step-up method: the code mailed for
// this session and action. A wrong code counts in the code's attempts (5,
// then it is void) and in the user's second-step throttle; a code mailed
// for another action or session is used up and refused.
func (h *Handler) checkStepUpCode(r *http.Request, s latch.Session, req stepUpRequest) error {
	ctx := r.Context()
	code := strings.TrimSpace(req.Code)
	if code == "" {
		return ErrInvalidCode
	}
	userKey := "user:" + s.UserID
	wait, err := h.codeLimit.Attempt(ctx, userKey)
	if err != nil {
		return err
	}
	if wait > 0 {
		return ErrTooManyRequests.withRetry(wait)
	}
	_, data, err := h.stepUpCodes.ValidateWithData(ctx, code, s.UserID)
	var wrong *token.WrongCodeError
	switch {
	case errors.As(err, &wrong):
		return ErrInvalidCode.withMessage(fmt.Sprintf("%s: %s left", ErrInvalidCode.Message, plural(wrong.AttemptsLeft, "attempt")))
	case errors.Is(err, token.ErrInvalidToken), errors.Is(err, token.ErrExpiredToken):
		return ErrInvalidCode
	case err != nil:
		if apiError(err).Status >= 500 {
			h.refund(ctx, h.codeLimit, userKey)
		}
		return err
	}
	if subtle.ConstantTimeCompare(data, stepUpData(s, req.Action)) != 1 {
		return ErrInvalidCode
	}
	if err := h.codeLimit.Reset(ctx, userKey); err != nil {
		h.log.WarnContext(ctx, "throttle reset failed", "err", err)
	}
	return nil
}
