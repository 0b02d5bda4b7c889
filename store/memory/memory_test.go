package memory_test

import (
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunStore(t, func(t *testing.T) latch.Store { return memory.New() })
}

// sessionView and tokenView present one Store under other types, so the
// suite takes sessions and tokens for a separate backend (as with Redis
// beside SQL) and checks latch.Auth's work across stores.
type (
	sessionView struct{ latch.SessionStore }
	tokenView   struct{ latch.TokenStore }
)

func TestConformanceSplit(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s := memory.New()
		return storetest.Stores{Users: s, Keys: s, Sessions: sessionView{s}, Tokens: tokenView{s}}
	})
}

func TestConformanceWithoutTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s := memory.New()
		return storetest.Stores{Users: s, Keys: s, Sessions: s}
	})
}
