package authapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/throttle"
)

// burst sends n simultaneous requests and counts the answers by status.
func burst(n int, do func(i int) *response) map[int]int {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := do(i)
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

var burstHasher = password.Argon2id{Memory: 1024, Time: 1}

// TestSignInIPBurst: 80 simultaneous guesses from one IP, each at another
// address, get at most the IP's allowance of 50 password checks, the rest
// 429 — in one process, and across two processes sharing Redis.
func TestSignInIPBurst(t *testing.T) {
	t.Parallel()
	// Each guess costs a 1 MiB Argon2id, enough for the guesses to overlap;
	// HashWait is long so that no guess is turned away for want of a
	// hashing slot.
	guess := func(e *env, i int) *response {
		return e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": fmt.Sprintf("spray%d@example.com", i), "password": "wrong password"})
	}
	check := func(t *testing.T, statuses map[int]int) {
		t.Helper()
		if statuses[http.StatusUnauthorized] > 50 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 80 {
			t.Errorf("80 simultaneous guesses from one IP: statuses %v, want at most 50×401 and the rest 429", statuses)
		}
	}
	t.Run("one process", func(t *testing.T) {
		t.Parallel()
		e := newSplitEnv(t, latch.Config{Store: stores[0].open(t), PasswordHasher: burstHasher}, func(c *authapi.Config) { c.HashWait = 10 * time.Minute })
		check(t, burst(80, func(i int) *response { return guess(e, i) }))
	})
	t.Run("two processes on Redis", func(t *testing.T) {
		t.Parallel()
		url, prefix := testenv.Redis(t)
		var es []*env
		for range 2 {
			rs, err := redis.Open(url, redis.Options{Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rs.Close() })
			es = append(es, newSplitEnv(t, latch.Config{Store: stores[0].open(t), PasswordHasher: burstHasher}, func(c *authapi.Config) {
				c.ThrottleStore, c.HashWait = rs, 10*time.Minute
			}))
		}
		check(t, burst(80, func(i int) *response { return guess(es[i%2], i) }))
	})
}

// TestSignInIPSuccessesFree: people signing in successfully from one IP do
// not use up its allowance; their successes are given back.
func TestSignInIPSuccessesFree(t *testing.T) {
	t.Parallel()
	e := newEnv(t, stores[0].open(t), func(c *authapi.Config) {
		l, err := throttle.New(nil, throttle.Options{Free: 2, Base: time.Hour, Max: time.Hour, Window: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		c.IPThrottle = l
	})
	e.signUp("office@example.com", pw)
	for range 6 {
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "office@example.com", "password": pw}).want(t, http.StatusOK, "")
	}
	for range 3 { // 2 free and the one that takes the lock
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "stranger@example.com", "password": "wrong password"}).want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "office@example.com", "password": pw}).want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
}

// retryAfter is a 429's Retry-After.
func retryAfter(t *testing.T, r *response) time.Duration {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	return time.Duration(n) * time.Second
}

// TestSignInLockAfterDay: the per-address back-off does not forget while
// failures go on, so 100 wrong passwords take most of a day; the 100th
// locks password sign-in (the right password too) for good, and a magic
// link opens the account and lifts the lock.
func TestSignInLockAfterDay(t *testing.T) {
	t.Parallel()
	// A cheap hash: the test is about the throttle, and makes 100 checks.
	e := newSplitEnv(t, latch.Config{Store: stores[0].open(t), PasswordHasher: password.Argon2id{Memory: 64, Time: 1}}, nil)
	owner, _ := e.signUp("target@example.com", pw)
	bad := map[string]string{"email": "target@example.com", "password": "wrong password"}
	start := e.clock.Now()
	failures := 0
	for failures < 100 {
		r := e.api().do("POST", "/api/auth/sign-in", bad)
		switch r.status {
		case http.StatusUnauthorized:
			failures++
		case http.StatusTooManyRequests:
			if r.code() != "TOO_MANY_REQUESTS" {
				t.Fatalf("after %d failures: %d %s", failures, r.status, r.raw)
			}
			e.clock.Advance(retryAfter(t, r))
		default:
			t.Fatalf("after %d failures: %d %s", failures, r.status, r.raw)
		}
	}
	if took := e.clock.Now().Sub(start); took < 20*time.Hour {
		t.Errorf("100 failures took %v of the clock, want about a day", took)
	}
	good := map[string]string{"email": "target@example.com", "password": pw}
	for _, wait := range []time.Duration{0, time.Hour, 48 * time.Hour} {
		e.clock.Advance(wait)
		e.api().do("POST", "/api/auth/sign-in", good).want(t, http.StatusTooManyRequests, "PASSWORD_SIGN_IN_LOCKED")
	}
	e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "target@example.com"}).want(t, http.StatusAccepted, "")
	link := linkIn(t, e.mailTo("target@example.com", "Sign in", 1), "/magic-link/")
	// The owner opens it in the browser they signed up with (a link opened
	// elsewhere would claim the unverified account, password removed).
	if r := owner.clickMagicLink(link); cookie(r, "auth_session") == nil {
		t.Fatalf("magic link while locked: %d %v", r.status, r.header)
	}
	e.api().do("POST", "/api/auth/sign-in", good).want(t, http.StatusOK, "")
}

