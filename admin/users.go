package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/httpauth"
)

// UserSummary is a user as the admin API lists it.
type UserSummary struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	EmailVerified bool       `json:"emailVerified"`
	Name          string     `json:"name,omitempty"`
	CreatedAt     *time.Time `json:"createdAt,omitempty"`
	Disabled      bool       `json:"disabled"`
	DisabledAt    *time.Time `json:"disabledAt,omitempty"`
}

// Summarize returns the summary of u, from the attributes authapi writes.
func Summarize(u latch.User) UserSummary {
	out := UserSummary{
		ID: u.ID, Email: u.Attributes.String("email"), EmailVerified: u.Attributes.Bool("email_verified"),
		Name: u.Attributes.String("name"), Disabled: u.Disabled(),
	}
	if t := u.Attributes.Time("created_at"); !t.IsZero() {
		out.CreatedAt = &t
	}
	if t := u.Attributes.Time(latch.DisabledAttribute); !t.IsZero() {
		out.DisabledAt = &t
	}
	return out
}

// KeyJSON is a key as the admin API shows it: never its password hash.
type KeyJSON struct {
	ProviderID      string `json:"providerId"`
	ProviderUserID  string `json:"providerUserId"`
	PasswordDefined bool   `json:"passwordDefined"`
}

// SessionJSON is a live session as the admin API shows it: its handle
// (authapi.SessionHandle), never its id or token, and the details authapi
// keeps when they are on.
type SessionJSON struct {
	Handle        string     `json:"handle"`
	ActiveExpires time.Time  `json:"activeExpires"`
	IdleExpires   time.Time  `json:"idleExpires"`
	UserAgent     string     `json:"userAgent,omitempty"`
	IP            string     `json:"ip,omitempty"`
	SignedInAt    *time.Time `json:"signedInAt,omitempty"`
	LastUsedAt    *time.Time `json:"lastUsedAt,omitempty"`
}

// EventJSON is one security activity event, admin actions ("admin.*")
// among them.
type EventJSON struct {
	Type      string    `json:"type"`
	At        time.Time `json:"at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"userAgent"`
	Detail    string    `json:"detail"`
}

// ActivityJSON is a page of events, newest first, and the next page's cursor.
type ActivityJSON struct {
	Events []EventJSON `json:"events"`
	Next   string      `json:"next"`
}

