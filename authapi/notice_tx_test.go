package authapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
)

// noticeQueue is a SQL store's transactional outbox (its Outbox method)
// with a fault and a pause for TestNoticeInChangeTx. A mail whose subject
// contains the watched text is written to the table first, in the
// transaction the context carries; then inTx, when set, looks around,
// and when fail is armed Enqueue reports a failure: the transaction fails
// after the notice was queued in it. Other jobs (the sign-up's
// verification mail, say, which a worker queues meanwhile) pass through.
type noticeQueue struct {
	outbox.Queue
	paused atomic.Bool // Claim finds nothing: the workers are stopped

	mu      sync.Mutex
	watched string
	fail    bool
	inTx    func(id string)
	queued  []string // the ids of the watched mails written, committed or not
}

func (q *noticeQueue) Enqueue(ctx context.Context, j outbox.Job) error {
	if err := q.Queue.Enqueue(ctx, j); err != nil || j.Kind != "mail" {
		return err
	}
	var m mail.Message
	if err := json.Unmarshal(j.Payload, &m); err != nil {
		return err
	}
	q.mu.Lock()
	if q.watched == "" || !strings.Contains(m.Subject, q.watched) {
		q.mu.Unlock()
		return nil
	}
	q.queued = append(q.queued, j.ID)
	f, fail := q.inTx, q.fail
	q.fail = false
	q.mu.Unlock()
	if f != nil {
		f(j.ID)
	}
	if fail {
		return errInjected
	}
	return nil
}

func (q *noticeQueue) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]outbox.Job, error) {
	if q.paused.Load() {
		return nil, nil
	}
	return q.Queue.Claim(ctx, now, lease, limit)
}

// watch sets what the next Enqueue of a mail about subject does.
func (q *noticeQueue) watch(subject string, fail bool, inTx func(id string)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.watched, q.fail, q.inTx = subject, fail, inTx
}

// taken returns the ids of the watched mails written since the last call.
func (q *noticeQueue) taken() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := q.queued
	q.queued = nil
	return ids
}

// outboxStore is a SQL store with its outbox, and a way to look at an
// outbox row from outside any transaction: a row still inside an open
// transaction is not seen.
type outboxStore struct {
	store latch.Store
	queue *outbox.SQLQueue
	// seen reports whether the job's row is committed.
	seen func(t *testing.T, id string) bool
}

// queueSeen reads the row through the queue's own pool (PostgreSQL,
// MariaDB): another connection than the transaction's.
func queueSeen(q *outbox.SQLQueue) func(t *testing.T, id string) bool {
	return func(t *testing.T, id string) bool {
		_, _, err := q.Get(context.Background(), id)
		if errors.Is(err, outbox.ErrNotFound) {
			return false
		}
		if err != nil {
			t.Errorf("reading outbox row %s: %v", id, err)
		}
		return true
	}
}

var outboxStores = []struct {
	name string
	open func(t *testing.T) outboxStore
}{
	{"sqlite", func(t *testing.T) outboxStore {
		path := filepath.Join(t.TempDir(), "latch.db")
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		// The queue's own reads go through the store's single writer,
		// which the open transaction holds: read the file through a
		// read-only connection of its own instead (WAL: it sees what
		// is committed).
		db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		seen := func(t *testing.T, id string) bool {
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM latch_outbox WHERE id = ?", id).Scan(&n); err != nil {
				t.Errorf("reading outbox row %s: %v", id, err)
			}
			return n == 1
		}
		return outboxStore{store: s, queue: s.Outbox(), seen: seen}
	}},
	{"postgres", func(t *testing.T) outboxStore {
		s := openPostgres(t).(interface {
			latch.Store
			Outbox() *outbox.SQLQueue
		})
		q := s.Outbox()
		return outboxStore{store: s, queue: q, seen: queueSeen(q)}
	}},
	{"mariadb", func(t *testing.T) outboxStore {
		s := openMySQL(t)
		q := s.Outbox()
		return outboxStore{store: s, queue: q, seen: queueSeen(q)}
	}},
}

// noticeCase is a change whose notice must commit with it.
type noticeCase struct {
	name    string
	undo    string // the token kind of the notice's undo link; "" for a notice without one
	subject string // a part of the notice's subject
	passkey bool   // the server needs a domain name (passkeys): BaseURL on localhost, API clients only
	// prepare readies the account of addr and returns the request that
	// makes the change (it is made twice, failing then succeeding, so
	// it takes what it uses up afresh each time) and a report of
	// whether the change is visible outside any transaction.
	prepare func(t *testing.T, e *env, addr, base string) (do func() *response, changed func() bool)
}

