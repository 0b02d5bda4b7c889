package admin

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/latchauth/latch"
)

// Entry is one audited admin action.
type Entry struct {
	Who    string // "token:<name>" or "cli:<os user>"
	Action string // "list", "show", "create", "disable", "enable", "revoke-sessions", "remove-factors", "password-reset", "magic-link", "delete"
	UserID string // the user acted on, "" for a list
	IP     string // the caller's address, "" from the shell
	Detail string // the search of a list; "<n> removed" of remove-factors
}

// Audit records an admin action: one structured log line ("admin action",
// with who, action, user, ip) for every action, and, for an action on a
// user who still exists, an event of type "admin.<action>" in that user's
// security activity (detail "by <who>"), shown by GET
// /api/admin/users/{id} and to the user at GET /api/auth/activity. A
// deleted user's record goes with them; the log line stays. A failure to
// write the event is logged, never returned: the action happened.
func Audit(ctx context.Context, a *latch.Auth, log *slog.Logger, e Entry) {
	log.InfoContext(ctx, "admin action", "who", e.Who, "action", e.Action, "user", e.UserID, "ip", e.IP, "detail", e.Detail)
	if e.UserID == "" || e.Action == "delete" || !a.HasActivity() {
		return
	}
	ev := latch.ActivityEvent{UserID: e.UserID, Type: "admin." + e.Action, IP: e.IP, UserAgent: "latch admin", Detail: "by " + e.Who}
	if err := a.RecordActivity(ctx, ev); err != nil {
		log.WarnContext(ctx, "admin action not recorded in the user's activity", "action", e.Action, "user", e.UserID, "err", err)
	}
}

func (h *Handler) audit(r *http.Request, who, action, userID, detail string) {
	Audit(r.Context(), h.auth, h.log, Entry{Who: who, Action: action, UserID: userID, IP: h.clientIP(r), Detail: detail})
}
