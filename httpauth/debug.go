package httpauth

import (
	"context"
	"log/slog"
	"net/http"
)

// debug logs one auth decision at debug level. Callers pass what was
// decided and why, never a token, a cookie value or a password.
func (m *Manager) debug(ctx context.Context, msg string, args ...any) {
	if m.log.Enabled(ctx, slog.LevelDebug) {
		m.log.DebugContext(ctx, msg, args...)
	}
}

// debugOrigin explains a failed Origin check: what came, what the request
// addressed, and the reason CheckOrigin gave.
func (m *Manager) debugOrigin(r *http.Request, err error) {
	origin := r.Header.Get("Origin")
	if len(origin) > 200 {
		origin = origin[:200] + "…"
	}
	scheme, host := m.ownOrigin(r)
	m.debug(r.Context(), "httpauth: request refused: Origin check failed",
		"method", r.Method, "origin", origin, "own", scheme+"://"+host, "reason", err)
}

// DebugOrigin logs at debug level why an Origin check failed, for handlers
// that call CheckOrigin themselves (authapi does, against login CSRF).
func (m *Manager) DebugOrigin(r *http.Request, err error) {
	if err != nil {
		m.debugOrigin(r, err)
	}
}
