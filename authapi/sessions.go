package authapi

import (
	"errors"
	"net/http"

	"github.com/latchauth/latch"
)

func (h *Handler) getSession(w http.ResponseWriter, r *http.Request) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authJSON{User: toUserJSON(s.User), Session: toSessionJSON(s)})
	return nil
}

type sessionsJSON struct {
	Sessions []sessionJSON `json:"sessions"`
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	list, err := h.auth.GetAllUserSessions(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	out := sessionsJSON{Sessions: make([]sessionJSON, 0, len(list))}
	for _, x := range list {
		j := toSessionJSON(x)
		cur := x.ID == s.ID
		j.Current = &cur
		out.Sessions = append(out.Sessions, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request) error {
	if err := h.revokeOwnSession(w, r, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeOwnSession deletes one of the signed-in user's sessions by id;
// another user's session is as unknown as a missing one.
func (h *Handler) revokeOwnSession(w http.ResponseWriter, r *http.Request, id string) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	other, err := h.auth.GetSessionByID(r.Context(), id)
	if errors.Is(err, latch.ErrInvalidSessionID) || (err == nil && other.UserID != s.UserID) {
		return ErrSessionNotFound
	}
	if err != nil {
		return err
	}
	if err := h.auth.InvalidateSession(r.Context(), id); err != nil {
		return err
	}
	if id == s.ID {
		h.sessions.ClearSessionCookie(w)
	}
	return nil
}

func (h *Handler) revokeOtherSessions(w http.ResponseWriter, r *http.Request) error {
	if err := h.revokeOthers(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeOthers deletes every session of the user but the request's.
func (h *Handler) revokeOthers(r *http.Request) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	list, err := h.auth.GetAllUserSessions(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	for _, x := range list {
		if x.ID == s.ID {
			continue
		}
		if err := h.auth.InvalidateSession(r.Context(), x.ID); err != nil {
			return err
		}
	}
	return nil
}
