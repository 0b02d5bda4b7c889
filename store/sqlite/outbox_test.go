package sqlite_test

import (
	"testing"

	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/outbox/outboxtest"
)

// TestOutbox runs the outbox queue's conformance suite, each subtest on
// its own migrated database.
func TestOutbox(t *testing.T) {
	t.Parallel()
	outboxtest.Run(t, func(t *testing.T) outbox.Queue { return open(t).Outbox() })
}
