package mail

import (
	"context"
	"errors"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
)

// TestSMTPMessageID: a message's MessageID is the header sent, the same on
// every Send (a retry); without one, each Send makes a new one.
func TestSMTPMessageID(t *testing.T) {
	t.Parallel()
	cert, _ := selfSigned(t)
	srv := startSMTP(t, "plain", "", "", cert)
	s, err := NewSMTP("smtp://"+srv.addr+"?starttls=none", "Latch <no-reply@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := Message{To: "ada@example.com", Subject: "hi", Text: "hello", MessageID: "job1.mail@auth.example.com"}
	for range 2 {
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	m.MessageID = ""
	for range 2 {
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, r := range srv.messages() {
		msg, err := netmail.ReadMessage(strings.NewReader(string(r.data)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-Id"))
	}
	if len(ids) != 4 || ids[0] != "<job1.mail@auth.example.com>" || ids[1] != ids[0] || ids[2] == "" || ids[2] == ids[3] || ids[2] == ids[0] {
		t.Errorf("Message-IDs %q: want the given one twice, then two new ones", ids)
	}
}

func TestMessageIDValidation(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"no-at-sign", "a@b@c", "a b@c", "<a@b>", "a@b\r\nBcc: x@y"} {
		m := Message{To: "ada@example.com", Subject: "s", Text: "t", MessageID: id}
		if err := m.Validate(); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("MessageID %q: Validate = %v, want ErrInvalidMessage", id, err)
		}
	}
}
