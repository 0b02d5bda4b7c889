package authapi

import (
	"context"

	"github.com/latchauth/latch/throttle"
)

// checkThrottle returns ErrTooManyRequests, with the wait as Retry-After,
// when the key is locked. A throttle store that does not answer fails the
// request (503 when it timed out): letting attempts through unthrottled
// would be the worse failure.
func (h *Handler) checkThrottle(ctx context.Context, l *throttle.Limiter, key string) error {
	wait, err := l.Check(ctx, key)
	if err != nil {
		return err
	}
	if wait > 0 {
		return ErrTooManyRequests.withRetry(wait)
	}
	return nil
}

// fail counts a failure (or a request) against the key; a throttle store
// error is logged, not fatal, since the attempt is over anyway.
func (h *Handler) fail(ctx context.Context, l *throttle.Limiter, key string) {
	if err := l.Fail(ctx, key); err != nil {
		h.log.WarnContext(ctx, "throttle update failed", "err", err)
	}
}
