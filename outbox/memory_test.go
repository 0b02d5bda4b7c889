package outbox_test

import (
	"testing"

	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/outbox/outboxtest"
)

func TestMemoryQueue(t *testing.T) {
	t.Parallel()
	outboxtest.Run(t, func(*testing.T) outbox.Queue { return outbox.NewMemoryQueue() })
}
