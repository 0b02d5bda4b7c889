package authapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchauth/latch"
)

// ErrNoPassword answers an account change that must be confirmed with the
// account's password when the account has none (made by OAuth): a password
// reset mailed to its address sets one.
var ErrNoPassword = newError(http.StatusConflict, "NO_PASSWORD", "the account has no password: set one through a password reset first")

// passwordKey returns the user's email-and-password key, or ErrNoPassword.
func (h *Handler) passwordKey(ctx context.Context, userID string) (latch.Key, error) {
	keys, err := h.auth.GetAllUserKeys(ctx, userID)
	if errors.Is(err, latch.ErrInvalidUserID) {
		return latch.Key{}, ErrUnauthorized // deleted while signed in
	}
	if err != nil {
		return latch.Key{}, err
	}
	for _, k := range keys {
		if k.ProviderID == emailProvider && k.PasswordDefined {
			return k, nil
		}
	}
	return latch.Key{}, ErrNoPassword
}

// confirmPassword checks the signed-in user's password before an account
// change. It counts like a sign-in (verifyPassword: the sign-in throttles
// of the address and the client IP, the hashing bound), so that a borrowed
// session guesses no faster than the sign-in form allows. A wrong password
// is ErrInvalidCredentials (401).
func (h *Handler) confirmPassword(r *http.Request, userID, pw string) (latch.Key, error) {
	key, err := h.passwordKey(r.Context(), userID)
	if err != nil {
		return latch.Key{}, err
	}
	got, err := h.verifyPassword(r, key.ProviderUserID, pw)
	if err != nil {
		return latch.Key{}, err
	}
	if got.UserID != userID { // cannot happen: the key was found by user
		return latch.Key{}, ErrInvalidCredentials
	}
	return key, nil
}

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	StepUpToken     string `json:"stepUpToken"`
	NewPassword     string `json:"newPassword"`
}

func (h *Handler) changePasswordAPI(w http.ResponseWriter, r *http.Request) error {
	var req changePasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := h.changePassword(w, r, req.CurrentPassword, req.StepUpToken, req.NewPassword)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authBody(r, s))
	return nil
}

// changePassword replaces the signed-in user's password after checking the
// current one. In the same step every session of the user ends and every
// open token is voided; the request's session is replaced by a new one
// (new token, new cookie) and a notice is mailed to the account's address.
//
// Atomicity is that of resetPassword: one transaction on a SQL store; on
// split stores the writes are ordered so that an interruption never leaves
// the new password beside an old session or token.
//
// Instead of the current password, a step-up token for
// ActionChangePassword does (see confirmAction); a user with a second
// factor must use one.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, current, stepUp, next string) (latch.Session, error) {
	cur, err := currentSession(r)
	if err != nil {
		return latch.Session{}, err
	}
	if err := checkPassword(next); err != nil {
		return latch.Session{}, err
	}
	// The key first: an account without a password (OAuth) sets one by a
	// reset, and its step-up token is not used up here.
	key, err := h.passwordKey(r.Context(), cur.UserID)
	if err != nil {
		return latch.Session{}, err
	}
	if err := h.confirmAction(r, cur, ActionChangePassword, current, stepUp); err != nil {
		return latch.Session{}, err
	}
	if err := h.checkBreached(r.Context(), next); err != nil {
		return latch.Session{}, err
	}
	var (
		s      latch.Session
		issued string
	)
	err = h.auth.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.endSignIns(ctx, cur.UserID); err != nil {
			return err
		}
		if err := h.voidUndos(ctx, cur.UserID, UndoPassword); err != nil {
			return err
		}
		if _, err := h.auth.UpdateKeyPassword(ctx, emailProvider, key.ProviderUserID, &next); err != nil {
			return err
		}
		if !h.auth.Atomic() { // anything made with the old password meanwhile
			if err := h.endSignIns(ctx, cur.UserID); err != nil {
				return err
			}
		}
		s, err = h.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: cur.UserID, AMR: cur.AMR}) // as sure as the one it replaces
		if err != nil {
			return err
		}
		issued, err = h.undoNoticeInTx(ctx, s.User, AccountChange{Field: UndoPassword})
		return err
	})
	if err != nil {
		return latch.Session{}, err
	}
	h.sessionStarted(w, r, s)
	h.record(r, cur.UserID, evPasswordChange, "")
	h.record(r, cur.UserID, evSessionEnded, "all (password changed)")
	h.noticeQueued(r.Context(), cur.UserID, issued)
	return s, nil
}

func (h *Handler) changePasswordPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); !ok {
		return nil
	}
	if _, err := h.changePassword(w, r, r.PostFormValue("current_password"), r.PostFormValue("step_up_token"), r.PostFormValue("new_password")); err != nil {
		e := apiError(err)
		if e.Status >= 500 {
			return err
		}
		http.Redirect(w, r, "/account?e="+e.Code+"#password", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?m=password-changed", http.StatusSeeOther)
	return nil
}
