package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
)

// TestKillDuringPasswordChanges sends SIGKILL to latchd (SQLite, SMTP
// outbox) in the middle of a burst of concurrent password changes, starts
// it again on the same database, and checks every account: the password
// changed and the owner got the notice with its undo link, or neither
// (issue 17: the notice is queued in the change's transaction). A change
// without its notice, or a notice of a change that did not happen, fails
// the test; so does a change answered 200 that did not happen.
func TestKillDuringPasswordChanges(t *testing.T) {
	t.Parallel()
	const n = 24
	m := newMailServer(t)
	dir := t.TempDir()
	env := outboxEnv(m, "LATCH_HASH_WAIT=10m")
	s := start(t, dir, env...)

	type account struct {
		email, token string
		a            *agent
		answered     int // status of the change in the burst; 0: no answer
	}
	accounts := make([]*account, n)
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4) // password hashing is slow on a shared machine
	for i := range accounts {
		u := &account{email: fmt.Sprintf("notice%d-%s@example.com", i, testenv.Suffix()), a: newAgent(s.url)}
		accounts[i] = u
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			st, body, err := u.a.do("POST", "/api/auth/sign-up", map[string]string{"email": u.email, "password": oldPassword}, "")
			if err != nil || st != 201 {
				t.Errorf("sign-up %s: %d %v %v", u.email, st, body, err)
				return
			}
			u.token = str(body, "token")
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// The burst: every change at once; the kill once a quarter of them
	// have been answered, so that the rest are in flight or waiting.
	var answered atomic.Int32
	killed := make(chan struct{})
	var once sync.Once
	kill := func() {
		once.Do(func() {
			_ = s.cmd.Process.Kill()
			close(killed)
		})
	}
	for _, u := range accounts {
		wg.Go(func() {
			st, _, err := u.a.do("POST", "/api/auth/password", map[string]string{"currentPassword": oldPassword, "newPassword": newPassword}, u.token)
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
	t.Logf("killed latchd with %d of %d password changes answered", answered.Load(), n)

	s = start(t, dir, env...)
	defer s.stop(t)
	changed := map[string]bool{}
	for _, u := range accounts {
		u.a.base = s.url
		stNew, _ := u.a.must(t, "POST", "/api/auth/sign-in", map[string]string{"email": u.email, "password": newPassword}, "")
		stOld, _ := u.a.must(t, "POST", "/api/auth/sign-in", map[string]string{"email": u.email, "password": oldPassword}, "")
		switch {
		case stNew == 200 && stOld != 200:
			changed[u.email] = true
		case stOld == 200 && stNew != 200 && u.answered != 200:
		default:
			t.Errorf("%s (change answered %d): new password %d, old password %d", u.email, u.answered, stNew, stOld)
		}
	}

	// Every mail queued is delivered by the instance started again: wait
	// until no mail is pending, then compare the notices with the changes.
	db, err := sql.Open("sqlite", filepath.Join(dir, "latch.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for {
		var pending int
		if err := db.QueryRow("SELECT count(*) FROM latch_outbox WHERE kind = 'mail' AND state = 0").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if t.Context().Err() != nil {
			t.Fatalf("%d mails still pending; the queue: %s", pending, outboxSummary(t, db))
		}
		time.Sleep(20 * time.Millisecond)
	}
	notices := m.mailedAbout("password was changed")
	for _, u := range accounts {
		if got := notices[u.email] > 0; got != changed[u.email] {
			t.Errorf("%s: password changed %v, notice mailed %v", u.email, changed[u.email], got)
		}
	}
	t.Logf("after the restart: %d of %d passwords changed, %d notices", len(changed), n, len(notices))
}
