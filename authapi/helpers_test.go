package authapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/internal/openapitest"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
)

// clock is the tests' only time: they move it instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one server on loopback with its store, clock and outbox.
type env struct {
	t      testing.TB
	clock  *clock
	store  latch.Store
	auth   *latch.Auth
	outbox *mail.Outbox
	h      *authapi.Handler
	srv    *httptest.Server
	// throttleRealTime: the throttles count on the Redis server's clock,
	// which moving clock does not move (a back-off does not end there).
	throttleRealTime bool
}

// stores are the backends every API test runs on.
var stores = []struct {
	name string
	open func(testing.TB) latch.Store
}{
	{"memory", func(testing.TB) latch.Store { return memory.New() }},
	{"sqlite", func(t testing.TB) latch.Store {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// forEachStore runs the test once per store, in parallel.
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, s.open(t), nil))
		})
	}
}

// newEnv starts a handler on store; change adjusts its config first.
func newEnv(t testing.TB, store latch.Store, change func(*authapi.Config)) *env {
	t.Helper()
	return newSplitEnv(t, latch.Config{Store: store}, change)
}

// newSplitEnv is newEnv on the stores of lc (Store, or Users, Keys,
// Sessions and Tokens apart); it sets lc's clock and Env.
func newSplitEnv(t testing.TB, lc latch.Config, change func(*authapi.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, store: lc.Store, outbox: mail.NewOutbox()}
	if e.store == nil && lc.Users != nil {
		e.store = splitStore{lc.Users, lc.Keys, lc.Sessions, lc.Tokens}
	}
	lc.Now, lc.Env = e.clock.Now, latch.EnvDev
	auth, err := latch.New(lc)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = auth
	e.outbox.Logger = testLogger(t)
	e.srv = httptest.NewUnstartedServer(nil)
	cfg := authapi.Config{
		Auth: auth, BaseURL: "http://" + e.srv.Listener.Addr().String(), Mailer: e.outbox, Dev: true,
		Logger: testLogger(t),
	}
	if change != nil {
		change(&cfg)
	}
	e.h, err = authapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = checkedAPI(t, e.h)
	e.srv.Start()
	t.Cleanup(func() {
		e.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.h.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// apiDoc checks exchanges against the OpenAPI document, parsed once.
var apiDoc = sync.OnceValues(func() (*openapitest.Checker, error) {
	return openapitest.New(authapi.OpenAPI())
})

// checkedAPI serves h and fails the test for every API exchange that the
// OpenAPI document does not describe: an undocumented path, method,
// status, error code or field (see internal/openapitest).
func checkedAPI(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	c, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	return c.Handler(h, func(problem string) { t.Errorf("OpenAPI document: %s", problem) })
}

// client is one user agent: a cookie jar, and an Origin header like a
// browser's unless it is an API client.
type client struct {
	e      *env
	hc     *http.Client
	origin string
	bearer string
}

// browser returns a client that keeps cookies and sends Origin.
func (e *env) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, origin: e.srv.URL, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// api returns a client without cookies or Origin, as a program calling the
// API with a bearer token.
func (e *env) api() *client {
	return &client{e: e, hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r *response) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func (r *response) val(path ...string) any {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func (r *response) code() string { return r.str("error", "code") }

// do sends a request; body is JSON-encoded unless it is a string or []byte.
func (c *client) do(method, path string, body any, hdr ...string) *response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &response{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			c.e.t.Fatalf("%s %s: JSON body %q: %v", method, path, raw, err)
		}
	}
	return out
}

// want fails the test unless the response has the status and, for an
// error, the code.
func (r *response) want(t testing.TB, status int, code string) *response {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("got %d %q, want %d %q; body %s", r.status, r.code(), status, code, r.raw)
	}
	if status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
		t.Fatalf("429 without Retry-After")
	}
	return r
}

// signUp makes an account with a browser client, which it returns signed in.
func (e *env) signUp(email, password string) (*client, *response) {
	e.t.Helper()
	c := e.browser()
	r := c.do("POST", "/api/auth/sign-up", map[string]string{"email": email, "password": password})
	r.want(e.t, http.StatusCreated, "")
	return c, r
}

// mailTo waits for the n-th mail (counting from 1) to the address whose
// subject contains subject, and returns its text. The outbox's workers
// deliver it; under -race on a loaded CI machine that takes seconds.
func (e *env) mailTo(addr, subject string, n int) string {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var found []string
		msgs := e.outbox.Messages() // newest first
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if m.To == addr && strings.Contains(m.Subject, subject) {
				found = append(found, m.Text)
			}
		}
		if len(found) >= n {
			return found[n-1]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no mail %d to %s about %q; outbox: %+v", n, addr, subject, e.outbox.Messages())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var (
	codePattern = regexp.MustCompile(`\b\d{8}\b`)
	linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)
)

func codeIn(t testing.TB, text string) string {
	t.Helper()
	c := codePattern.FindString(text)
	if c == "" {
		t.Fatalf("no code in mail %q", text)
	}
	return c
}

// linkIn returns the path of the first link in the mail that contains part.
func linkIn(t testing.TB, text, part string) string {
	t.Helper()
	for _, l := range linkPattern.FindAllString(text, -1) {
		if strings.Contains(l, part) {
			i := strings.Index(l, "://")
			j := strings.IndexByte(l[i+3:], '/')
			return l[i+3+j:]
		}
	}
	t.Fatalf("no link with %q in mail %q", part, text)
	return ""
}

func cookie(r *response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
