package authapi

import (
	"crypto/subtle"
	"net/http"

	"github.com/latchauth/latch"
)

// sessionHandle returns the opaque handle under which the API and the
// pages show a session, and by which they revoke it: a digest of its
// stored id that cannot be turned back into it. Under the lucia2 profile
// the stored id is the session's token, the bearer secret itself; the
// handle keeps one session's answer from giving away the others, in every
// profile alike.
func sessionHandle(id string) string { return SessionHandle(id) }

// SessionHandle returns the opaque handle under which the API shows the
// session with this stored id (latch.Session.ID): a digest that cannot be
// turned back into the id, for lists such as the admin API's.
func SessionHandle(id string) string {
	return latch.HashToken("latch session handle\x00" + id)[:32]
}

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

// revokeOwnSession deletes one of the signed-in user's sessions by its
// handle (sessionHandle); another user's session is as unknown as a
// missing one.
func (h *Handler) revokeOwnSession(w http.ResponseWriter, r *http.Request, handle string) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	id, err := h.sessionByHandle(r, s.UserID, handle)
	if err != nil {
		return err
	}
	if err := h.auth.InvalidateSession(r.Context(), id); err != nil {
		return err
	}
	if id == s.ID {
		h.sessions.ClearSessionCookie(w)
	}
	h.record(r, s.UserID, evSessionEnded, "one")
	return nil
}

// sessionByHandle returns the stored id of the user's live session with
// this handle, or ErrSessionNotFound.
func (h *Handler) sessionByHandle(r *http.Request, userID, handle string) (string, error) {
	if len(handle) != 32 {
		return "", ErrSessionNotFound
	}
	list, err := h.auth.GetAllUserSessions(r.Context(), userID)
	if err != nil {
		return "", err
	}
	for _, x := range list {
		if subtle.ConstantTimeCompare([]byte(sessionHandle(x.ID)), []byte(handle)) == 1 {
			return x.ID, nil
		}
	}
	return "", ErrSessionNotFound
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
	h.record(r, s.UserID, evSessionEnded, "all others")
	return nil
}
