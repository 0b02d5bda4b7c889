package reqid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/latchauth/latch/internal/reqid"
)

func TestLoggerAddsTheRequestID(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := reqid.Logger(slog.New(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	if again := reqid.Logger(log); again != log {
		t.Error("Logger wrapped a wrapped logger again")
	}
	id := reqid.New()
	if len(id) != 16 || id == reqid.New() {
		t.Fatalf("New = %q: want 16 random hex digits", id)
	}
	log.InfoContext(reqid.With(context.Background(), id), "with")
	log.InfoContext(context.Background(), "without")
	dec := json.NewDecoder(&buf)
	for _, want := range []string{id, ""} {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		got, _ := line[reqid.LogKey].(string)
		if got != want || line["component"] != "test" {
			t.Errorf("log line %v: request_id %q, want %q", line, got, want)
		}
	}
}
