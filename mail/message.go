package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Message is one mail to one recipient. Text and HTML are alternative
// bodies of the same content; a mail has at least one of them.
type Message struct {
	To      string `json:"to"`      // one address, "ada@example.com" or "Ada <ada@example.com>"
	Subject string `json:"subject"` // a single line; the Outbox logs it, so no secrets
	Text    string `json:"text"`
	HTML    string `json:"html"`
	// MessageID, when set, is the Message-ID header without its angle
	// brackets ("2f9a…@latch"): a mail sent again after a failed attempt
	// keeps it, so that the receiving side can drop the repeat. When
	// empty, SMTP makes a new one for each Send.
	MessageID string `json:"messageId,omitempty"`
}

// Mailer sends mail. Send returns when the mail was handed over (or kept,
// for an Outbox); it honours ctx's deadline and cancellation.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalidMessage is returned (wrapped, with the reason) by Send for a
// message that cannot be sent: no valid recipient, a subject of more than
// one line, or no body.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Validate reports why m cannot be sent, as an error matching
// ErrInvalidMessage, or nil.
func (m Message) Validate() error {
	if strings.ContainsAny(m.To, "\r\n") {
		return invalid("recipient contains a line break")
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return invalid("recipient is not one valid address")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return invalid("subject contains a line break")
	}
	if m.MessageID != "" && (strings.ContainsAny(m.MessageID, "\r\n <>\t") || strings.Count(m.MessageID, "@") != 1) {
		return invalid("Message-ID is not of the form left@right")
	}
	if m.Text == "" && m.HTML == "" {
		return invalid("no body")
	}
	return nil
}

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidMessage, reason) }
