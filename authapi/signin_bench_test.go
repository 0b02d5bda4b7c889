package authapi_test

import (
	"testing"
	"time"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/sqlite"
)

// BenchmarkSignInThrottle: a right password sign-in on SQLite, with the
// throttle counts (per address and per IP: an attempt counted before the
// check, a reset after it) in the process's memory, and in the
// database's latch_throttle table, as latchd keeps them without Redis. The
// two run in turn with -count; compare their ns/op:
//
//	go test -run '^$' -bench SignInThrottle -benchtime 40x -count 6 ./authapi
func BenchmarkSignInThrottle(b *testing.B) {
	for _, c := range []struct {
		name string
		sql  bool
	}{{"memory", false}, {"sqlite", true}} {
		b.Run(c.name, func(b *testing.B) {
			st := stores[1].open(b).(*sqlite.Store)
			e := newEnv(b, st, func(cfg *authapi.Config) {
				if c.sql {
					cfg.ThrottleStore = st.ThrottleStore(time.Now)
				}
			})
			creds := map[string]string{"email": "bench@example.com", "password": pw}
			e.api().do("POST", "/api/auth/sign-up", creds).want(b, 201, "")
			for b.Loop() {
				e.api().do("POST", "/api/auth/sign-in", creds).want(b, 200, "")
			}
		})
	}
}
