package authapi

import (
	"context"
	"net/http"
	"net/url"
)

func (h *Handler) deleteAccountAPI(w http.ResponseWriter, r *http.Request) error {
	var req confirmRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.deleteAccount(w, r, req.Password, req.StepUpToken); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteAccount removes the signed-in user after checking its password
// (under the sign-in throttle, see confirmPassword): the user, its keys,
// sessions and tokens on every store (latch.Auth.DeleteUser, one
// transaction on a SQL store), and the sign-in throttle's count of its
// address. The cookie is cleared and a goodbye mailed, queued in the
// deletion's transaction. Instead of the
// password, a step-up token for ActionDeleteAccount does (see
// confirmAction): the way for a user with a second factor, or without a
// password.
func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request, pw, stepUp string) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	if err := h.confirmAction(r, s, ActionDeleteAccount, pw, stepUp); err != nil {
		return err
	}
	to := s.User.Attributes.String(attrEmail)
	if err := h.auth.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.auth.DeleteUser(ctx, s.UserID); err != nil {
			return err
		}
		if to == "" {
			return nil
		}
		// The goodbye commits with the deletion (see noticeErr): an owner
		// whose account someone else deleted learns of it.
		return h.noticeErr(ctx, h.queueMail(ctx, "", h.mails.AccountDeleted(to)))
	}); err != nil {
		return err
	}
	h.noticeQueued(r.Context(), s.UserID, "")
	h.sessions.ClearSessionCookie(w)
	if to != "" {
		if err := h.emailLimit.Reset(r.Context(), signInEmailKey(to)); err != nil {
			h.log.WarnContext(r.Context(), "throttle reset failed", "err", err)
		}
	}
	return nil
}

// deleteAccountPage is the form on /account: the password and a ticked
// confirmation box, so that one stray click deletes nothing.
func (h *Handler) deleteAccountPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); !ok {
		return nil
	}
	var err error = ErrConfirmationRequired
	if r.PostFormValue("confirm") == "yes" {
		err = h.deleteAccount(w, r, r.PostFormValue("password"), r.PostFormValue("step_up_token"))
	}
	if err != nil {
		e := apiError(err)
		if e.Status >= 500 {
			return err
		}
		http.Redirect(w, r, "/account?e="+url.QueryEscape(e.Code)+"#delete", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/?m=account-deleted", http.StatusSeeOther)
	return nil
}

// ErrConfirmationRequired answers the delete-account form sent without its
// confirmation box ticked.
var ErrConfirmationRequired = newError(http.StatusBadRequest, "CONFIRMATION_REQUIRED", "tick the box to confirm")