var noticeCases = []noticeCase{
	{name: "password", undo: "undo-password", subject: "password was changed",
		prepare: func(t *testing.T, e *env, addr, _ string) (func() *response, func() bool) {
			b, _ := e.signUp(addr, pw)
			do := func() *response {
				return b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "a new password"})
			}
			changed := func() bool {
				next := "a new password"
				_, err := e.auth.UseKey(context.Background(), "email", addr, &next)
				return err == nil
			}
			return do, changed
		}},
	{name: "email", undo: "undo-email", subject: "email of your",
		prepare: func(t *testing.T, e *env, addr, _ string) (func() *response, func() bool) {
			b, su := e.signUp(addr, pw)
			uid := su.str("user", "id")
			b.do("POST", "/api/auth/email", map[string]string{"newEmail": "moved-" + addr, "password": pw}).want(t, http.StatusAccepted, "")
			tok := strings.TrimPrefix(linkIn(t, e.mailTo("moved-"+addr, "Confirm", 1), "/email-change/"), "/email-change/")
			do := func() *response {
				return e.api().do("POST", "/api/auth/email/confirm", map[string]string{"token": tok})
			}
			changed := func() bool {
				u, err := e.auth.GetUser(context.Background(), uid)
				return err == nil && u.Attributes.String("email") == "moved-"+addr
			}
			return do, changed
		}},
	{name: "unlink", undo: "undo-method", subject: "method was removed",
		prepare: func(t *testing.T, e *env, addr, _ string) (func() *response, func() bool) {
			b, su := e.signUp(addr, pw)
			if _, err := e.auth.CreateKey(context.Background(), su.str("user", "id"), latchKey("github", "gh-"+addr)); err != nil {
				t.Fatal(err)
			}
			do := func() *response {
				return b.do("DELETE", "/api/auth/accounts/github", map[string]string{"password": pw})
			}
			changed := func() bool {
				_, err := e.auth.GetKey(context.Background(), "github", "gh-"+addr)
				return errors.Is(err, latch.ErrInvalidKeyID)
			}
			return do, changed
		}},
	{name: "totp-added", undo: "undo-method", subject: "method was added",
		prepare: func(t *testing.T, e *env, addr, _ string) (func() *response, func() bool) {
			b, su := e.signUp(addr, pw)
			uid := su.str("user", "id")
			// Confirming takes the enrolment: each try starts one.
			do := func() *response {
				tok := stepUpWith(t, b, "add-factor", map[string]string{"method": "password", "password": pw})
				secret := b.do("POST", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok}).want(t, http.StatusOK, "").str("secret")
				return b.do("POST", "/api/auth/two-factor/totp/confirm", map[string]string{"code": totpAt(t, secret, e.clock.Now())})
			}
			return do, factorsChanged(t, e, uid, 0)
		}},
	{name: "totp-removed", undo: "undo-method", subject: "method was removed",
		prepare: func(t *testing.T, e *env, addr, _ string) (func() *response, func() bool) {
			b, su := e.signUp(addr, pw)
			uid := su.str("user", "id")
			secret, _ := enrolTOTP(t, e, b)
			do := func() *response {
				e.clock.Advance(30 * time.Second) // a step not used yet
				tok := stepUpWith(t, b, "remove-factor", map[string]string{"method": "totp", "code": totpAt(t, secret, e.clock.Now())})
				return b.do("DELETE", "/api/auth/two-factor/totp", map[string]string{"stepUpToken": tok})
			}
			return do, factorsChanged(t, e, uid, 1)
		}},
	{name: "recovery-code", subject: "recovery code",
		prepare: func(t *testing.T, e *env, addr, _ string) (func() *response, func() bool) {
			b, su := e.signUp(addr, pw)
			uid := su.str("user", "id")
			_, codes := enrolTOTP(t, e, b)
			do := func() *response { // the same code: a failed use leaves it unused
				return b.do("POST", "/api/auth/step-up", map[string]string{"action": "change-email", "method": "recovery-code", "code": codes[0]})
			}
			changed := func() bool {
				left, err := e.store.ListTokens(context.Background(), uid, "recovery-code")
				if err != nil {
					t.Errorf("recovery codes: %v", err)
				}
				return len(left) != len(codes)
			}
			return do, changed
		}},
	{name: "passkey-added", passkey: true, undo: "undo-method", subject: "method was added",
		prepare: func(t *testing.T, e *env, addr, base string) (func() *response, func() bool) {
			c := passkeyUser(t, e, addr)
			a := newSoftAuthenticator(t, base)
			uid := c.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").str("user", "id")
			do := func() *response {
				opts := c.do("POST", "/api/auth/passkey/register/options", map[string]string{"stepUpToken": stepUpPassword(t, c, authapi.ActionAddFactor)}).want(t, http.StatusOK, "")
				return c.do("POST", "/api/auth/passkey/register/verify", map[string]any{"credential": a.create(opts)})
			}
			return do, factorsChanged(t, e, uid, 0)
		}},
	{name: "passkey-removed", passkey: true, undo: "undo-method", subject: "method was removed",
		prepare: func(t *testing.T, e *env, addr, base string) (func() *response, func() bool) {
			c := passkeyUser(t, e, addr)
			a := newSoftAuthenticator(t, base)
			uid := c.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").str("user", "id")
			id := registerSoft(t, c, a, stepUpPassword(t, c, authapi.ActionAddFactor))
			e.mailTo(addr, "method was added", 1)
			do := func() *response {
				tok := c.do("POST", "/api/auth/step-up", map[string]any{"action": authapi.ActionRemoveFactor, "method": "passkey", "assertion": a.get(signInOptions(t, e.api(), "factor"))}).want(t, http.StatusOK, "").str("stepUpToken")
				return c.do("DELETE", "/api/auth/passkeys/"+id, map[string]string{"stepUpToken": tok})
			}
			return do, factorsChanged(t, e, uid, 1)
		}},
	{name: "account-deleted", subject: "account was deleted",
		prepare: func(t *testing.T, e *env, addr, _ string) (func() *response, func() bool) {
			b, su := e.signUp(addr, pw)
			uid := su.str("user", "id")
			do := func() *response {
				return b.do("DELETE", "/api/auth/account", map[string]string{"password": pw})
			}
			changed := func() bool {
				_, err := e.auth.GetUser(context.Background(), uid)
				return errors.Is(err, latch.ErrInvalidUserID)
			}
			return do, changed
		}},
}

