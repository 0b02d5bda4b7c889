package authapi

import (
	"context"
	"time"

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

// refund gives back an attempt that was not a failure; an error is logged.
func (h *Handler) refund(ctx context.Context, l *throttle.Limiter, key string) {
	if err := l.Refund(ctx, key); err != nil {
		h.log.WarnContext(ctx, "throttle refund failed", "err", err)
	}
}

// hashGate bounds how many password hashes and verifications run at once:
// each Argon2id call takes 19 MiB and a core, so without a bound a burst of
// sign-ups (from however many addresses) takes the server's memory.
type hashGate struct {
	slots chan struct{}
	wait  time.Duration
}

// acquireHash waits for a hashing slot, at most Config.HashWait and never
// past ctx, and returns the function that frees it. A wait that runs out
// is ErrBusy with a Retry-After.
func (h *Handler) acquireHash(ctx context.Context) (release func(), err error) {
	g := h.hashes
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, ErrBusy.withRetry(time.Second)
	}
}

// signInEmailKey is the address's key in the sign-in throttle.
func signInEmailKey(email string) string { return "sign-in:email:" + email }

// liftSignInLock forgets the address's failed sign-ins, after the owner
// proved the mailbox another way (a magic link; a reset does it too).
func (h *Handler) liftSignInLock(ctx context.Context, email string) {
	if email == "" {
		return
	}
	if err := h.emailLimit.Reset(ctx, signInEmailKey(email)); err != nil {
		h.log.WarnContext(ctx, "throttle reset failed", "err", err)
	}
}
