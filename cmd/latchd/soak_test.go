package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
)

// The soak: TestSoak runs mixed traffic against a real latchd over
// loopback at a steady rate for LATCH_SOAK (a Go duration; unset: the
// test is skipped), on SQLite and on PostgreSQL + Redis at once.
//
//	LATCH_SOAK=30s go test -run TestSoak -v ./cmd/latchd   # as CI runs it
//	LATCH_SOAK=5m  go test -run TestSoak -v -timeout 30m ./cmd/latchd
//
// LATCH_SOAK_RATE sets the requests per second per backend (default 40).
// Each worker plays one new user after another: sign-up, session checks,
// the verification link, sign-in, a magic link, a password reset, sign-in
// with the new password, sign-out; every fourth user uses each link twice
// at once. A ledger records every link latchd mailed and every use of it.
// The test fails on any 5xx, on a lost token (a link used once that did
// not work) or a doubly consumed one (two successes on one link), and when
// latchd's goroutines or heap, read from --debug-addr after a GC, grew from
// the first minute (or first quarter of a shorter run) to the end.

const soakWorkers = 12

func soakSettings(t *testing.T) (time.Duration, int) {
	raw := os.Getenv("LATCH_SOAK")
	if raw == "" {
		t.Skip("skipping the soak: set LATCH_SOAK to a duration to run it (CI: LATCH_SOAK=30s; by hand: LATCH_SOAK=5m)")
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		t.Fatalf("LATCH_SOAK=%q: want a positive Go duration such as 30s or 5m", raw)
	}
	rate := 40
	if r := os.Getenv("LATCH_SOAK_RATE"); r != "" {
		if rate, err = strconv.Atoi(r); err != nil || rate <= 0 {
			t.Fatalf("LATCH_SOAK_RATE=%q: want requests per second", r)
		}
	}
	return d, rate
}

func TestSoak(t *testing.T) {
	d, rate := soakSettings(t)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		soak(t, d, rate)
	})
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		redisURL, prefix := testenv.Redis(t)
		t.Cleanup(func() { deleteKeys(t, redisURL, prefix) })
		soak(t, d, rate, "LATCH_DATABASE_URL="+testenv.Postgres(t), "LATCH_REDIS_URL="+redisURL, "LATCH_REDIS_PREFIX="+prefix)
	})
}

// soakRun is one soak's shared state: the pace, the counts and the ledger.
type soakRun struct {
	t      *testing.T
	base   string
	pace   <-chan time.Time
	mail   *mailWatch
	reqs   atomic.Int64
	mu     sync.Mutex
	status map[string]int // "route status" → count
	errs   []string       // the first server errors, for the report
	nErr   int
	ledger map[string]*ledgerEntry
}

// ledgerEntry is one link latchd mailed and what its uses answered.
type ledgerEntry struct {
	kind                string
	uses, wins, refusal int
}

// serverError records a 5xx or a transport error.
func (r *soakRun) serverError(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nErr++
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
}

// req is one paced request; it counts the answer and any server error.
func (r *soakRun) req(a *agent, route, method, path string, body any, bearer string) (int, map[string]any) {
	<-r.pace
	r.reqs.Add(1)
	st, out, err := a.do(method, path, body, bearer)
	r.mu.Lock()
	r.status[fmt.Sprintf("%s %d", route, st)]++
	r.mu.Unlock()
	if err != nil || st >= 500 {
		r.serverError("%s: %d %v %v", route, st, out, err)
	}
	return st, out
}