// factorsChanged reports whether the user's count of second factors and
// passkeys is no longer before.
func factorsChanged(t *testing.T, e *env, uid string, before int) func() bool {
	return func() bool {
		fs, err := e.auth.ListFactors(context.Background(), uid)
		if err != nil {
			t.Errorf("factors: %v", err)
		}
		return len(fs) != before
	}
}

// undoCount counts the user's undo links of the kind, from outside any
// transaction.
func undoCount(t *testing.T, e *env, uid, kind string) int {
	t.Helper()
	if kind == "" || uid == "" {
		return 0
	}
	recs, err := e.store.ListTokens(context.Background(), uid, kind)
	if err != nil {
		t.Fatalf("undo links: %v", err)
	}
	return len(recs)
}

// TestNoticeInChangeTx: on a SQL store with its transactional outbox, a
// change of the account, the undo link its notice carries and the notice
// commit together. A transaction that fails after the notice was queued
// leaves no change, no undo link and no mail (and answers 503); one that
// commits has the mail's row committed with it: while the transaction is
// open, neither the change nor the row is seen from outside, and right
// after the answer, with the workers stopped, the row is there, pending.
func TestNoticeInChangeTx(t *testing.T) {
	for _, st := range outboxStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range noticeCases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					testNoticeInChangeTx(t, st.open(t), c)
				})
			}
		})
	}
}