// FactorJSON is a second factor or passkey as the admin API shows it:
// never its secret state.
type FactorJSON struct {
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// UserDetail is GET /api/admin/users/{id}.
type UserDetail struct {
	User     UserSummary   `json:"user"`
	Keys     []KeyJSON     `json:"keys"`
	Factors  []FactorJSON  `json:"factors"`
	Sessions []SessionJSON `json:"sessions"`
	Activity ActivityJSON  `json:"activity"`
}

// activityPage is how many events GET users/{id} shows at once.
const activityPage = 20

// Detail reads what GET /api/admin/users/{id} shows: the user, their keys,
// second factors and passkeys (where the store keeps them), live sessions
// and a page of activity from cursor ("" for the newest).
func Detail(ctx context.Context, a *latch.Auth, userID, cursor string) (UserDetail, error) {
	u, err := a.GetUser(ctx, userID)
	if err != nil {
		return UserDetail{}, err
	}
	keys, err := a.GetAllUserKeys(ctx, userID)
	if err != nil {
		return UserDetail{}, err
	}
	sessions, err := a.GetAllUserSessions(ctx, userID)
	if err != nil {
		return UserDetail{}, err
	}
	factors, err := a.ListFactors(ctx, userID)
	if err != nil {
		return UserDetail{}, err
	}
	events, next, err := a.ListActivity(ctx, userID, cursor, activityPage)
	if err != nil {
		return UserDetail{}, err
	}
	out := UserDetail{
		User: Summarize(u), Keys: make([]KeyJSON, 0, len(keys)), Sessions: make([]SessionJSON, 0, len(sessions)),
		Factors:  make([]FactorJSON, 0, len(factors)),
		Activity: ActivityJSON{Events: make([]EventJSON, 0, len(events)), Next: next},
	}
	for _, k := range keys {
		out.Keys = append(out.Keys, KeyJSON{ProviderID: k.ProviderID, ProviderUserID: k.ProviderUserID, PasswordDefined: k.PasswordDefined})
	}
	for _, f := range factors {
		j := FactorJSON{Kind: f.Kind, Name: f.Name, CreatedAt: time.UnixMilli(f.CreatedAt).UTC()}
		if f.LastUsedAt != 0 {
			t := time.UnixMilli(f.LastUsedAt).UTC()
			j.LastUsedAt = &t
		}
		out.Factors = append(out.Factors, j)
	}
	for _, s := range sessions {
		j := SessionJSON{
			Handle: authapi.SessionHandle(s.ID), ActiveExpires: s.ActiveExpires, IdleExpires: s.IdleExpires,
			UserAgent: s.Attributes.String(authapi.SessionUserAgentAttribute), IP: s.Attributes.String(authapi.SessionIPAttribute),
		}
		if t := s.Attributes.Time(authapi.SessionSignedInAttribute); !t.IsZero() {
			j.SignedInAt = &t
		}
		if t := s.Attributes.Time(authapi.SessionLastUsedAttribute); !t.IsZero() {
			j.LastUsedAt = &t
		}
		out.Sessions = append(out.Sessions, j)
	}
	for _, e := range events {
		out.Activity.Events = append(out.Activity.Events, EventJSON{
			Type: e.Type, At: time.UnixMilli(e.At).UTC(), IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail,
		})
	}
	return out, nil
}

// UserEmail returns the address links go to: the user's email key, or
// else their email attribute; "" when they have neither.
func UserEmail(ctx context.Context, a *latch.Auth, u latch.User) (string, error) {
	keys, err := a.GetAllUserKeys(ctx, u.ID)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k.ProviderID == latch.EmailProviderID {
			return k.ProviderUserID, nil
		}
	}
	return u.Attributes.String("email"), nil
}

// UserList is GET /api/admin/users.
type UserList struct {
	Users []UserSummary `json:"users"`
	Next  string        `json:"next"`
}

// List reads a page of users: q filters by email prefix (see
// latch.ListUsersOptions), cursor is the previous page's next.
func List(ctx context.Context, a *latch.Auth, q, cursor string, limit int) (UserList, error) {
	users, next, err := a.ListUsers(ctx, latch.ListUsersOptions{EmailPrefix: q, Cursor: cursor, Limit: limit})
	if err != nil {
		return UserList{}, err
	}
	out := UserList{Users: make([]UserSummary, 0, len(users)), Next: next}
	for _, u := range users {
		out.Users = append(out.Users, Summarize(u))
	}
	return out, nil
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, who string) error {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > latch.MaxUserPage {
			return &Error{Status: http.StatusBadRequest, Code: "INVALID_LIMIT", Message: "limit must be 1 to " + strconv.Itoa(latch.MaxUserPage)}
		}
		limit = n
	}
	out, err := List(r.Context(), h.auth, q.Get("q"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	h.audit(r, who, "list", "", q.Get("q"))
	httpauth.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, who string) error {
	id := r.PathValue("id")
	out, err := Detail(r.Context(), h.auth, id, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	h.audit(r, who, "show", id, "")
	httpauth.WriteJSON(w, http.StatusOK, out)
	return nil
}

type createRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Verified bool   `json:"verified"`
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, who string) error {
	var req createRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	// A taken address is answered before the password is hashed (and
	// before a Lucia table's UNIQUE email column answers for it).
	if email, err := authapi.NormalizeEmail(req.Email); err == nil {
		if _, err := h.auth.GetKey(r.Context(), latch.EmailProviderID, email); err == nil {
			return errUserExists
		} else if !errors.Is(err, latch.ErrInvalidKeyID) {
			return err
		}
	}
	u, err := authapi.CreateUser(r.Context(), h.auth, authapi.NewUser{Email: req.Email, Password: req.Password, Name: req.Name, Verified: req.Verified})
	if err != nil {
		return err
	}
	h.audit(r, who, "create", u.ID, "")
	httpauth.WriteJSON(w, http.StatusCreated, map[string]UserSummary{"user": Summarize(u)})
	return nil
}

func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request, who string) error {
	u, err := h.auth.DisableUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.audit(r, who, "disable", u.ID, "")
	httpauth.WriteJSON(w, http.StatusOK, map[string]UserSummary{"user": Summarize(u)})
	return nil
}

