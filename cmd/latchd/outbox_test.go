package main

import (
	"database/sql"
	"fmt"
	"io"
	"log"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/latchauth/latch/internal/testenv"
)

// mailServer is a real SMTP server in the test process that can be taken
// down (its port refuses connections) and brought up again on the same
// address. It counts the mails it accepted by Message-ID.
type mailServer struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	srv   *smtp.Server
	l     net.Listener
	byID  map[string]int    // Message-ID → deliveries
	toIDs map[string]string // Message-ID → recipient
	subj  map[string]string // Message-ID → subject
	bad   int               // mails without a Message-ID
}

var (
	messageIDRE = regexp.MustCompile(`(?im)^Message-Id:\s*<([^>\r\n]+)>`)
	subjectRE   = regexp.MustCompile(`(?im)^Subject:([^\r\n]*)`)
)

type mailSession struct{ m *mailServer }

func (mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (mailSession) Reset()                               {}
func (mailSession) Logout() error                        { return nil }
func (s mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	id := messageIDRE.FindStringSubmatch(string(b))
	if id == nil {
		s.m.bad++
		return nil
	}
	s.m.byID[id[1]]++
	if to := regexp.MustCompile(`(?im)^To:\s*<([^>\r\n]+)>`).FindStringSubmatch(string(b)); to != nil {
		s.m.toIDs[id[1]] = to[1]
	}
	if sub := subjectRE.FindStringSubmatch(string(b)); sub != nil {
		s.m.subj[id[1]] = strings.TrimSpace(sub[1])
	}
	return nil
}

func newMailServer(t *testing.T) *mailServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailServer{t: t, addr: l.Addr().String(), byID: map[string]int{}, toIDs: map[string]string{}, subj: map[string]string{}}
	m.serve(l)
	t.Cleanup(m.down)
	return m
}

func (m *mailServer) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return mailSession{m}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	m.mu.Lock()
	m.srv, m.l = srv, l
	m.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// down closes the listener: connections are refused.
func (m *mailServer) down() {
	m.mu.Lock()
	srv, l := m.srv, m.l
	m.srv, m.l = nil, nil
	m.mu.Unlock()
	if srv != nil {
		// Close the listener too: Serve may not have registered it yet,
		// and then srv.Close would leave it open.
		l.Close()
		srv.Close()
	}
}

// up listens again on the same address.
func (m *mailServer) up() {
	m.t.Helper()
	var l net.Listener
	var err error
	for range 100 { // the port may take a moment to be free again
		if l, err = net.Listen("tcp", m.addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		m.t.Fatalf("SMTP server up again on %s: %v", m.addr, err)
	}
	m.serve(l)
}

func (m *mailServer) url() string { return "smtp://" + m.addr + "?starttls=none" }

// counts returns the distinct Message-IDs received and how many arrived
// more than once.
func (m *mailServer) counts() (distinct, repeated int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.byID {
		if n > 1 {
			repeated += n - 1
		}
	}
	return len(m.byID), repeated
}

// mailedAbout returns, per recipient, how many distinct mails whose
// subject contains part arrived.
func (m *mailServer) mailedAbout(part string) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for id, s := range m.subj {
		if strings.Contains(s, part) {
			out[m.toIDs[id]]++
		}
	}
	return out
}

