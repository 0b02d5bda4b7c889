package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestReaderPool checks the read-only pool: WAL, query_only, and no write
// getting through it.
func TestReaderPool(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "query_only": "1", "busy_timeout": "10000"} {
		var got string
		if err := s.reader.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("reader: PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	_, err = s.reader.Exec("INSERT INTO latch_user (id, attributes) VALUES ('x', '{}')")
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write on the reader pool: err = %v, want a read-only error", err)
	}
	if got := s.writer.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool: MaxOpenConnections = %d, want 1", got)
	}
}
