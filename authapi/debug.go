package authapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/latchauth/latch"
)

// The debug log (Logger at slog.LevelDebug, latchd --log-level debug)
// explains each auth decision, as Lucia's debugMode does: why a request
// was refused, which key a sign-in tried and what came of it, which
// session was created. It names routes (patterns, never paths, which may
// hold tokens), user ids, key ids and error codes; never a token, a
// session id, a code or a password. httpauth explains the session and
// Origin decisions the same way.

// debug logs msg at debug level when that level is on.
func (h *Handler) debug(ctx context.Context, msg string, args ...any) {
	if h.log.Enabled(ctx, slog.LevelDebug) {
		h.log.DebugContext(ctx, msg, args...)
	}
}

// debugRefused explains a 4xx answer: its code and the error behind it,
// whose text names the failing check (token errors say which handler and
// whether the value was unknown, expired or over its attempts).
func (h *Handler) debugRefused(r *http.Request, e *Error, err error) {
	h.debug(r.Context(), "request refused", "route", route(r), "status", e.Status, "code", e.Code, "reason", err)
}

// debugKey explains a sign-in's key check.
func (h *Handler) debugKey(ctx context.Context, provider, providerUserID string, err error) {
	key := provider + ":" + providerUserID
	switch {
	case err == nil:
		h.debug(ctx, "key accepted", "key", key)
	case errors.Is(err, latch.ErrInvalidKeyID):
		h.debug(ctx, "key refused: no such key (a dummy hash was checked for equal timing)", "key", key)
	case errors.Is(err, latch.ErrInvalidPassword):
		h.debug(ctx, "key refused: wrong password", "key", key)
	default:
		h.debug(ctx, "key refused", "key", key, "reason", err)
	}
}
