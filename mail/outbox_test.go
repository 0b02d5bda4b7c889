package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOutbox(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	o := &Outbox{
		Limit:  3,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Now:    func() time.Time { now = now.Add(time.Second); return now },
	}
	ctx := context.Background()
	if got := o.Messages(); len(got) != 0 {
		t.Fatalf("new outbox has %d mails", len(got))
	}
	for i := 1; i <= 5; i++ {
		m := Message{To: fmt.Sprintf("u%d@example.com", i), Subject: fmt.Sprint("subject ", i), Text: fmt.Sprint("secret-code-", i), HTML: fmt.Sprint("<b>secret-code-", i, "</b>")}
		if err := o.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		got := o.Messages()
		if want := min(i, 3); len(got) != want {
			t.Fatalf("after %d sends: %d mails kept, want %d", i, len(got), want)
		}
		for j, s := range got { // newest first
			if want := fmt.Sprintf("u%d@example.com", i-j); s.To != want {
				t.Fatalf("after %d sends: Messages()[%d].To = %q, want %q", i, j, s.To, want)
			}
		}
	}
	got := o.Messages()
	if !got[0].SentAt.After(got[1].SentAt) || got[0].Text != "secret-code-5" || got[0].HTML != "<b>secret-code-5</b>" {
		t.Fatalf("newest mail = %+v", got[0])
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want one per mail:\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], "mail to u1@example.com: subject 1 (read it in the dev outbox)") {
		t.Errorf("log line = %s", lines[0])
	}
	if strings.Contains(logs.String(), "secret-code") {
		t.Errorf("a mail body reached the log:\n%s", logs.String())
	}
}

func TestOutboxRefusesInvalid(t *testing.T) {
	t.Parallel()
	o := NewOutbox()
	o.Logger = slog.New(slog.DiscardHandler)
	bad := []Message{
		{To: "", Subject: "s", Text: "t"},
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "a@example.com, b@example.com", Subject: "s", Text: "t"},
		{To: "a@example.com\nBcc: b@example.com", Subject: "s", Text: "t"},
		{To: "a@example.com", Subject: "s\r\nBcc: b@example.com", Text: "t"},
		{To: "a@example.com", Subject: "no body"},
	}
	for _, m := range bad {
		if err := o.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Send(%+v) = %v, want ErrInvalidMessage", m, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, Message{To: "a@example.com", Subject: "s", Text: "t"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context = %v", err)
	}
	if n := len(o.Messages()); n != 0 {
		t.Errorf("%d mails kept, want 0", n)
	}
}

func TestOutboxConcurrent(t *testing.T) {
	t.Parallel()
	o := &Outbox{Limit: 50, Logger: slog.New(slog.DiscardHandler)}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				m := Message{To: fmt.Sprintf("g%d-%d@example.com", g, i), Subject: "s", Text: "t"}
				if err := o.Send(context.Background(), m); err != nil {
					t.Error(err)
					return
				}
				_ = o.Messages()
			}
		})
	}
	wg.Wait()
	got := o.Messages()
	if len(got) != 50 {
		t.Fatalf("%d mails kept, want 50", len(got))
	}
	seen := map[string]bool{}
	for i, s := range got {
		if seen[s.To] {
			t.Fatalf("mail to %s listed twice", s.To)
		}
		seen[s.To] = true
		if i > 0 && s.SentAt.After(got[i-1].SentAt) {
			t.Fatalf("Messages not newest first at %d", i)
		}
	}
}

func TestOutboxHandler(t *testing.T) {
	t.Parallel()
	o := &Outbox{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
	srv := httptest.NewServer(o.Handler())
	t.Cleanup(srv.Close)

	get := func() (int, http.Header, []byte) {
		t.Helper()
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		return res.StatusCode, res.Header, b.Bytes()
	}
	status, h, body := get()
	if status != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("empty outbox: %d %s", status, body)
	}
	if h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", h)
	}

	_ = o.Send(context.Background(), Message{To: "a@example.com", Subject: "first", Text: "t1", HTML: "<p>h1</p>"})
	_ = o.Send(context.Background(), Message{To: "b@example.com", Subject: "second", Text: "t2"})
	_, _, body = get()
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("listed %d mails: %s", len(list), body)
	}
	want := map[string]any{"to": "b@example.com", "subject": "second", "text": "t2", "html": "", "sentAt": "2026-01-02T03:04:05Z"}
	for k, v := range want {
		if list[0][k] != v {
			t.Errorf("newest mail: %s = %v, want %v (%s)", k, list[0][k], v, body)
		}
	}
	if len(list[0]) != len(want) {
		t.Errorf("newest mail has fields %v, want exactly %v", list[0], want)
	}
	if list[1]["html"] != "<p>h1</p>" {
		t.Errorf("older mail: %v", list[1])
	}

	res, err := http.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}
