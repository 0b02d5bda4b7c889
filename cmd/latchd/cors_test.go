package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// readmeOrigin is where the SPA's code (testdata/spa, as in the README)
// says latchd is; the test serves it with latchd's real origin instead.
const readmeOrigin = "https://auth.example.com"

// spaServer serves the files of testdata/spa with latchd's origin put in,
// and client.js copied from latchd (for the page latchd does not trust,
// which cannot import it from there).
type spaServer struct {
	*httptest.Server
	latchd string // the origin the pages call
}

func newSPAServer(t *testing.T) *spaServer {
	t.Helper()
	s := &spaServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		var body []byte
		var err error
		if name == "client.js" {
			var res *http.Response
			if res, err = http.Get(s.latchd + "/api/auth/client.js"); err == nil {
				body, err = io.ReadAll(res.Body)
				res.Body.Close()
			}
		} else if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz.") == "" {
			body, err = os.ReadFile(filepath.Join("testdata", "spa", name))
		} else {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ct := "text/html; charset=utf-8"
		if strings.HasSuffix(name, ".js") {
			ct = "text/javascript; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(strings.ReplaceAll(string(body), readmeOrigin, s.latchd)))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *spaServer) port() string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

// newChromium starts headless Chromium with *.localhost resolved to
// loopback, so that app.localhost and auth.localhost are two sites.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("LATCH_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("Chromium is required (LATCH_TEST_REQUIRE_SERVICES=1) but not installed")
		}
		t.Skip("skipping: Chromium is not installed; set LATCH_TEST_REQUIRE_SERVICES=1 to fail instead")
	}
	profile, err := os.MkdirTemp("", "latch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP *.localhost 127.0.0.1"),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile))
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
		for range 50 { // Chromium's helpers may still write for a moment
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return ctx
}

