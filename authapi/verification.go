package authapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
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
	return h.queueVerification(r.Context(), s.User)
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
		var wrong *token.WrongCodeError
		if errors.As(err, &wrong) {
			return latch.Session{}, ErrInvalidCode.withMessage(fmt.Sprintf("%s: %s left", ErrInvalidCode.Message, plural(wrong.AttemptsLeft, "attempt")))
		}
		if errors.Is(err, token.ErrInvalidToken) || errors.Is(err, token.ErrExpiredToken) {
			return latch.Session{}, ErrInvalidCode
		}
		return latch.Session{}, err
	}
	h.record(r, s.UserID, evTokenUsed, h.codes.Name())
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
	wasVerified := false
	if h.auth.EventsWanted() {
		before, err := h.auth.GetUser(ctx, userID)
		if err != nil {
			return latch.User{}, err
		}
		wasVerified = before.Attributes.Bool(attrEmailVerified)
	}
	u, err := h.auth.UpdateUserAttributes(ctx, userID, latch.Attributes{attrEmailVerified: true})
	if err != nil {
		return latch.User{}, err
	}
	if !wasVerified {
		if err := h.auth.RaiseEvent(ctx, latch.Event{Type: latch.EventUserEmailVerified, UserID: userID}); err != nil {
			return latch.User{}, err
		}
	}
	if err := h.links.InvalidateAllUserTokens(ctx, userID); err != nil {
		h.log.WarnContext(ctx, "retiring verification links failed", "err", err)
	}
	h.recordAs(ctx, userID, evEmailVerified, "", "", "")
	return u, nil
}

// ErrPasswordRequired answers a verification link opened without a live
// session of the account's user and without its password: the link alone
// does not verify the address (it may have been opened by someone other
// than the account's creator, or by a mail scanner).
var ErrPasswordRequired = newError(http.StatusUnauthorized, "PASSWORD_REQUIRED", "sign in, or enter the account's password, to verify the address with this link")

// verifyEmailLink serves the link of older verification mails: it no
// longer verifies by itself but sends the browser to the page that asks
// for the proof (/verify-email/{token}). The token is not consumed.
func (h *Handler) verifyEmailLink(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, h.verifyLinkTarget(r.PathValue("token")), http.StatusSeeOther)
	return nil
}

type verifyLinkRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// verifiedJSON answers a verification link: the user, and the request's
// session when it came with one.
type verifiedJSON struct {
	User    userJSON     `json:"user"`
	Session *sessionJSON `json:"session,omitempty"`
}

// verifyLinkAPI serves POST /api/auth/email-verification/verify-link.
func (h *Handler) verifyLinkAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	var req verifyLinkRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := h.verifyLink(r, req.Token, req.Password)
	if err != nil {
		return err
	}
	out := verifiedJSON{User: toUserJSON(u)}
	if s, ok := httpauth.FromContext(r.Context()); ok && s.UserID == u.ID {
		sj := toSessionJSON(s)
		out.Session = &sj
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// verifyLink marks the address of the link's user verified when the
// request proves it comes from the account's creator: with a live session
// of that user, or with the account's password (throttled like a
// sign-in). Otherwise it answers ErrPasswordRequired or
// ErrInvalidCredentials and leaves the link unused, so that the owner can
// still use it once signed in.
func (h *Handler) verifyLink(r *http.Request, value, password string) (latch.User, error) {
	ctx := r.Context()
	if value == "" || len(value) > latch.MaxIDLength {
		return latch.User{}, ErrInvalidToken
	}
	tok, err := h.links.Peek(ctx, value)
	if err != nil {
		return latch.User{}, err
	}
	if s, ok := httpauth.FromContext(ctx); !ok || s.UserID != tok.UserID {
		if err := h.checkAccountPassword(r, tok.UserID, password); err != nil {
			return latch.User{}, err
		}
	}
	if tok, err = h.links.Validate(ctx, value); err != nil {
		return latch.User{}, err
	}
	h.record(r, tok.UserID, evTokenUsed, h.links.Name())
	u, err := h.markVerified(ctx, tok.UserID)
	if errors.Is(err, latch.ErrInvalidUserID) {
		return latch.User{}, ErrInvalidToken // the user was deleted since
	}
	return u, err
}

// checkAccountPassword checks the password of the user's email key, under
// the sign-in throttles of the address and the client's IP.
func (h *Handler) checkAccountPassword(r *http.Request, userID, password string) error {
	ctx := r.Context()
	if password == "" {
		return ErrPasswordRequired
	}
	u, err := h.auth.GetUser(ctx, userID)
	if errors.Is(err, latch.ErrInvalidUserID) {
		return ErrInvalidToken // the user was deleted since
	}
	if err != nil {
		return err
	}
	email := u.Attributes.String(attrEmail)
	if email == "" {
		return ErrInvalidCredentials
	}
	// Under the sign-in throttles and the hashing bound: this is a
	// password guess like any other.
	key, err := h.verifyPassword(r, email, password)
	if err == nil && key.UserID != userID {
		err = ErrInvalidCredentials
	}
	return err
}
