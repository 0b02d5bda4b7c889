package authapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/token"
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

// magicLinkTarget is where a magic-link mail points for tok: the page
// that asks for one click (Links.MagicLink, by default
// "/magic-link/{token}"), or, when the pages are off and no page is
// configured, the API path, whose GET says to POST the token.
func (h *Handler) magicLinkTarget(tok, query string) string {
	if h.linkTo.MagicLink == "" {
		return "/api/auth/magic-link/" + url.PathEscape(tok) + query
	}
	target := strings.ReplaceAll(h.linkTo.MagicLink, "{token}", url.PathEscape(tok))
	if query != "" && strings.Contains(target, "?") {
		query = "&" + strings.TrimPrefix(query, "?")
	}
	return target + query
}

// magicLinkRedirect serves GET /api/auth/magic-link/{token}, the link of
// older magic-link mails: it consumes nothing (mail scanners fetch every
// link) and sends the browser to the page whose button signs in, keeping
// ?callbackURL=. With the pages off and no Links.MagicLink, it answers
// how to use the token instead.
func (h *Handler) magicLinkRedirect(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	query := ""
	if cb := localPath(r.URL.Query().Get("callbackURL"), ""); cb != "" {
		query = "?callbackURL=" + url.QueryEscape(cb)
	}
	if h.linkTo.MagicLink == "" {
		writeJSON(w, http.StatusOK, messageJSON{Message: "This sign-in link is used with POST /api/auth/magic-link/verify {\"token\": \"…\"}; opening it signs nobody in."})
		return nil
	}
	http.Redirect(w, r, h.magicLinkTarget(r.PathValue("token"), query), http.StatusSeeOther)
	return nil
}

// consumeMagicLink consumes the link's token and starts a session (or,
// for a user with a second factor, a pending sign-in), in one
// transaction. The link proved the mailbox: an account whose address was
// not verified is claimed (claimMailbox) unless the browser holds a live
// session of that user already (its creator's); the address is marked
// verified, and password sign-in is unlocked. The caller sets the cookie
// (signInMade).
func (h *Handler) consumeMagicLink(r *http.Request, value string) (latch.Session, *pendingSignIn, error) {
	if value == "" || len(value) > token.MaxLength {
		return latch.Session{}, nil, ErrInvalidToken
	}
	var (
		s      latch.Session
		p      *pendingSignIn
		userID string
	)
	err := h.auth.InTx(r.Context(), func(ctx context.Context) error {
		tok, err := h.magic.Validate(ctx, value)
		if err != nil {
			return err
		}
		userID = tok.UserID
		if err := h.proveMailbox(ctx, r, tok.UserID); err != nil {
			return err
		}
		s, p, err = h.beginSignIn(ctx, r, tok.UserID, []string{amrMailedLink})
		return err
	})
	if errors.Is(err, latch.ErrInvalidUserID) {
		return latch.Session{}, nil, ErrInvalidToken // the user was deleted since
	}
	if err != nil {
		return latch.Session{}, nil, err
	}
	// The link proved the mailbox: the owner gets password sign-in back.
	h.record(r, userID, evTokenUsed, h.magic.Name())
	email := s.User.Attributes.String(attrEmail)
	if p != nil {
		if u, err := h.auth.GetUser(r.Context(), userID); err == nil {
			email = u.Attributes.String(attrEmail)
		}
	} else {
		h.recordSignIn(r, s.UserID, "magic-link")
	}
	h.liftSignInLock(r.Context(), email)
	return s, p, nil
}

// verifyMagicLinkAPI serves POST /api/auth/magic-link/verify {token}: it
// consumes the link and answers the new session, with its cookie set (the
// token in the body only for a request without Origin, as sign-in), or
// the pending sign-in of a user with a second factor.
func (h *Handler) verifyMagicLinkAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, p, err := h.consumeMagicLink(r, req.Token)
	if err != nil {
		return err
	}
	h.signInMade(w, r, s, p)
	writeSignIn(w, r, http.StatusOK, s, p)
	return nil
}

// magicLinkPage is the page a magic link opens: it consumes nothing and
// says who the button signs in ("Sign in as a…@example.com"); a used or
// expired link gets the form that asks for a new one at once.
func (h *Handler) magicLinkPage(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	value := r.PathValue("token")
	tok, err := h.magic.Peek(r.Context(), value)
	var msg string
	switch {
	case err == nil:
	case errors.Is(err, token.ErrExpiredToken):
		msg = "This sign-in link has expired. Ask for a new one below."
	case errors.Is(err, token.ErrInvalidToken):
		msg = "This sign-in link has already been used or is no longer valid. Ask for a new one below."
	default:
		return err
	}
	var u latch.User
	if err == nil {
		if u, err = h.auth.GetUser(r.Context(), tok.UserID); errors.Is(err, latch.ErrInvalidUserID) {
			msg = "This sign-in link is no longer valid. Ask for a new one below."
		} else if err != nil {
			return err
		}
	}
	if msg != "" {
		h.render(w, r, http.StatusBadRequest, "magic-link", pageData{Title: "Sign in with a link", Error: msg})
		return nil
	}
	h.render(w, r, http.StatusOK, "magic-link", pageData{Title: "Sign in with a link", Token: value,
		Email: maskEmail(u.Attributes.String(attrEmail)), Next: localPath(r.URL.Query().Get("callbackURL"), "")})
	return nil
}

// magicLinkPost is the page's button: it consumes the link, starts a
// session and redirects to the callback.
func (h *Handler) magicLinkPost(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	next := localPath(r.FormValue("callbackURL"), h.linkTo.SignedIn)
	s, p, err := h.consumeMagicLink(r, r.PathValue("token"))
	if err != nil {
		if _, signed := currentSession(r); signed == nil && apiError(err) == ErrInvalidToken {
			// A second click from the browser the first one signed in:
			// nothing went wrong.
			http.Redirect(w, r, next, http.StatusSeeOther)
			return nil
		}
		h.redirectError(w, r, h.failedLink("/magic-link"), err)
		return nil
	}
	h.signInMade(w, r, s, p)
	if p != nil {
		twoFactorRedirect(w, r, next)
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// maskEmail shows an address as its first character and its domain
// ("a…@example.com"), enough for its owner to recognise it.
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 1 {
		return "…"
	}
	first, _ := utf8.DecodeRuneInString(email)
	return string(first) + "…" + email[at:]
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
