package authapi

import (
	"errors"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

type tokenJSON struct {
	Token string `json:"token"`
}

// generateOneTimeToken answers a token bound to the request's session, for
// handing the session to another client (better-auth's one-time-token
// plugin).
func (h *Handler) generateOneTimeToken(w http.ResponseWriter, r *http.Request) error {
	if h.noClientOT {
		return ErrForbidden
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	tok, err := h.oneTime.Generate(r.Context(), s)
	if err != nil {
		return err
	}
	h.record(r, s.UserID, evTokenIssued, h.oneTime.Name())
	writeJSON(w, http.StatusOK, tokenJSON{Token: tok.String()})
	return nil
}

// SetOTTHeader is the response header that carries a fresh one-time token
// for a session the response created, when Config.SetOTTHeaderOnNewSession
// is set (better-auth's "set-ott"). The canonical form of the name is
// "Set-Ott"; header names are case-insensitive.
const SetOTTHeader = "set-ott"

// sessionStarted sets the cookie of a session the request created, and the
// set-ott header when configured.
func (h *Handler) sessionStarted(w http.ResponseWriter, r *http.Request, s latch.Session) {
	h.debug(r.Context(), "session created", "route", route(r), "user", s.UserID, "idleExpires", s.IdleExpires)
	h.sessions.SetSessionCookie(w, s)
	h.setOTTHeader(w, r, s)
}

// setOTTHeader adds a one-time token for s in the set-ott header when
// Config.SetOTTHeaderOnNewSession is set. The session exists already, so a
// failure here is logged and the response goes on without the header.
func (h *Handler) setOTTHeader(w http.ResponseWriter, r *http.Request, s latch.Session) {
	if !h.ottHeader {
		return
	}
	tok, err := h.oneTime.Generate(r.Context(), s)
	if err != nil {
		h.log.WarnContext(r.Context(), "one-time token for the set-ott header failed", "user", s.UserID, "err", err)
		return
	}
	w.Header().Set(SetOTTHeader, tok.String())
}

// verifyOneTimeToken consumes a one-time token and answers the session it
// was bound to, setting its cookie unless
// Config.OTTDisableSetSessionCookie is set.
func (h *Handler) verifyOneTimeToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Token == "" || len(req.Token) > token.MaxLength {
		return ErrInvalidToken
	}
	s, err := h.oneTime.Verify(r.Context(), req.Token)
	if err != nil {
		if errors.Is(err, latch.ErrInvalidSessionID) {
			return ErrInvalidToken // the session ended since
		}
		return err
	}
	h.record(r, s.UserID, evTokenUsed, h.oneTime.Name())
	out := authBody(r, s)
	if h.ottNoCookie {
		// No cookie: the body is the only way the client gets the session.
		out.Token = s.Token
	} else if s.Token != "" {
		h.sessions.SetSessionCookie(w, s)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