// use consumes one ledger token once, or twice at once; it records the
// outcome and returns how many uses succeeded.
func (r *soakRun) use(kind, token string, twice bool, once func() bool) int {
	r.mu.Lock()
	e := r.ledger[kind+" "+token]
	if e == nil {
		e = &ledgerEntry{kind: kind}
		r.ledger[kind+" "+token] = e
	}
	r.mu.Unlock()
	n := 1
	if twice {
		n = 2
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if once() {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	r.mu.Lock()
	e.uses += n
	e.wins += int(wins.Load())
	e.refusal += n - int(wins.Load())
	r.mu.Unlock()
	return int(wins.Load())
}

// mailWatch reads the dev outbox for every worker (one poller, not one per
// worker: the outbox answers with up to 200 mails) and hands each link to
// the worker waiting for it.
type mailWatch struct {
	base string
	mu   sync.Mutex
	seen map[string][]string // recipient → link tokens, oldest first, by kind "part"
}

func (m *mailWatch) poll(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		res, err := http.Get(m.base + "/api/dev/outbox")
		if err != nil {
			continue
		}
		var mails []outboxMail
		_ = json.NewDecoder(res.Body).Decode(&mails)
		res.Body.Close()
		m.mu.Lock()
		for i := len(mails) - 1; i >= 0; i-- {
			for _, l := range linkRE.FindAllString(mails[i].Text, -1) {
				for _, part := range []string{"/email-verification/", "/magic-link/", "/password-reset/"} {
					if strings.Contains(l, part) {
						k := mails[i].To + " " + part
						tok := lastSegment(l)
						if !contains(m.seen[k], tok) {
							m.seen[k] = append(m.seen[k], tok)
						}
					}
				}
			}
		}
		m.mu.Unlock()
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// wait returns the first link of the kind mailed to the address, or "" if
// none came within a minute (a lost mail, which the test reports).
func (m *mailWatch) wait(to, part string) string {
	for range 1200 {
		m.mu.Lock()
		l := m.seen[to+" "+part]
		m.mu.Unlock()
		if len(l) > 0 {
			return l[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ""
}

// debugSample is what --debug-addr reports, after a GC.
type debugSample struct {
	Goroutines int `json:"goroutines"`
	MemStats   struct {
		HeapAlloc uint64 `json:"HeapAlloc"`
		HeapInuse uint64 `json:"HeapInuse"`
		Sys       uint64 `json:"Sys"`
	} `json:"memstats"`
}

func sample(t *testing.T, u string) debugSample {
	t.Helper()
	res, err := http.Get(u + "?gc=1")
	if err != nil {
		t.Fatalf("debug vars: %v", err)
	}
	defer res.Body.Close()
	var s debugSample
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		t.Fatalf("debug vars: %v", err)
	}
	return s
}

func soak(t *testing.T, d time.Duration, rate int, env ...string) {
	dir := t.TempDir()
	env = append(env, "LATCH_TRUST_PROXY=true", "LATCH_LOG_LEVEL=warn", "LATCH_MIGRATE=true", "LATCH_DEBUG_ADDR=127.0.0.1:0")
	s := start(t, dir, env...)
	var debugURL string
	for _, line := range strings.Split(s.stdout.String(), "\n") {
		if u, ok := strings.CutPrefix(line, "Debug variables: "); ok {
			debugURL = u
		}
	}
	if debugURL == "" {
		t.Fatalf("latchd printed no debug URL:\n%s", s.stdout)
	}

	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	r := &soakRun{t: t, base: s.url, pace: tick.C, status: map[string]int{}, ledger: map[string]*ledgerEntry{},
		mail: &mailWatch{base: s.url, seen: map[string][]string{}}}
	stopMail := make(chan struct{})
	mailDone := make(chan struct{})
	go func() { r.mail.poll(stopMail); close(mailDone) }()

	begin := time.Now()
	end := begin.Add(d)
	var users atomic.Int64
	var wg sync.WaitGroup
	// gate lets the baseline be taken idle, as the end is: the workers
	// hold it shared for each user; the baseline takes it whole.
	var gate sync.RWMutex
	for w := range soakWorkers {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				gate.RLock()
				r.user(fmt.Sprintf("soak%d-%d-%s@example.com", w, i, testenv.Suffix()), i%4 == 0)
				gate.RUnlock()
				users.Add(1)
			}
		})
	}
	// The baseline: after the first minute, or the first quarter of a
	// shorter run, with the workers paused between two users.
	warm := min(time.Minute, d/4)
	time.Sleep(warm)
	gate.Lock()
	http.DefaultClient.CloseIdleConnections()
	first := sample(t, debugURL)
	firstReqs := r.reqs.Load()
	gate.Unlock()
	t.Logf("after %v: %d requests, goroutines %d, heap %.1f MiB", warm, firstReqs, first.Goroutines, mib(first.MemStats.HeapAlloc))
	wg.Wait()
	took := time.Since(begin)
	close(stopMail)
	<-mailDone
	http.DefaultClient.CloseIdleConnections() // as at the baseline
	last := sample(t, debugURL)

	total := r.reqs.Load()
	var lost, double, unused int
	kinds := map[string]int{}
	for k, e := range r.ledger {
		kinds[e.kind]++
		switch {
		case e.uses == 0:
			unused++
		case e.wins == 0:
			lost++
			t.Errorf("lost token: %s, %d uses, none worked", k, e.uses)
		case e.wins > 1:
			double++
			t.Errorf("doubly consumed token: %s, %d successes", k, e.wins)
		}
	}
	var routes []string
	for k, v := range r.status {
		routes = append(routes, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(routes)
	t.Logf("soak %v at %d req/s target: %d users, %d requests (%.1f/s), %d server errors; tokens %v, %d lost, %d doubly consumed, %d never used",
		took.Round(time.Second), rate, users.Load(), total, float64(total)/took.Seconds(), r.nErr, kinds, lost, double, unused)
	t.Logf("answers: %s", strings.Join(routes, ", "))
	t.Logf("goroutines %d → %d, heap %.1f → %.1f MiB (after GC), sys %.1f → %.1f MiB",
		first.Goroutines, last.Goroutines, mib(first.MemStats.HeapAlloc), mib(last.MemStats.HeapAlloc), mib(first.MemStats.Sys), mib(last.MemStats.Sys))
	if r.nErr > 0 {
		t.Errorf("%d server errors (5xx or broken connections), first ones: %s", r.nErr, strings.Join(r.errs, "; "))
	}
	// Tolerances: both samples are idle and after a GC, so a leak of one
	// goroutine per user, or a heap that grows with the traffic, shows;
	// connection pools and caches may settle a little higher.
	if last.Goroutines > first.Goroutines+10 {
		t.Errorf("goroutines grew from %d to %d", first.Goroutines, last.Goroutines)
	}
	if limit := first.MemStats.HeapAlloc + first.MemStats.HeapAlloc/2 + 8<<20; last.MemStats.HeapAlloc > limit {
		t.Errorf("heap grew from %.1f to %.1f MiB (limit %.1f)", mib(first.MemStats.HeapAlloc), mib(last.MemStats.HeapAlloc), mib(limit))
	}
	s.stop(t)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// user plays one user's life; twice: use each link twice at once.
func (r *soakRun) user(email string, twice bool) {
	t := r.t
	a := newAgent(r.base)
	const pw1, pw2 = "soak password one", "soak password two"
	bad := func(what string, st int, body map[string]any) {
		if st < 500 && st != 0 { // 5xx are counted already
			t.Errorf("%s %s: %d %v", email, what, st, body)
		}
	}
	st, body := r.req(a, "sign-up", "POST", "/api/auth/sign-up", map[string]string{"email": email, "password": pw1}, "")
	if st != 201 {
		bad("sign-up", st, body)
		return
	}
	s1 := str(body, "token")
	for range 2 {
		if st, body := r.req(a, "session", "GET", "/api/auth/session", nil, s1); st != 200 {
			bad("session", st, body)
		}
	}
	if tok := r.mail.wait(email, "/email-verification/"); tok == "" {
		t.Errorf("%s: no verification mail", email)
	} else if wins := r.use("verification", tok, twice, func() bool {
		// The link verifies only for the account's own session (or with
		// its password): the soak uses it signed in, with the bearer token.
		st, _ := r.req(a, "verification link", "POST", "/api/auth/email-verification/verify-link", map[string]string{"token": tok}, s1)
		return st == 200
	}); wins != 1 {
		return // the ledger reports it
	}
	st, body = r.req(a, "sign-in", "POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw1}, "")
	if st != 200 {
		bad("sign-in", st, body)
		return
	}
	s2 := str(body, "token")
	if st, body := r.req(a, "session", "GET", "/api/auth/session", nil, s2); st != 200 {
		bad("session", st, body)
	}

	if st, body := r.req(a, "magic-link request", "POST", "/api/auth/magic-link", map[string]string{"email": email}, ""); st != 202 {
		bad("magic link request", st, body)
		return
	}
	if tok := r.mail.wait(email, "/magic-link/"); tok == "" {
		t.Errorf("%s: no magic link mail", email)
	} else {
		r.use("magic-link", tok, twice, func() bool {
			st, _ := r.req(a, "magic link", "POST", "/api/auth/magic-link/verify", map[string]string{"token": tok}, "")
			return st == http.StatusOK
		})
	}

	if st, body := r.req(a, "reset request", "POST", "/api/auth/password-reset", map[string]string{"email": email}, ""); st != 202 {
		bad("reset request", st, body)
		return
	}
	tok := r.mail.wait(email, "/password-reset/")
	if tok == "" {
		t.Errorf("%s: no reset mail", email)
		return
	}
	var s3 atomic.Value
	if wins := r.use("password-reset", tok, twice, func() bool {
		st, body := r.req(a, "reset", "POST", "/api/auth/password-reset/"+tok, map[string]string{"password": pw2}, "")
		switch {
		case st == 200:
			s3.Store(str(body, "token"))
			return true
		case st == 400 && str(body, "error", "code") == "INVALID_TOKEN":
		default:
			bad("reset", st, body)
		}
		return false
	}); wins != 1 {
		return
	}
	for _, old := range []string{s1, s2} {
		if st, body := r.req(a, "session", "GET", "/api/auth/session", nil, old); st != 401 {
			bad("old session after the reset", st, body)
		}
	}
	if st, body := r.req(a, "sign-in", "POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw2}, ""); st != 200 {
		bad("sign-in with the new password", st, body)
	}
	s4, _ := s3.Load().(string)
	if st, body := r.req(a, "session", "GET", "/api/auth/session", nil, s4); st != 200 {
		bad("session after the reset", st, body)
	}
	if st, body := r.req(a, "sign-out", "POST", "/api/auth/sign-out", nil, s4); st != 204 {
		bad("sign-out", st, body)
	}
}
