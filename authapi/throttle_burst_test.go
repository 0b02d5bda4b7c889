package authapi_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/authapi"
)

// TestSignInBurst: 60 simultaneous wrong guesses at one account get as many
// password checks as guesses made one by one (5 free and 1 more), the rest
// 429; then the right password is refused too until the lock ends.
func TestSignInBurst(t *testing.T) {
	// The 6 checks share 2×GOMAXPROCS hashing slots; under -race on a
	// loaded machine one may wait past the default HashWait (10 s) and
	// answer 503, which is not what this test is about.
	e := newEnv(t, stores[0].open(t), func(c *authapi.Config) { c.HashWait = 10 * time.Minute })
	e.signUp("burst@example.com", pw)
	bad := map[string]string{"email": "burst@example.com", "password": "wrong password"}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	start := make(chan struct{})
	for range 60 {
		wg.Go(func() {
			<-start
			r := e.api().do("POST", "/api/auth/sign-in", bad)
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusUnauthorized] != 6 || statuses[http.StatusTooManyRequests] != 54 {
		t.Errorf("60 simultaneous wrong guesses: statuses %v, want 6×401 and 54×429", statuses)
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "burst@example.com", "password": pw}).want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
}
