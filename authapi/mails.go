package authapi

import (
	"context"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
)

// queueVerification queues durably, for the user, a mail with a new
// verification code and a link that verifies in one click.
func (h *Handler) queueVerification(ctx context.Context, u latch.User) error {
	email := u.Attributes.String(attrEmail)
	if email == "" {
		return nil
	}
	return h.enqueue(ctx, outbox.NewID(), jobVerification, mailRequestJob{Email: email, UserID: u.ID})
}
