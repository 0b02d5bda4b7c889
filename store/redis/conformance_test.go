package redis

import (
	"testing"

	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/storetest"
)

// TestConformance runs the shared store suite with sessions and tokens in
// Redis and users and keys in memory, the split a deployment makes with a
// SQL store. One Store serves every subtest: they use fresh random ids.
func TestConformance(t *testing.T) {
	s := openStore(t, Options{})
	mem := memory.New()
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		return storetest.Stores{Users: mem, Keys: mem, Sessions: s, Tokens: s}
	})
}