func (h *Handler) enableUser(w http.ResponseWriter, r *http.Request, who string) error {
	u, err := h.auth.EnableUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.audit(r, who, "enable", u.ID, "")
	httpauth.WriteJSON(w, http.StatusOK, map[string]UserSummary{"user": Summarize(u)})
	return nil
}

func (h *Handler) revokeSessions(w http.ResponseWriter, r *http.Request, who string) error {
	id := r.PathValue("id")
	if _, err := h.auth.GetUser(r.Context(), id); err != nil {
		return err
	}
	if err := h.auth.InvalidateAllUserSessions(r.Context(), id); err != nil {
		return err
	}
	h.audit(r, who, "revoke-sessions", id, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type linkRequest struct {
	// Link is "password-reset" (the default) or "magic-link".
	Link string `json:"link"`
}

// sendLink mails the user a password-reset link, or a magic link, for
// support: 202, and the link is never in the answer.
func (h *Handler) sendLink(w http.ResponseWriter, r *http.Request, who string) error {
	req := linkRequest{Link: "password-reset"}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Link != "password-reset" && req.Link != "magic-link" {
		return &Error{Status: http.StatusBadRequest, Code: "INVALID_LINK", Message: `link must be "password-reset" or "magic-link"`}
	}
	if h.mailer == nil {
		return errNotSupported
	}
	ctx := r.Context()
	u, err := h.auth.GetUser(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if u.Disabled() {
		return errUserDisabled
	}
	email, err := UserEmail(ctx, h.auth, u)
	if err != nil {
		return err
	}
	if email == "" {
		return errNoEmail
	}
	if req.Link == "magic-link" {
		err = h.mailer.SendMagicLink(ctx, email)
	} else {
		err = h.mailer.SendPasswordReset(ctx, email, h.clientIP(r))
	}
	if err != nil {
		return err
	}
	h.audit(r, who, req.Link, u.ID, "")
	httpauth.WriteJSON(w, http.StatusAccepted, map[string]string{"message": "the link is mailed to the user's address"})
	return nil
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, who string) error {
	id := r.PathValue("id")
	if _, err := h.auth.GetUser(r.Context(), id); err != nil {
		return err
	}
	// The user's activity goes with them: the log line is the record.
	if err := h.auth.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	h.audit(r, who, "delete", id, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// FactorsRemoved is DELETE /api/admin/users/{id}/factors.
type FactorsRemoved struct {
	// Removed is how many second factors and passkeys the user had when
	// the request came; 0 means nothing was done.
	Removed int `json:"removed"`
}

// removeFactors takes away every second factor and passkey of a user who
// lost them (FactorRemover: sessions end, the user is mailed). A user with
// none is answered removed 0 and left as they are: no session ends, and
// no notice tells them of a removal that did not happen.
func (h *Handler) removeFactors(w http.ResponseWriter, r *http.Request, who string) error {
	if h.remover == nil {
		return errNotSupported
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := h.auth.GetUser(ctx, id); err != nil {
		return err
	}
	n, err := h.remover.RemoveFactors(ctx, id)
	if err != nil {
		return fmt.Errorf("admin: remove factors: %w", err)
	}
	h.audit(r, who, "remove-factors", id, strconv.Itoa(n)+" removed")
	httpauth.WriteJSON(w, http.StatusOK, FactorsRemoved{Removed: n})
	return nil
}
