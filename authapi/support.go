package authapi

import (
	"context"

	"github.com/latchauth/latch/outbox"
)

// SendPasswordReset queues a password-reset mail to the address, as POST
// /api/auth/password-reset does but without its per-IP throttle, for
// support (the admin API): the link is mailed to the address, never
// returned. The worker looks the address up, so an address without an
// account (or of a disabled user) gets nothing; the per-user limit of
// reset links still applies.
func (h *Handler) SendPasswordReset(ctx context.Context, email, ip string) error {
	return h.enqueue(ctx, outbox.NewID(), jobPasswordReset, mailRequestJob{Email: email, IP: ip, UserAgent: "admin"})
}

// SendMagicLink queues a magic-link mail to the address, as POST
// /api/auth/magic-link does but without its per-IP throttle, for support:
// mailed, never returned; the per-user limit still applies.
func (h *Handler) SendMagicLink(ctx context.Context, email string) error {
	return h.enqueue(ctx, outbox.NewID(), jobMagicLink, mailRequestJob{Email: email})
}
