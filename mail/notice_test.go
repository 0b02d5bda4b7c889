package mail

import (
	"strings"
	"testing"
	"time"
)

// TestNotices: every account notice has a subject, a text and an HTML
// part, links made absolute, and values escaped in the HTML.
func TestNotices(t *testing.T) {
	tpl := Templates{AppName: "Acme", BaseURL: "https://auth.example.com"}
	for _, c := range []struct {
		m    Message
		want []string
	}{
		{tpl.PasswordChanged("a@example.com"), []string{"password", "every other session"}},
		{tpl.AccountDeleted("a@example.com"), []string{"deleted", "Goodbye"}},
		{tpl.SignInMethodRemoved("a@example.com", "github"), []string{"github"}},
		{tpl.EmailChange("new@example.com", "/email-change/tok", time.Hour), []string{"https://auth.example.com/email-change/tok", "1 hour"}},
		{tpl.EmailChanged("old@example.com", "new@example.com"), []string{"new@example.com"}},
		{tpl.EmailInUse("taken@example.com"), []string{"already has an account"}},
		{tpl.ChangeNotice("a@example.com", Notice{Subject: "Acme: changed", Heading: "Changed", Paragraphs: []string{"It changed."},
			UndoLink: "/undo/tok", UndoAction: "Undo it", UndoExpiresIn: 7 * 24 * time.Hour}),
			[]string{"It changed.", "https://auth.example.com/undo/tok", "7 days"}},
	} {
		if c.m.Subject == "" || !strings.Contains(c.m.Subject, "Acme") || c.m.HTML == "" || c.m.Validate() != nil {
			t.Errorf("%q: subject or HTML missing, or invalid: %v", c.m.Subject, c.m.Validate())
		}
		for _, w := range c.want {
			if !strings.Contains(c.m.Text, w) || !strings.Contains(c.m.HTML, w) {
				t.Errorf("%q: %q missing in\n%s\n%s", c.m.Subject, w, c.m.Text, c.m.HTML)
			}
		}
	}
	m := tpl.EmailChanged("old@example.com", `<b>x</b>@example.com`)
	if strings.Contains(m.HTML, "<b>x</b>") {
		t.Errorf("not escaped: %s", m.HTML)
	}
}
