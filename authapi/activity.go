package authapi

import (
	"context"
	"github.com/latchauth/latch/outbox"
	"net/http"
	"time"

	"github.com/latchauth/latch"
)

// The types of security activity events authapi records.
const (
	evSignIn         = "sign-in"
	evSignInFailed   = "sign-in-failed"
	evSignUp         = "sign-up"
	evSignOut        = "sign-out"
	evPasswordReset  = "password-reset"
	evTokenIssued    = "token-issued"
	evEmailVerified  = "email-verified"
	evSessionEnded   = "session-ended"
	evStepUp         = "step-up"
	evTokenUsed      = "token-used"
	evPasswordChange = "password-changed"
	evEmailChange    = "email-changed"
	evMethodLinked   = "method-linked"
	evMethodUnlinked = "method-unlinked"
	evUndo           = "undo"
	activityPageSize = 20
)

// record appends an event to the user's security activity, with the
// request's IP and user agent. A failure is logged, never returned: the
// record must not fail the action it records.
func (h *Handler) record(r *http.Request, userID, typ, detail string) {
	h.recordAs(r.Context(), userID, typ, detail, h.clientIP(r), r.UserAgent())
}

// recordAs is record for work off the request path (the request's IP and
// user agent captured before).
func (h *Handler) recordAs(ctx context.Context, userID, typ, detail, ip, ua string) {
	if !h.auth.HasActivity() || userID == "" {
		return
	}
	e := latch.ActivityEvent{UserID: userID, Type: typ, IP: ip, UserAgent: ua, Detail: detail}
	if err := h.auth.RecordActivity(ctx, e); err != nil {
		h.log.WarnContext(ctx, "security activity not recorded", "type", typ, "err", err)
	}
}

// recordFailedSignIn records a failed password sign-in for the address's
// user, if there is one, off the request path: the lookup and the write
// happen in an outbox job, queued alike for known and unknown addresses, so
// an existing address answers no slower than an unknown one.
func (h *Handler) recordFailedSignIn(r *http.Request, email string) {
	if !h.auth.HasActivity() {
		return
	}
	job := mailRequestJob{Email: email, IP: h.clientIP(r), UserAgent: r.UserAgent()}
	if err := h.enqueue(r.Context(), outbox.NewID(), jobSignInFailed, job); err != nil {
		h.log.WarnContext(r.Context(), "security activity not queued", "type", evSignInFailed, "err", err)
	}
}

// failedSignInJob is recordFailedSignIn's worker.
func (h *Handler) failedSignInJob(ctx context.Context, j outbox.Job) error {
	var req mailRequestJob
	if err := decodeJob(j, &req); err != nil {
		return err
	}
	u, ok, err := h.userByEmail(ctx, req.Email)
	if ok {
		h.recordAs(ctx, u.ID, evSignInFailed, "password", req.IP, req.UserAgent)
	}
	return err
}

type activityEventJSON struct {
	Type      string    `json:"type"`
	At        time.Time `json:"at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"userAgent"`
	Detail    string    `json:"detail"`
}

type activityJSON struct {
	Events []activityEventJSON `json:"events"`
	Next   string              `json:"next"`
}

// activityPage reads a page of the signed-in user's activity.
func (h *Handler) activityPage(r *http.Request, userID string) (activityJSON, error) {
	evs, next, err := h.auth.ListActivity(r.Context(), userID, r.URL.Query().Get("cursor"), activityPageSize)
	if err != nil {
		return activityJSON{}, err
	}
	out := activityJSON{Events: make([]activityEventJSON, 0, len(evs)), Next: next}
	for _, e := range evs {
		out.Events = append(out.Events, activityEventJSON{
			Type: e.Type, At: time.UnixMilli(e.At).UTC(), IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail,
		})
	}
	return out, nil
}

// listActivity answers GET /api/auth/activity?cursor=: the signed-in
// user's security activity, newest first, a page at a time.
func (h *Handler) listActivity(w http.ResponseWriter, r *http.Request) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	out, err := h.activityPage(r, s.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