func testNoticeInChangeTx(t *testing.T, os outboxStore, c noticeCase) {
	q := &noticeQueue{Queue: os.queue}
	var base string
	e := newEnv(t, os.store, func(cfg *authapi.Config) {
		cfg.Queue = q
		if c.passkey {
			cfg.BaseURL = strings.Replace(cfg.BaseURL, "127.0.0.1", "localhost", 1)
		}
		base = cfg.BaseURL
	})
	if !e.auth.Atomic() {
		t.Fatal("Auth over one SQL store is not Atomic")
	}
	addr := c.name + "@example.com"
	do, changed := c.prepare(t, e, addr, base)
	var uid string
	if u, err := e.auth.GetKey(context.Background(), "email", addr); err == nil {
		uid = u.UserID
	}
	undos := undoCount(t, e, uid, c.undo)

	// The notice is queued in the change's transaction, which then fails.
	q.paused.Store(true)
	q.watch(c.subject, true, nil)
	r := do()
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("change whose notice failed: %d %s", r.status, r.raw)
	}
	failed := q.taken()
	if len(failed) != 1 {
		t.Fatalf("notices queued in the failed change: %d, want 1", len(failed))
	}
	if os.seen(t, failed[0]) {
		t.Error("the notice of a change rolled back is in the outbox")
	}
	if changed() {
		t.Error("the change stands though its transaction failed")
	}
	if n := undoCount(t, e, uid, c.undo); n != undos {
		t.Errorf("undo links after the failed change: %d, want %d", n, undos)
	}

	// Now the change commits: inside its transaction, nothing of it is
	// seen from outside; after the answer, all of it is.
	var inside []string
	q.watch(c.subject, false, func(id string) {
		// Enqueue runs on the request's goroutine, before the answer.
		if os.seen(t, id) {
			inside = append(inside, "the notice's row")
		}
		if changed() {
			inside = append(inside, "the change")
		}
		if c.undo != "" && undoCount(t, e, uid, c.undo) != undos {
			inside = append(inside, "the undo link")
		}
	})
	r = do()
	if r.status >= 300 {
		t.Fatalf("change: %d %s", r.status, r.raw)
	}
	ids := q.taken()
	q.watch("", false, nil)
	if len(ids) != 1 {
		t.Fatalf("notices queued in the change: %d, want 1", len(ids))
	}
	if len(inside) > 0 {
		t.Errorf("seen outside the open transaction when the notice was queued: %v", inside)
	}
	if !changed() {
		t.Error("the change was not made")
	}
	if _, state, err := q.Get(context.Background(), ids[0]); err != nil || state != outbox.Pending {
		t.Errorf("the notice's job right after the answer: state %v, %v; want pending", state, err)
	}
	if n := undoCount(t, e, uid, c.undo); c.undo != "" && n != undos+1 {
		t.Errorf("undo links after the change: %d, want %d", n, undos+1)
	}

	// The workers, started again, mail it.
	q.paused.Store(false)
	e.h.NotifyQueue()
	m := mailOfJob(t, e, ids[0])
	if m.To != addr || !strings.Contains(m.Subject, c.subject) || (c.undo != "") != strings.Contains(m.Text, "/undo/") {
		t.Errorf("notice to %s %q, undo link expected %v: %q", m.To, m.Subject, c.undo != "", m.Text)
	}
}

// mailOfJob waits for the mail that the outbox job id delivers (its
// Message-ID derives from the job's id), as long as a loaded machine
// may take.
func mailOfJob(t *testing.T, e *env, id string) mail.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, m := range e.outbox.Messages() {
			if strings.HasPrefix(m.MessageID, strings.ToLower(id)+"@") {
				return m.Message
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not delivered; outbox: %+v", id, e.outbox.Messages())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mailDown is a queue that refuses every mail, as a database that went
// away would.
type mailDown struct{ outbox.Queue }

func (q mailDown) Enqueue(ctx context.Context, j outbox.Job) error {
	if j.Kind == "mail" {
		return errInjected
	}
	return q.Queue.Enqueue(ctx, j)
}

// TestNoticeWithoutTx: where no transaction spans the stores (the memory
// store here; a split setup alike), a change is written before its notice
// is queued and nothing could take it back: a failure to queue the notice
// is logged, and the change stands and is answered as made.
func TestNoticeWithoutTx(t *testing.T) {
	e := newEnv(t, memory.New(), func(c *authapi.Config) { c.Queue = mailDown{outbox.NewMemoryQueue()} })
	if e.auth.Atomic() {
		t.Fatal("Auth over the memory store is Atomic")
	}
	b, _ := e.signUp("down@example.com", pw)
	b.do("POST", "/api/auth/password", map[string]string{"currentPassword": pw, "newPassword": "a new password"}).want(t, http.StatusOK, "")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "down@example.com", "password": "a new password"}).want(t, http.StatusOK, "")
}