// openPage navigates to u and waits for its module to set window.ready.
func openPage(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ready, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.ready === true`))
		if err == nil && ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not load its module (%v)", u, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eval runs a promise-returning expression on the page and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

type demoResult struct {
	SignedUp, Session, Wrong, SignedIn, SessionAgain string
	AfterSignOut                                     any
}

// TestBrowserCrossOrigin drives, in headless Chromium, a single-page app on
// another origin than latchd's through client.js (testdata/spa/app.js, the
// README's code): sign up, read the session, sign out, sign in again. A
// page on an origin not in --cors-origins can read nothing and cannot sign
// the person out. Across sites (app.localhost and auth.localhost) the
// calls go through but the SameSite=Lax cookie does not stick, as the
// README says.
func TestBrowserCrossOrigin(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	app, evil := newSPAServer(t), newSPAServer(t)
	appSameSite := "http://127.0.0.1:" + app.port()
	appCrossSite := "http://app.localhost:" + app.port()
	srv := start(t, t.TempDir(), "LATCH_CORS_ORIGINS="+appSameSite+","+appCrossSite)
	u, err := url.Parse(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	app.latchd, evil.latchd = srv.url, srv.url // http://127.0.0.1:PORT

	// Same site, another origin (another port): the cookie works.
	openPage(t, ctx, appSameSite+"/")
	got := eval[demoResult](t, ctx, `demo("spa@example.com", "spa password 12")`)
	want := demoResult{SignedUp: "spa@example.com", Session: "spa@example.com", Wrong: "INVALID_CREDENTIALS",
		SignedIn: "spa@example.com", SessionAgain: "spa@example.com"}
	if got != want {
		t.Fatalf("the app on %s: %+v, want %+v", appSameSite, got, want)
	}

	// An untrusted origin on the same site: the browser sends the cookie
	// along, but latchd grants no CORS and its Origin check refuses writes.
	openPage(t, ctx, "http://127.0.0.1:"+evil.port()+"/evil.html")
	type outcome struct {
		OK    any
		Error string
	}
	attack := eval[map[string]outcome](t, ctx, `attack()`)
	t.Logf("the untrusted page: %+v", attack)
	for name, o := range attack {
		if o.Error == "" && !(name == "simpleSignOut" && o.OK == "opaque") {
			t.Errorf("the untrusted page's %s succeeded: %+v", name, o.OK)
		}
	}
	if len(attack) != 7 || attack["getSession"].Error != "NETWORK_ERROR" || attack["signOut"].Error != "NETWORK_ERROR" {
		t.Errorf("the untrusted page: %+v", attack)
	}
	openPage(t, ctx, appSameSite+"/")
	if s := eval[string](t, ctx, `import("`+srv.url+`/api/auth/client.js").then(m => m.getSession()).then(s => s ? s.user.email : "signed out")`); s != "spa@example.com" {
		t.Fatalf("after the untrusted page's attempts the app's session is %q", s)
	}

	// Across sites: CORS answers, but the browser does not keep a
	// SameSite=Lax cookie set by a cross-site request.
	crossLatchd := "http://auth.localhost:" + u.Port()
	app.latchd = crossLatchd
	openPage(t, ctx, appCrossSite+"/")
	cross := eval[map[string]any](t, ctx, `import("`+crossLatchd+`/api/auth/client.js").then(async (m) => {
		const up = await m.signUp({ email: "cross@example.com", password: "cross password 1" });
		return { signedUp: up.user.email, session: await m.getSession() };
	})`)
	t.Logf("across sites: %v", cross)
	if cross["signedUp"] != "cross@example.com" || cross["session"] != nil {
		t.Errorf("across sites: %v; want the sign-up readable and no session kept", cross)
	}
}

// TestCORSOriginsFlag: --cors-origins refuses what it must at start, and
// --allowed-origins alone never grants CORS.
func TestCORSOriginsFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct{ env, value, want string }{
		{"dev", "*", "wildcards"},
		{"dev", "https://*.example.com", "wildcards"},
		{"dev", "null", "never trusted"},
		{"dev", "http://app.example.com", "want https"},
		{"prod", "http://localhost:3000", "want https"},
		{"dev", "https://app.example.com/path", "no path"},
	} {
		code, _, stderr := runCmd(t, dir, "", "serve", "--env", c.env, "--smtp-url", "smtp://127.0.0.1:1", "--addr", "127.0.0.1:0", "--cors-origins", "https://ok.example.com,"+c.value)
		if code == 0 || !strings.Contains(stderr, "--cors-origins") || !strings.Contains(stderr, c.want) {
			t.Errorf("--env %s --cors-origins %q: exit %d, stderr %q; want a refusal saying %q", c.env, c.value, code, stderr, c.want)
		}
	}

	srv := start(t, dir, "LATCH_CORS_ORIGINS=http://app.localhost:3000", "LATCH_ALLOWED_ORIGINS=http://csrf.localhost:3000")
	for _, c := range []struct{ origin, want string }{
		{"http://app.localhost:3000", "http://app.localhost:3000"},
		{"http://csrf.localhost:3000", ""},
		{"http://other.localhost:3000", ""},
	} {
		req, _ := http.NewRequest("OPTIONS", srv.url+"/api/auth/session", nil)
		req.Header.Set("Origin", c.origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got := res.Header.Get("Access-Control-Allow-Origin")
		if got != c.want || (c.want != "") != (res.StatusCode == http.StatusNoContent) {
			t.Errorf("preflight from %s: %d, Allow-Origin %q; want %q", c.origin, res.StatusCode, got, c.want)
		}
	}
}

// The README's "Use Latch from a browser app" shows the code that
// TestBrowserCrossOrigin runs.
func TestREADMEShowsSPACode(t *testing.T) {
	t.Parallel()
	code, err := os.ReadFile(filepath.Join("testdata", "spa", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(code), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "//") { // the file's own header
		lines = lines[1:]
	}
	body := strings.TrimSpace(strings.Join(lines, "\n"))
	if !strings.Contains(string(readme), "```js\n"+body+"\n```") {
		t.Error("README.md does not show testdata/spa/app.js as it is; copy it into \"Use Latch from a browser app\"")
	}
}
