package authapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/outbox"
)

type magicLinkRequest struct {
	Email       string `json:"email"`
	CallbackURL string `json:"callbackURL"`
}

func (h *Handler) requestMagicLinkAPI(w http.ResponseWriter, r *http.Request) error {
	var req magicLinkRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.requestMagicLink(r, req.Email, req.CallbackURL); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, accepted)
	return nil
}

// requestMagicLink works like requestPasswordReset: everything that
// depends on the address having an account happens off the request path.
// callback, a path on this site, is where the link lands after signing in.
func (h *Handler) requestMagicLink(r *http.Request, rawEmail, callback string) error {
	email, err := h.mailRequest(r, rawEmail)
	if err != nil {
		return err
	}
	query := ""
	if cb := localPath(callback, ""); cb != "" {
		query = "?callbackURL=" + url.QueryEscape(cb)
	}
	return h.enqueue(r.Context(), outbox.NewID(), jobMagicLink, mailRequestJob{Email: email, Query: query})
}

// useMagicLink consumes the link's token, starts a session and redirects.
// The link proved the mailbox: an account whose address was not verified
// is claimed (claimMailbox) unless the browser holds a live session of
// that user already (its creator's); the address is marked verified.
func (h *Handler) useMagicLink(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	var s latch.Session
	err := h.auth.InTx(r.Context(), func(ctx context.Context) error {
		tok, err := h.magic.Validate(ctx, r.PathValue("token"))
		if err != nil {
			return err
		}
		if err := h.proveMailbox(ctx, r, tok.UserID); err != nil {
			return err
		}
		s, err = h.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: tok.UserID})
		return err
	})
	if err == nil {
		h.sessionStarted(w, r, s)
		// The link proved the mailbox: the owner gets password sign-in back.
		if u, err := h.auth.GetUser(r.Context(), s.UserID); err == nil {
			h.liftSignInLock(r.Context(), u.Attributes.String(attrEmail))
		}
	}
	if err == nil {
		h.record(r, s.UserID, evSignIn, "magic-link")
	}
	if err != nil {
		if errors.Is(err, latch.ErrInvalidUserID) {
			err = ErrInvalidToken // the user was deleted since
		}
		if _, signed := currentSession(r); signed == nil && apiError(err) == ErrInvalidToken {
			// A second click from the browser the first one signed in:
			// nothing went wrong.
			http.Redirect(w, r, localPath(r.URL.Query().Get("callbackURL"), h.linkTo.SignedIn), http.StatusSeeOther)
			return nil
		}
		h.redirectError(w, r, h.failedLink("/magic-link"), err)
		return nil
	}
	http.Redirect(w, r, localPath(r.URL.Query().Get("callbackURL"), h.linkTo.SignedIn), http.StatusSeeOther)
	return nil
}

// proveMailbox records that the request proved control of the user's
// address: the address is marked verified, and an account whose address
// was not verified yet is claimed (claimMailbox) unless the request comes
// with a live session of that user.
func (h *Handler) proveMailbox(ctx context.Context, r *http.Request, userID string) error {
	if s, ok := httpauth.FromContext(r.Context()); ok && s.UserID == userID {
		_, err := h.markVerified(ctx, userID)
		return err
	}
	u, err := h.auth.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if u.Attributes.Bool(attrEmailVerified) {
		return nil
	}
	_, err = h.claimMailbox(ctx, u, "", nil)
	return err
}
