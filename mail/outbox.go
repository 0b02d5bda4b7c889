package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// DefaultOutboxLimit is how many mails an Outbox keeps when Limit is 0.
const DefaultOutboxLimit = 200

// Sent is a mail an Outbox kept, with the time it was sent.
type Sent struct {
	Message
	SentAt time.Time `json:"sentAt"`
}

// Outbox is the development Mailer: it keeps the last Limit mails in
// memory and logs one line per mail, "mail to <to>: <subject> (read it in
// the dev outbox)", without the body (bodies carry codes and links, which
// must never reach a log). Nothing leaves the process.
//
// The zero value is ready to use; set the fields before the first Send.
// An Outbox is safe for concurrent use.
type Outbox struct {
	// Limit is how many mails are kept; older ones are dropped.
	// Default DefaultOutboxLimit.
	Limit int
	// Logger receives the one line per mail. Default slog.Default().
	Logger *slog.Logger
	// Now stamps SentAt. Default time.Now.
	Now func() time.Time

	mu   sync.Mutex
	ring []Sent // oldest first once full: next is the oldest
	next int
}

var _ Mailer = (*Outbox)(nil)

// NewOutbox returns an empty Outbox with the default settings, the same as
// new(Outbox).
func NewOutbox() *Outbox { return new(Outbox) }

// Send keeps m and logs its recipient and subject. It refuses what an SMTP
// server would refuse (see Message.Validate), so that development shows the
// same errors as production.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	limit := o.Limit
	if limit <= 0 {
		limit = DefaultOutboxLimit
	}

	o.mu.Lock()
	// Stamped under the lock, so that the list stays in time order.
	s := Sent{Message: m, SentAt: now()}
	if len(o.ring) < limit && o.next == 0 { // not full yet
		o.ring = append(o.ring, s)
	} else { // overwrite the oldest
		o.ring[o.next] = s
		o.next = (o.next + 1) % len(o.ring)
	}
	o.mu.Unlock()

	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, fmt.Sprintf("mail to %s: %s (read it in the dev outbox)", m.To, m.Subject))
	return nil
}

// Messages returns the kept mails, newest first.
func (o *Outbox) Messages() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Sent, 0, len(o.ring))
	for i := range len(o.ring) {
		// Walk back from the newest: the one just before next.
		out = append(out, o.ring[(o.next-1-i+2*len(o.ring))%len(o.ring)])
	}
	return out
}

// Handler serves the kept mails as a JSON array, newest first:
// [{"to","subject","text","html","sentAt"}]. Mount it only in development:
// the bodies carry sign-in links and codes.
func (o *Outbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			h.Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = w.Write([]byte(`{"error":{"code":"METHOD_NOT_ALLOWED","message":"use GET"}}` + "\n"))
			return
		}
		body, err := json.Marshal(o.Messages())
		if err != nil { // strings and a time only: cannot happen
			http.Error(w, "outbox: encoding failed", http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(append(body, '\n'))
		}
	})
}
