package redis

import (
	"context"
	"net/url"
	"testing"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/storetest"
)

// TestServerAway cuts the connection to Redis (through a proxy, so the
// shared server keeps running) and gives it back: calls fail with an
// outage error, nothing is half-written, and the client recovers.
func TestServerAway(t *testing.T) {
	t.Parallel()
	raw, prefix := testenv.Redis(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if u.Port() == "" {
		host += ":6379"
	}
	p := testenv.NewProxy(t, host)
	u.Host = p.Addr()
	s, err := Open(u.String(), Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = s.scan(ctx, globEscape(prefix)+"*", func(ctx context.Context, keys []string) error {
			return s.client.Del(ctx, keys...).Err()
		})
		_ = s.Close()
	})
	mem := memory.New()
	storetest.RunFaults(t, storetest.Fault{
		Stores:  storetest.Stores{Users: mem, Keys: mem, Sessions: s, Tokens: s},
		Cut:     p.Cut,
		Restore: p.Restore,
	})
}