// TestSignInLockLiftedByReset: a password reset lifts the lock too.
func TestSignInLockLiftedByReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t, stores[0].open(t), func(c *authapi.Config) {
		l, err := throttle.New(nil, throttle.Options{Free: 100, Window: time.Hour, LockAfter: 3})
		if err != nil {
			t.Fatal(err)
		}
		c.EmailThrottle = l
	})
	e.signUp("reset@example.com", pw)
	for range 3 {
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "reset@example.com", "password": "wrong password"}).want(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "reset@example.com", "password": pw}).want(t, http.StatusTooManyRequests, "PASSWORD_SIGN_IN_LOCKED")
	e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "reset@example.com"}).want(t, http.StatusAccepted, "")
	link := linkIn(t, e.mailTo("reset@example.com", "password", 1), "/password-reset/")
	const newPW = "a brand new password"
	e.browser().do("POST", "/api/auth"+link, map[string]string{"password": newPW}).want(t, http.StatusOK, "")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "reset@example.com", "password": newPW}).want(t, http.StatusOK, "")
}

// countingHasher counts hashes and, when gate is set, holds each hash
// until gate is closed, announcing it on entered.
type countingHasher struct {
	latch.PasswordHasher
	hashes  atomic.Int64
	entered chan struct{}
	gate    chan struct{}
}

func (c *countingHasher) Hash(pw string) (string, error) {
	c.hashes.Add(1)
	if c.gate != nil {
		c.entered <- struct{}{}
		<-c.gate
	}
	return c.PasswordHasher.Hash(pw)
}

// TestSignUpTakenAddress: a taken address is answered 409 without hashing
// the password, and every sign-up attempt of an IP counts against its
// throttle, 409s included.
func TestSignUpTakenAddress(t *testing.T) {
	t.Parallel()
	h := &countingHasher{PasswordHasher: password.Argon2id{}}
	e := newSplitEnv(t, latch.Config{Store: stores[0].open(t), PasswordHasher: h}, nil)
	e.signUp("taken@example.com", pw)
	if n := h.hashes.Load(); n != 1 {
		t.Fatalf("one sign-up: %d hashes", n)
	}
	probes := 0
	for {
		r := e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": "taken@example.com", "password": "another password"})
		if r.status == http.StatusTooManyRequests {
			r.want(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
			break
		}
		r.want(t, http.StatusConflict, "USER_ALREADY_EXISTS")
		if probes++; probes > 20 {
			t.Fatal("sign-up probes of one IP are not throttled")
		}
	}
	if n := h.hashes.Load(); n != 1 {
		t.Errorf("%d probes of a taken address hashed %d passwords", probes, n-1)
	}
}

// TestHashGate: with every hashing slot taken, a sign-in waits at most
// HashWait and then gets 503 SERVER_BUSY with Retry-After; once the slot
// is free, requests go through again.
func TestHashGate(t *testing.T) {
	t.Parallel()
	h := &countingHasher{PasswordHasher: password.Argon2id{}, entered: make(chan struct{}), gate: make(chan struct{})}
	e := newSplitEnv(t, latch.Config{Store: stores[0].open(t), PasswordHasher: h}, func(c *authapi.Config) {
		c.MaxConcurrentHashes, c.HashWait = 1, time.Millisecond
	})
	done := make(chan *response)
	go func() {
		done <- e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": "first@example.com", "password": pw})
	}()
	<-h.entered // the sign-up holds the only slot
	r := e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "first@example.com", "password": pw}).want(t, http.StatusServiceUnavailable, "SERVER_BUSY")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 SERVER_BUSY without Retry-After")
	}
	close(h.gate)
	(<-done).want(t, http.StatusCreated, "")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "first@example.com", "password": pw}).want(t, http.StatusOK, "")
}

// TestMagicLinkPerUserLimit: requests from many addresses cannot flood one
// mailbox with magic links: per user, 10 an hour go out (and one more
// that starts the back-off), as reset links have their own limit.
func TestMagicLinkPerUserLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, stores[0].open(t), func(c *authapi.Config) {
		c.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-IP") }
	})
	e.signUp("flood@example.com", pw)
	for i := range 30 {
		e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": "flood@example.com"}, "X-Test-IP", fmt.Sprintf("198.51.100.%d", i)).want(t, http.StatusAccepted, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.h.Close(ctx); err != nil { // every queued mail sent or dropped
		t.Fatal(err)
	}
	links := 0
	for _, m := range e.outbox.Messages() {
		if m.To == "flood@example.com" && strings.Contains(m.Subject, "Sign in") {
			links++
		}
	}
	if links != 11 {
		t.Errorf("30 magic-link requests from 30 addresses sent %d links, want 11", links)
	}
}
