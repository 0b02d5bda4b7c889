package authapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchauth/latch"
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
	h.jobs.add(r.Context(), "magic-link mail", func(ctx context.Context) error {
		u, ok, err := h.userByEmail(ctx, email)
		if !ok {
			return err
		}
		tok, err := h.magic.Issue(ctx, u.ID)
		if err != nil {
			return err
		}
		return h.mailer.Send(ctx, h.mails.MagicLink(email, "/api/auth/magic-link/"+tok.String()+query, tok.ExpiresAt.Sub(h.auth.Now())))
	})
	return nil
}

// useMagicLink consumes the link's token, starts a session (the link proved
// the mailbox, so the email is marked verified) and redirects.
func (h *Handler) useMagicLink(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	tok, err := h.magic.Validate(ctx, r.PathValue("token"))
	if err == nil {
		_, err = h.markVerified(ctx, tok.UserID)
	}
	if err == nil {
		_, err = h.startSession(w, r, tok.UserID)
	}
	if err != nil {
		if errors.Is(err, latch.ErrInvalidUserID) {
			err = ErrInvalidToken // the user was deleted since
		}
		h.redirectError(w, r, "/magic-link", err)
		return nil
	}
	http.Redirect(w, r, localPath(r.URL.Query().Get("callbackURL"), "/account?m=signed-in"), http.StatusSeeOther)
	return nil
}
