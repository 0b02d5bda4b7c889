package authapi

import (
	"context"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mail"
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

// changeNotice is the notice of an account change, with its undo link.
func (h *Handler) changeNotice(to string, c AccountChange, undoLink string, expiresIn time.Duration) mail.Message {
	app := h.mails.AppNameOrDefault()
	n := mail.Notice{UndoLink: undoLink, UndoExpiresIn: expiresIn,
		UndoAction: "This was not me: undo it",
		Footer:     "If this was you, there is nothing to do. The link works once; using it also ends every session and asks for a new password through a link mailed to the account's address."}
	switch c.Field {
	case UndoEmail:
		n.Subject, n.Heading = "The email of your "+app+" account was changed", "Your email address was changed"
		n.Paragraphs = []string{"Your " + app + " account now uses the address " + c.NewEmail + ": mail about it goes there from now on.",
			"If you did not ask for this, the button below gives the account its previous address back. Until then, nobody else can take this address."}
	case UndoPassword:
		n.Subject, n.Heading = "Your "+app+" password was changed", "Your password was changed"
		n.Paragraphs = []string{"The password of your " + app + " account was just changed, and every other session was signed out."}
	case UndoMethod:
		if c.Added {
			n.Subject, n.Heading = "A sign-in method was added to your "+app+" account", "A sign-in method was added"
			n.Paragraphs = []string{"Signing in to your " + app + " account with " + c.Method + " was just turned on."}
		} else {
			n.Subject, n.Heading = "A sign-in method was removed from your "+app+" account", "A sign-in method was removed"
			n.Paragraphs = []string{"Signing in to your " + app + " account with " + c.Method + " was just turned off."}
		}
	case UndoSessions:
		n.Subject, n.Heading = "New sign-in to your "+app+" account", "A new device signed in"
		n.Paragraphs = []string{"Your " + app + " account was just signed in to from " + orDefault(c.Device, "an unknown device") + " at " + orDefault(c.IP, "an unknown address") + ", which it has not been used from recently."}
		n.UndoAction = "This was not me: sign out everywhere"
		n.Footer = "If this was you, there is nothing to do. Otherwise use the button, then change your password (or reset it)."
	}
	return h.mails.ChangeNotice(to, n)
}
