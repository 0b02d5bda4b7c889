package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
)

// agent is one client of latchd with its own address: latchd runs with
// --trust-proxy and each agent sends its own X-Forwarded-For, so that the
// per-IP throttles (10 mail requests an hour) count each agent apart, as
// they would count real users.
type agent struct {
	base string
	ip   string
	hc   *http.Client
}

var agentSeq atomic.Uint32

func newAgent(base string) *agent {
	n := agentSeq.Add(1)
	// A long timeout: with password hashing bounded, a burst of sign-ups
	// queues for hashing slots, and a loaded machine makes the queue slow.
	return &agent{base: base, ip: fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255), hc: &http.Client{
		Timeout:       5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do is one JSON request; a transport error (latchd killed) is returned,
// not fatal.
func (a *agent) do(method, path string, body any, bearer string) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", a.ip)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out, nil
}

// must is do that fails the test on a transport error.
func (a *agent) must(t *testing.T, method, path string, body any, bearer string) (int, map[string]any) {
	t.Helper()
	st, out, err := a.do(method, path, body, bearer)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return st, out
}

// outboxLinks reads the dev outbox and returns, per recipient, the token
// of the newest link whose path contains part.
func outboxLinks(t *testing.T, base, part string) map[string]string {
	t.Helper()
	res, err := http.Get(base + "/api/dev/outbox")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var mails []outboxMail
	if err := json.NewDecoder(res.Body).Decode(&mails); err != nil {
		t.Fatalf("outbox: %v", err)
	}
	out := map[string]string{}
	for _, m := range mails { // newest first
		if _, seen := out[m.To]; seen {
			continue
		}
		for _, l := range linkRE.FindAllString(m.Text, -1) {
			if strings.Contains(l, part) {
				out[m.To] = lastSegment(l)
				break
			}
		}
	}
	return out
}

// resetUser is an account of TestKillDuringResets.
type resetUser struct {
	email    string
	a        *agent
	sessions []string
	token    string
	answered int // status of the reset in the burst; 0: no answer
}

const (
	oldPassword = "the old password 1"
	newPassword = "the new password 2"
)

// TestKillDuringResets sends SIGKILL to latchd in the middle of a burst of
// concurrent password resets, starts it again on the same database, and
// checks every account: the reset happened entirely (the new password
// signs in, the old one does not, every old session is dead, the link is
// used up) or not at all (the old password signs in, the new one does not,
// the old sessions are alive, and the link still works, once). That holds
// on PostgreSQL + Redis too, where no transaction spans the two: the
// password, the user's sessions-valid-from time and the link's use commit
// together in PostgreSQL. Nothing else is allowed: not a used link beside
// the old password, not a new password beside a live old session, not a
// reset answered 200 that did not happen.
func TestKillDuringResets(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		killDuringResets(t)
	})
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		redisURL, prefix := testenv.Redis(t)
		t.Cleanup(func() { deleteKeys(t, redisURL, prefix) })
		killDuringResets(t, "LATCH_DATABASE_URL="+testenv.Postgres(t), "LATCH_REDIS_URL="+redisURL, "LATCH_REDIS_PREFIX="+prefix)
	})
}

func killDuringResets(t *testing.T, env ...string) {
	const n = 60
	dir := t.TempDir()
	// The burst of 60 sign-ups waits for hashing slots as long as it
	// takes: this test is about the resets, on a machine that may be slow.
	env = append(env, "LATCH_TRUST_PROXY=true", "LATCH_LOG_LEVEL=warn", "LATCH_MIGRATE=true", "LATCH_HASH_WAIT=10m")
	s := start(t, dir, env...)

	users := make([]*resetUser, n)
	var wg sync.WaitGroup
	for i := range users {
		u := &resetUser{email: fmt.Sprintf("kill%d-%s@example.com", i, testenv.Suffix()), a: newAgent(s.url)}
		users[i] = u
		wg.Go(func() {
			st, body, err := u.a.do("POST", "/api/auth/sign-up", map[string]string{"email": u.email, "password": oldPassword}, "")
			if err != nil || st != 201 {
				t.Errorf("sign-up %s: %d %v %v", u.email, st, body, err)
				return
			}
			u.sessions = append(u.sessions, str(body, "token"))
			st, body, err = u.a.do("POST", "/api/auth/sign-in", map[string]string{"email": u.email, "password": oldPassword}, "")
			if err != nil || st != 200 {
				t.Errorf("sign-in %s: %d %v %v", u.email, st, body, err)
				return
			}
			u.sessions = append(u.sessions, str(body, "token"))
			if st, _, err := u.a.do("POST", "/api/auth/password-reset", map[string]string{"email": u.email}, ""); err != nil || st != 202 {
				t.Errorf("reset request %s: %d %v", u.email, st, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for try := 0; ; try++ { // the mail goes out off the request path
		links := outboxLinks(t, s.url, "/password-reset/")
		missing := 0
		for _, u := range users {
			if u.token = links[u.email]; u.token == "" {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if try == 500 {
			t.Fatalf("%d reset mails missing from the outbox", missing)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The burst: every reset at once; the kill once a quarter of them
	// have been answered, so that the rest are in flight or queued.
	var answered atomic.Int32
	killed := make(chan struct{})
	var once sync.Once
	kill := func() {
		once.Do(func() {
			_ = s.cmd.Process.Kill()
			close(killed)
		})
	}
	for _, u := range users {
		wg.Go(func() {
			st, _, err := u.a.do("POST", "/api/auth/password-reset/"+u.token, map[string]string{"password": newPassword}, "")
			if err == nil {
				u.answered = st
				if answered.Add(1) == n/4 {
					kill()
				}
			}
		})
	}
	wg.Wait()
	kill() // in case the burst finished first
	<-s.done
	lost := 0
	for _, u := range users {
		if u.answered == 0 {
			lost++
		}
	}
	t.Logf("killed latchd with %d of %d resets answered", n-lost, n)
	if lost == 0 {
		t.Log("every reset was answered before the kill: this run proves only the restart")
	}

	s = start(t, dir, env...)
	outcomes := map[string]int{}
	for _, u := range users {
		u.a.base = s.url
		outcomes[checkAccount(t, u)]++
	}
	t.Logf("outcomes after the restart: %v", outcomes)
	s.stop(t)
}

// checkAccount classifies one account after the restart and fails the test
// on an unsafe state. It returns the outcome's name.
func checkAccount(t *testing.T, u *resetUser) string {
	t.Helper()
	signIn := func(pw string) bool {
		st, _ := u.a.must(t, "POST", "/api/auth/sign-in", map[string]string{"email": u.email, "password": pw}, "")
		return st == 200
	}
	newOK, oldOK := signIn(newPassword), signIn(oldPassword)
	alive := 0
	for _, tok := range u.sessions {
		if st, _ := u.a.must(t, "GET", "/api/auth/session", nil, tok); st == 200 {
			alive++
		}
	}
	// Last, as it changes the account: is the link still usable?
	st, _ := u.a.must(t, "POST", "/api/auth/password-reset/"+u.token, map[string]string{"password": "the third password"}, "")
	linkOK := st == 200

	switch {
	case newOK && !oldOK && alive == 0 && !linkOK:
		return "reset"
	case oldOK && !newOK && alive == len(u.sessions) && linkOK && u.answered != 200:
		return "untouched"
	}
	t.Errorf("%s (reset answered %d): new password %v, old password %v, %d of %d old sessions alive, link usable %v",
		u.email, u.answered, newOK, oldOK, alive, len(u.sessions), linkOK)
	return "inconsistent"
}
