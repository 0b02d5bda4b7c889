package mysql_test

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

// TestOutboxInTx checks that the queue joins the store's transactions.
func TestOutboxInTx(t *testing.T) {
	t.Parallel()
	s := open(t)
	outboxtest.RunTx(t, s.Outbox(), s)
}
