package admin_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/admin"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/openapitest"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/store/lucia2"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/token"

	_ "modernc.org/sqlite"
)

// The admin token of the tests: 32 random bytes in base64url.
const adminToken = "q8B0f1Zr2sM7tYw4XcVn9KpL3uHgJdE6aRiOyT5lWQk"

const pw = "correct horse battery staple"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is latchd's two listeners on loopback: the auth API (with the dev
// outbox) and the admin API, on one Auth and store.
type env struct {
	t        *testing.T
	clock    *clock
	auth     *latch.Auth
	outbox   *mail.Outbox
	api      *httptest.Server
	adm      *httptest.Server
	log      *bytes.Buffer
	logMu    *sync.Mutex
	magic    *token.IDTokens
	resets   *token.PasswordResets
	cliCodes *token.AuthorizationCodes
}

type backend struct {
	name string
	open func(t *testing.T) latch.Config
}

var backends = []backend{
	{"memory", func(t *testing.T) latch.Config { return latch.Config{Store: memory.New()} }},
	{"sqlite", func(t *testing.T) latch.Config {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return latch.Config{Store: s}
	}},
	{"postgres", func(t *testing.T) latch.Config {
		s, err := postgres.Open(context.Background(), testenv.Postgres(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return latch.Config{Store: s}
	}},
	{"mariadb", func(t *testing.T) latch.Config {
		s, err := mysql.Open(context.Background(), testenv.MySQL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return latch.Config{Store: s}
	}},
	{"lucia2-sqlite", func(t *testing.T) latch.Config {
		path := filepath.Join(t.TempDir(), "lucia.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, ddl := range []string{
			`CREATE TABLE auth_user (id TEXT NOT NULL PRIMARY KEY, email TEXT UNIQUE, email_verified BOOLEAN NOT NULL DEFAULT FALSE, name TEXT, created_at DATETIME)`,
			`CREATE TABLE user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, hashed_password TEXT, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
			`CREATE TABLE user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL, FOREIGN KEY (user_id) REFERENCES auth_user(id))`,
		} {
			if _, err := db.Exec(ddl); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		s, err := lucia2.Open(context.Background(), lucia2.SQLite, path, lucia2.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return latch.Config{Store: s, Profile: latch.ProfileLucia2}
	}},
}

// syncBuffer is a log sink the handlers write to from their goroutines.
type syncBuffer struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (b syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func newEnv(t *testing.T, lc latch.Config) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, outbox: mail.NewOutbox(),
		log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	lc.Now, lc.Env = e.clock.Now, latch.EnvDev
	auth, err := latch.New(lc)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = auth
	log := slog.New(slog.NewJSONHandler(syncBuffer{e.logMu, e.log}, nil))
	e.outbox.Logger = log
	if e.magic, err = token.NewIDTokens(auth, "magic-link", token.IDTokenOptions{ExpiresIn: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if e.resets, err = token.NewPasswordResets(auth, token.PasswordResetOptions{ExpiresIn: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if e.cliCodes, err = token.NewAuthorizationCodes(auth, "cli-authorization-code", token.AuthorizationCodeOptions{}); err != nil {
		t.Fatal(err)
	}
	e.api = httptest.NewUnstartedServer(nil)
	h, err := authapi.New(authapi.Config{
		Auth: auth, BaseURL: "http://" + e.api.Listener.Addr().String(), Mailer: e.outbox, Dev: true, Logger: log,
		MagicLinks: e.magic, PasswordResets: e.resets, CLICodes: e.cliCodes,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.api.Config.Handler = checked(t, h)
	e.api.Start()
	ah, err := admin.New(admin.Config{Auth: auth, Tokens: []admin.Token{{Name: "ops", Value: adminToken}}, Mailer: h, FactorRemover: h, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e.adm = httptest.NewServer(checked(t, ah))
	t.Cleanup(func() {
		e.adm.Close()
		e.api.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// apiDoc is the OpenAPI document's checker, parsed once.
var apiDoc = sync.OnceValues(func() (*openapitest.Checker, error) {
	return openapitest.New(authapi.OpenAPI())
})

// checked serves h and fails the test for every exchange, of the admin
// API or the auth API, that the OpenAPI document does not describe.
func checked(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	c, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	return c.Handler(h, func(problem string) { t.Errorf("OpenAPI document: %s", problem) })
}

func (e *env) logText() string { e.logMu.Lock(); defer e.logMu.Unlock(); return e.log.String() }

type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r *response) code() string {
	m, _ := r.body["error"].(map[string]any)
	s, _ := m["code"].(string)
	return s
}

func (r *response) want(t *testing.T, status int, code string) *response {
	t.Helper()
	if r.status != status || (code != "" && r.code() != code) {
		t.Fatalf("got %d %s, want %d %s", r.status, r.raw, status, code)
	}
	return r
}

// call sends a request to srv; hdr are name, value pairs.
func call(t *testing.T, srv *httptest.Server, method, path string, body any, hdr ...string) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.body)
	}
	return out
}

// admin calls the admin API with the admin token.
func (e *env) admin(method, path string, body any) *response {
	e.t.Helper()
	return call(e.t, e.adm, method, path, body, "Authorization", "Bearer "+adminToken)
}

// signIn signs in by password through the auth API and returns the answer.
func (e *env) signIn(email string) *response {
	e.t.Helper()
	return call(e.t, e.api, "POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw})
}

// mailTo waits for the n-th mail to addr whose subject holds subject.
// The outbox's workers deliver it; under -race on a loaded CI machine
// that takes seconds.
func (e *env) mailTo(addr, subject string, n int) mail.Sent {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var found []mail.Sent
		msgs := e.outbox.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].To == addr && strings.Contains(msgs[i].Subject, subject) {
				found = append(found, msgs[i])
			}
		}
		if len(found) >= n {
			return found[n-1]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no mail %d to %s about %q; outbox: %+v", n, addr, subject, msgs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