// waitDistinct waits until n distinct mails arrived; the test's deadline
// bounds it.
func (m *mailServer) waitDistinct(t *testing.T, n int) {
	t.Helper()
	for {
		if d, _ := m.counts(); d >= n {
			return
		}
		if t.Context().Err() != nil {
			d, _ := m.counts()
			t.Fatalf("the SMTP server got %d distinct mails, want %d", d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outboxEnv runs latchd with SMTP and retries fast enough for a test:
// a retry after 100 ms, doubling, 30 tries.
func outboxEnv(m *mailServer, extra ...string) []string {
	return append([]string{
		"LATCH_SMTP_URL=" + m.url(), "LATCH_TRUST_PROXY=true", "LATCH_LOG_LEVEL=error", "LATCH_MIGRATE=true",
		"LATCH_MAIL_RETRY=100ms", "LATCH_MAIL_MAX_ATTEMPTS=30", "LATCH_MAIL_TIMEOUT=2s", "LATCH_MAIL_LEASE=3s",
	}, extra...)
}

// signUp makes n accounts on the servers (round robin), each with its own
// agent, and returns their emails and agents.
func signUp(t *testing.T, bases []string, n int, tag string) ([]string, []*agent) {
	t.Helper()
	emails, agents := make([]string, n), make([]*agent, n)
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4) // password hashing is slow on a shared machine
	for i := range n {
		emails[i] = fmt.Sprintf("%s%d-%s@example.com", tag, i, testenv.Suffix())
		agents[i] = newAgent(bases[i%len(bases)])
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			if st, body, err := agents[i].do("POST", "/api/auth/sign-up", map[string]string{"email": emails[i], "password": oldPassword}, ""); err != nil || st != 201 {
				t.Errorf("sign-up %s: %d %v %v", emails[i], st, body, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return emails, agents
}

func requestReset(t *testing.T, a *agent, email string) {
	t.Helper()
	if st, body, err := a.do("POST", "/api/auth/password-reset", map[string]string{"email": email}, ""); err != nil || st != 202 {
		t.Errorf("reset %s: %d %v %v", email, st, body, err)
	}
}

// TestMailSurvivesSMTPOutage: the SMTP server is down while a steady
// stream of resets comes in, then up again: every mail arrives, none
// twice. The outage lasts about 3 s with the first retry after 100 ms, a
// hundredth of latchd's default 10 s: the same schedule of retries as a
// 5-minute outage with the defaults.
func TestMailSurvivesSMTPOutage(t *testing.T) {
	t.Parallel()
	m := newMailServer(t)
	s := start(t, t.TempDir(), outboxEnv(m)...)
	const users = 20
	emails, agents := signUp(t, []string{s.url}, users, "outage")
	m.waitDistinct(t, users) // the verification mails

	m.down()
	stream := time.NewTicker(50 * time.Millisecond) // 2 resets per user, 40 over 2 s
	for range 2 {
		for i := range users {
			<-stream.C
			requestReset(t, agents[i], emails[i])
		}
	}
	stream.Stop()
	time.Sleep(time.Second) // the outage goes on: retries only, nothing new
	if d, _ := m.counts(); d != users {
		t.Fatalf("%d mails arrived while SMTP was down, want only the %d before", d, users)
	}
	m.up()
	m.waitDistinct(t, 3*users)
	s.stop(t) // drains the workers: a repeat would have come by now
	distinct, repeated := m.counts()
	if distinct != 3*users || repeated != 0 || m.bad != 0 {
		t.Errorf("%d distinct mails, %d repeats, %d without Message-ID; want %d, 0, 0", distinct, repeated, m.bad, 3*users)
	}
	perUser := map[string]int{}
	m.mu.Lock()
	for _, to := range m.toIDs {
		perUser[to]++
	}
	m.mu.Unlock()
	for _, e := range emails {
		if perUser[e] != 3 {
			t.Errorf("%s got %d mails, want 3 (verification, 2 resets)", e, perUser[e])
		}
	}
}

// TestMailSurvivesSIGKILL: 200 mails queued while SMTP is down, latchd
// killed with SIGKILL, SMTP up, latchd started again: all 200 arrive.
func TestMailSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	m := newMailServer(t)
	m.down()
	dir := t.TempDir()
	env := outboxEnv(m)
	s := start(t, dir, env...)
	const users, mails = 50, 200 // a verification mail and 3 resets each
	emails, agents := signUp(t, []string{s.url}, users, "kill")
	for range 3 {
		for i := range users {
			requestReset(t, agents[i], emails[i])
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "latch.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for try := 0; ; try++ { // the reset requests become mails on the workers
		var queued int
		if err := db.QueryRow("SELECT count(*) FROM latch_outbox WHERE kind = 'mail' AND state = 0").Scan(&queued); err != nil {
			t.Fatal(err)
		}
		if queued == mails {
			break
		}
		if try == 3000 {
			t.Fatalf("%d mails queued, want %d; the queue: %s", queued, mails, outboxSummary(t, db))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-s.done
	m.up()
	s = start(t, dir, env...)
	m.waitDistinct(t, mails)
	s.stop(t)
	if distinct, repeated := m.counts(); distinct != mails || repeated != 0 {
		t.Errorf("after the restart: %d distinct mails, %d repeats; want %d, 0", distinct, repeated, mails)
	}
}

// TestTwoInstancesShareTheOutbox: two latchd on one database, mail
// requested through both, each mail sent once.
func TestTwoInstancesShareTheOutbox(t *testing.T) {
	for _, db := range []string{"postgres", "mysql"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			var u string
			if db == "postgres" {
				u = testenv.Postgres(t)
			} else {
				u = mysqlURL(t, testenv.MySQL(t))
			}
			m := newMailServer(t)
			env := outboxEnv(m, "LATCH_DATABASE_URL="+u)
			a := start(t, t.TempDir(), env...)
			b := start(t, t.TempDir(), env...)
			const users = 40
			emails, agents := signUp(t, []string{a.url, b.url}, users, "two"+db)
			for i := range users {
				requestReset(t, agents[i], emails[i])
			}
			m.waitDistinct(t, 2*users)
			a.stop(t)
			b.stop(t)
			if distinct, repeated := m.counts(); distinct != 2*users || repeated != 0 {
				t.Errorf("%d distinct mails, %d repeats; want %d, 0", distinct, repeated, 2*users)
			}
		})
	}
}

// outboxSummary counts the queue's rows by kind and state, for messages.
func outboxSummary(t *testing.T, db *sql.DB) string {
	rows, err := db.Query("SELECT kind, state, count(*) FROM latch_outbox GROUP BY kind, state")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind string
		var state, n int
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return err.Error()
		}
		out = append(out, fmt.Sprintf("%s/%d: %d", kind, state, n))
	}
	return fmt.Sprint(out)
}
