package postgres_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/storetest"
)

// TestServerAway cuts the connection to PostgreSQL (through a proxy, so the
// shared server keeps running) and gives it back: calls fail with an
// outage error, nothing is half-written, and the pool recovers.
func TestServerAway(t *testing.T) {
	t.Parallel()
	raw := testenv.Postgres(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.NewProxy(t, u.Host)
	u.Host = p.Addr()
	s := openUnmigrated(t, u.String())
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	storetest.RunFaults(t, storetest.Fault{
		Stores:   storetest.Stores{Users: s, Keys: s, Sessions: s, Tokens: s},
		Cut:      p.Cut,
		Restore:  p.Restore,
		UsersCut: true,
	})
}
