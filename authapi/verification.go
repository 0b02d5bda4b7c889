package authapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

type messageJSON struct {
	Message string `json:"message"`
}

func (h *Handler) sendVerificationAPI(w http.ResponseWriter, r *http.Request) error {
	if err := h.resendVerification(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, messageJSON{Message: "A verification code is on its way."})
	return nil
}

// resendVerification queues a new code for the signed-in user, within the
// per-user request limit.
func (h *Handler) resendVerification(r *http.Request) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	if s.User.Attributes.Bool(attrEmailVerified) {
		return ErrEmailVerified
	}
	if err := h.countMailRequest(r, "user:"+s.UserID); err != nil {
		return err
	}
	h.queueVerification(r.Context(), s.User)
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

func (h *Handler) verifyEmailAPI(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := h.verifyCode(r, req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authJSON{User: toUserJSON(s.User), Session: toSessionJSON(s)})
	return nil
}

// verifyCode checks a code against the signed-in user's and marks the
// email verified. A wrong code counts an attempt against the user's code;
// another user's code is a wrong code.
func (h *Handler) verifyCode(r *http.Request, code string) (latch.Session, error) {
	s, err := currentSession(r)
	if err != nil {
		return latch.Session{}, err
	}
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return latch.Session{}, ErrInvalidCode
	}
	if _, err := h.codes.Validate(r.Context(), code, s.UserID); err != nil {
		if errors.Is(err, token.ErrInvalidToken) || errors.Is(err, token.ErrExpiredToken) {
			return latch.Session{}, ErrInvalidCode
		}
		return latch.Session{}, err
	}
	u, err := h.markVerified(r.Context(), s.UserID)
	if err != nil {
		return latch.Session{}, err
	}
	s.User = u
	return s, nil
}

// markVerified sets email_verified and retires the user's verification
// links.
func (h *Handler) markVerified(ctx context.Context, userID string) (latch.User, error) {
	u, err := h.auth.UpdateUserAttributes(ctx, userID, latch.Attributes{attrEmailVerified: true})
	if err != nil {
		return latch.User{}, err
	}
	if err := h.links.InvalidateAllUserTokens(ctx, userID); err != nil {
		h.log.WarnContext(ctx, "retiring verification links failed", "err", err)
	}
	return u, nil
}

// verifyEmailLink consumes a verification link, marks the email verified
// and redirects to callbackURL (a path on this site) or the account page.
func (h *Handler) verifyEmailLink(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	tok, err := h.links.Validate(r.Context(), r.PathValue("token"))
	if err == nil {
		_, err = h.markVerified(r.Context(), tok.UserID)
	}
	if err != nil {
		if errors.Is(err, latch.ErrInvalidUserID) {
			err = ErrInvalidToken
		}
		h.redirectError(w, r, "/verify-email", err)
		return nil
	}
	http.Redirect(w, r, localPath(r.URL.Query().Get("callbackURL"), "/account?m=email-verified"), http.StatusSeeOther)
	return nil
}
