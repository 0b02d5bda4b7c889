package authapi_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/lucia2"
	"github.com/latchauth/latch/store/memory"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines written so far.
func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, line)
	}
	return out
}

// lucia2SQLite makes a Lucia v2 database on SQLite as Lucia's SQLite guide
// makes it (email_verified INTEGER), with created_at in Unix milliseconds
// as JavaScript's Date.now() gives them and the extra user columns given,
// and opens the lucia2 store on it.
func lucia2SQLite(t *testing.T, extraUserCols string) (*lucia2.Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE auth_user (id TEXT NOT NULL PRIMARY KEY, email TEXT NOT NULL UNIQUE, email_verified INTEGER NOT NULL, created_at INTEGER` + extraUserCols + `)`,
		`CREATE TABLE user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, hashed_password TEXT, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
		`CREATE TABLE user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := lucia2.Open(context.Background(), lucia2.SQLite, path, lucia2.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, db
}

// TestIntegerBooleanSignUp signs up and verifies on a Lucia v2 SQLite
// database whose email_verified is an INTEGER: it answered 400
// INVALID_REQUEST before booleans went into integer columns as 0/1.
func TestIntegerBooleanSignUp(t *testing.T) {
	t.Parallel()
	s, db := lucia2SQLite(t, "")
	e := newSplitEnv(t, latch.Config{Store: s, Profile: latch.ProfileLucia2}, nil)
	c, r := e.signUp("ivy@example.com", "correct horse battery")
	if r.val("user", "emailVerified") != false {
		t.Errorf("sign-up: emailVerified %v, want false", r.val("user", "emailVerified"))
	}
	if got, want := r.str("user", "createdAt"), e.clock.Now().UTC().Format(time.RFC3339); got != want {
		t.Errorf("sign-up: createdAt %q, want %q", got, want)
	}
	var stored string
	var created int64
	if err := db.QueryRow(`SELECT email_verified, created_at FROM auth_user WHERE email = 'ivy@example.com'`).Scan(&stored, &created); err != nil ||
		stored != "0" || created != e.clock.Now().UnixMilli() {
		t.Fatalf("email_verified, created_at stored as %q, %d (%v), want 0, %d", stored, created, err, e.clock.Now().UnixMilli())
	}
	code := codeIn(t, e.mailTo("ivy@example.com", "", 1))
	c.do("POST", "/api/auth/email-verification/verify", map[string]string{"code": code}).want(t, http.StatusOK, "")
	if err := db.QueryRow(`SELECT email_verified FROM auth_user WHERE email = 'ivy@example.com'`).Scan(&stored); err != nil || stored != "1" {
		t.Fatalf("email_verified stored as %q (%v) after verifying, want 1", stored, err)
	}
	if got := c.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "").val("user", "emailVerified"); got != true {
		t.Errorf("session after verifying: emailVerified %v, want true", got)
	}
}

// TestSchemaFaultIsInternal: a sign-up whose store write fails for a
// reason of the schema (a NOT NULL column that the server never fills)
// answers 500 INTERNAL, not a 400 that blames the client, with an
// X-Request-Id; the cause is logged once at ERROR under that request id,
// and every log line of the request carries it.
func TestSchemaFaultIsInternal(t *testing.T) {
	t.Parallel()
	s, _ := lucia2SQLite(t, ", username TEXT NOT NULL")
	var logs lockedBuffer
	e := newSplitEnv(t, latch.Config{Store: s, Profile: latch.ProfileLucia2}, func(c *authapi.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	r := e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": "nel@example.com", "password": "correct horse battery"})
	r.want(t, http.StatusInternalServerError, "INTERNAL")
	id := r.header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id")
	}
	if bytes.Contains(r.raw, []byte("username")) || bytes.Contains(r.raw, []byte("NOT NULL")) {
		t.Errorf("the answer shows the cause: %s", r.raw)
	}
	other := e.api().do("GET", "/api/auth/session", nil)
	if oid := other.header.Get("X-Request-Id"); oid == "" || oid == id {
		t.Errorf("another request's X-Request-Id %q, want a new one (the first was %q)", oid, id)
	}

	var errorLines, requestLines int
	for _, line := range logs.lines(t) {
		if line["request_id"] != id {
			continue
		}
		requestLines++
		if line["level"] == "ERROR" {
			errorLines++
			if cause, _ := line["err"].(string); !strings.Contains(cause, "NOT NULL") {
				t.Errorf("the ERROR line does not give the cause: %v", line)
			}
		}
	}
	if errorLines != 1 || requestLines < 2 {
		t.Errorf("%d ERROR lines and %d lines in all with request_id %s, want one ERROR line beside the request line; log:\n%s",
			errorLines, requestLines, id, logs.buf.String())
	}
}

// TestLongEmailIsInvalidEmail: a valid address too long for its key id
// ("email:" and the address, at most latch.MaxIDLength bytes) answers
// INVALID_EMAIL naming the limit, not a bare INVALID_REQUEST.
func TestLongEmailIsInvalidEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), nil)
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + ".com"
	r := e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": long, "password": "correct horse battery"})
	r.want(t, http.StatusBadRequest, "INVALID_EMAIL")
	if !strings.Contains(r.str("error", "message"), "249") {
		t.Errorf("the message does not give the limit: %s", r.raw)
	}
	fits := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 58) + ".com"
	e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": fits, "password": "correct horse battery"}).want(t, http.StatusCreated, "")
}

// panickingStore panics on CreateUser, as a broken store might.
type panickingStore struct{ *memory.Store }

func (panickingStore) CreateUser(context.Context, latch.UserRecord, *latch.KeyRecord) error {
	panic("store broke")
}

// TestPanicIsLoggedOnce: a panic answers 500 INTERNAL and is logged once
// at ERROR, with the request id.
func TestPanicIsLoggedOnce(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	e := newEnv(t, panickingStore{memory.New()}, func(c *authapi.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	r := e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": "pan@example.com", "password": "correct horse battery"})
	r.want(t, http.StatusInternalServerError, "INTERNAL")
	id := r.header.Get("X-Request-Id")
	var errorLines int
	for _, line := range logs.lines(t) {
		if line["level"] == "ERROR" {
			errorLines++
			if line["request_id"] != id || line["panic"] != "store broke" {
				t.Errorf("ERROR line %v, want the panic with request_id %s", line, id)
			}
		}
	}
	if errorLines != 1 {
		t.Errorf("%d ERROR lines, want 1; log:\n%s", errorLines, logs.buf.String())
	}
}
