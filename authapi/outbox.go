package authapi

import (
	"net/http"
	"regexp"
	"time"
)

// outboxAPI lists the dev outbox as JSON, newest first.
func (h *Handler) outboxAPI(w http.ResponseWriter, r *http.Request) error {
	h.outbox.Handler().ServeHTTP(w, r)
	return nil
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// outboxPage shows the dev outbox, with the links of each mail clickable.
func (h *Handler) outboxPage(w http.ResponseWriter, r *http.Request) error {
	msgs := h.outbox.Messages()
	views := make([]mailView, 0, len(msgs))
	for _, m := range msgs { // newest first
		views = append(views, mailView{
			To: m.To, Subject: m.Subject, SentAt: m.SentAt.UTC().Format(time.RFC3339),
			Text: m.Text, Links: linkPattern.FindAllString(m.Text, -1),
		})
	}
	h.render(w, r, http.StatusOK, "outbox", pageData{Title: "Dev outbox", Mails: views})
	return nil
}
