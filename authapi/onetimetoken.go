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
	writeJSON(w, http.StatusOK, tokenJSON{Token: tok.String()})
	return nil
}

// verifyOneTimeToken consumes a one-time token and answers the session it
// was bound to.
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
	if s.Token != "" {
		h.sessions.SetSessionCookie(w, s)
	}
	writeJSON(w, http.StatusOK, authBody(r, s))
	return nil
}
