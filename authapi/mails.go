package authapi

import (
	"context"

	"github.com/latchauth/latch"
)

// queueVerification queues, for the user, a mail with a new verification
// code and a link that verifies in one click.
func (h *Handler) queueVerification(ctx context.Context, u latch.User) {
	email := u.Attributes.String(attrEmail)
	if email == "" {
		return
	}
	h.jobs.add(ctx, "verification mail", func(ctx context.Context) error {
		code, err := h.codes.Issue(ctx, u.ID)
		if err != nil {
			return err
		}
		link, err := h.links.Issue(ctx, u.ID)
		if err != nil {
			return err
		}
		return h.mailer.Send(ctx, h.mails.VerificationCode(email, code.String(), "/api/auth/email-verification/"+link.String(), code.ExpiresAt.Sub(h.auth.Now())))
	})
}
