package mysql_test

import (
	"context"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/storetest"
)

// TestServerAway cuts the connection to MariaDB (through a proxy, so the
// shared server keeps running) and gives it back: calls fail with an
// outage error, nothing is half-written, and the pool recovers.
func TestServerAway(t *testing.T) {
	t.Parallel()
	cfg, err := mysqldriver.ParseDSN(testenv.MySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.NewProxy(t, cfg.Addr)
	cfg.Addr = p.Addr()
	s, err := mysql.Open(context.Background(), cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
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
