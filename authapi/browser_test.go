package authapi_test

import (
	"context"
	"fmt"
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
	"github.com/latchauth/latch/store/memory"
)

// chromium returns the path of Debian's Chromium, or skips the test (fails
// it when LATCH_TEST_REQUIRE_SERVICES=1).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LATCH_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatal("Chromium is required (LATCH_TEST_REQUIRE_SERVICES=1) but not installed: apt-get install -y chromium")
	}
	t.Skip("skipping: Chromium is not installed (apt-get install -y chromium); set LATCH_TEST_REQUIRE_SERVICES=1 to fail instead")
	return ""
}

// browserSession drives one headless Chromium with a fresh profile.
type browserSession struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot int
	dir  string
}

func newBrowser(t *testing.T, base string) *browserSession {
	path := chromium(t)
	dir := t.TempDir()
	// Chromium's helpers may write into the profile for a moment after the
	// browser stops, so it lives outside t.TempDir and is removed with retries.
	profile, err := os.MkdirTemp("", "latch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 800),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	shots := filepath.Join(dir, "screenshots")
	if d := os.Getenv("LATCH_SCREENSHOT_DIR"); d != "" { // to keep them
		shots = d
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	return &browserSession{t: t, ctx: ctx, base: base, dir: shots}
}

func (b *browserSession) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs an action that reads a value.
func get[T any](b *browserSession, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (b *browserSession) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path))
}

// screenshot writes the page to NN-name.png in the test's temp dir (or in
// $LATCH_SCREENSHOT_DIR, to keep them).
func (b *browserSession) screenshot(name string) {
	b.t.Helper()
	buf := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	b.shot++
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shot, name)), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fill types the values into the form's fields and submits it with its button.
func (b *browserSession) fill(form string, fields map[string]string) {
	b.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for name, v := range fields {
		sel := chromedp.CSS(form + ` [name="` + name + `"]`)
		steps = append(steps, chromedp.WaitVisible(sel), chromedp.SetValue(sel, v))
	}
	b.run("fill "+form, steps...)
}

// submit clicks the button and waits for the page at a path starting with want.
func (b *browserSession) submit(button, want string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button), chromedp.NodeVisible)); err != nil {
		b.t.Fatalf("click %s: %v", button, err)
	}
	b.waitPath(want)
}

func (b *browserSession) waitPath(want string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		loc := get(b, "location", chromedp.Location())
		if strings.HasPrefix(strings.TrimPrefix(loc, b.base), want) {
			b.run("page ready", chromedp.WaitReady(chromedp.CSS("body")))
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
			b.t.Fatalf("at %s, want %s…; page: %s", loc, want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *browserSession) text(sel string) string {
	b.t.Helper()
	return get(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// newestMail reads the newest mail's text on the dev outbox page.
func (b *browserSession) newestMail(subject string) string {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b.open("/dev/outbox")
		n := get(b, "count mails", chromedp.Evaluate[int](`document.querySelectorAll("article.mail").length`))
		if n > 0 && strings.Contains(b.text("article.mail header"), subject) {
			return b.text("article.mail pre")
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no mail about %q in the outbox", subject)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowser walks the flows a person takes, in Chromium, through the
// pages alone: sign up, verify with the code from the outbox, sign out,
// reset the password by mail, sign in with it (the old one fails), sign in
// by magic link, and revoke another session on the account page.
func TestBrowser(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b := newBrowser(t, e.srv.URL)
	email, oldPW, newPW := "person@example.com", "first password 1", "second password 2"

	b.open("/")
	b.screenshot("home")
	b.open("/sign-up")
	b.screenshot("sign-up")
	b.fill("form[action='/sign-up']", map[string]string{"email": "Person@Example.com", "name": "Pat Person", "password": oldPW})
	b.submit("form[action='/sign-up'] button", "/verify-email")
	b.screenshot("verify-email")
	if !strings.Contains(b.text("main"), email) {
		t.Fatalf("verify page does not name %s", email)
	}

	code := codePattern.FindString(b.newestMail("Verify"))
	b.screenshot("outbox")
	if code == "" {
		t.Fatal("no code in the outbox")
	}
	b.open("/verify-email")
	b.fill("form[action='/verify-email']", map[string]string{"code": code})
	b.submit("form[action='/verify-email'] button", "/account")
	b.screenshot("account-verified")
	if main := b.text("main"); !strings.Contains(main, "verified") || strings.Contains(main, "not verified") {
		t.Fatalf("account page after verifying: %s", main)
	}

	b.submit("main form[action='/sign-out'] button", "/?m=signed-out")
	b.screenshot("signed-out")

	b.open("/password-reset")
	b.screenshot("password-reset")
	b.fill("form[action='/password-reset']", map[string]string{"email": email})
	b.submit("form[action='/password-reset'] button", "/password-reset?m=link-sent")
	b.screenshot("password-reset-sent")
	link := linkPattern.FindString(b.newestMail("password"))
	if !strings.Contains(link, "/password-reset/") {
		t.Fatalf("reset mail link %q", link)
	}
	b.run("follow the reset link", chromedp.Navigate(link))
	b.screenshot("password-reset-form")
	b.fill("main form", map[string]string{"password": newPW})
	b.submit("main form button", "/account?m=password-changed")
	b.screenshot("password-changed")
	b.submit("main form[action='/sign-out'] button", "/?m=signed-out")

	b.open("/sign-in")
	b.fill("form[action='/sign-in']", map[string]string{"email": email, "password": oldPW})
	b.submit("form[action='/sign-in'] button", "/sign-in")
	if !strings.Contains(b.text(".error"), "Wrong email or password") {
		t.Fatal("the old password was not refused")
	}
	b.screenshot("sign-in-old-password")
	b.fill("form[action='/sign-in']", map[string]string{"email": email, "password": newPW})
	b.submit("form[action='/sign-in'] button", "/account?m=signed-in")
	b.screenshot("signed-in")
	b.submit("main form[action='/sign-out'] button", "/?m=signed-out")

	b.open("/magic-link")
	b.screenshot("magic-link")
	b.fill("form[action='/magic-link']", map[string]string{"email": email})
	b.submit("form[action='/magic-link'] button", "/magic-link?m=link-sent")
	link = linkPattern.FindString(b.newestMail("Sign in"))
	if !strings.Contains(link, "/magic-link/") || strings.Contains(link, "/api/") {
		t.Fatalf("magic link mail link %q", link)
	}
	b.run("follow the magic link", chromedp.Navigate(link))
	b.screenshot("magic-link-page")
	b.submit("main form button", "/account?m=signed-in")
	b.screenshot("magic-link-signed-in")

	// Another device signs in; this browser revokes it.
	other := e.api()
	r := other.do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": newPW}).want(t, http.StatusOK, "")
	other.bearer = r.str("token")
	otherID := r.str("session", "id")
	b.open("/account")
	b.screenshot("account-two-sessions")
	b.submit(`button[data-session="`+otherID+`"]`, "/account?m=session-revoked")
	b.screenshot("session-revoked")
	other.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
	if left := get(b, "find the revoked session", chromedp.Evaluate[int](`document.querySelectorAll('button[data-session="`+otherID+`"]').length`)); left != 0 {
		t.Error("the revoked session is still listed")
	}
	n := get(b, "count sessions", chromedp.Evaluate[int](`document.querySelectorAll("table.sessions tbody tr").length`))
	if n != 1 {
		t.Errorf("%d sessions listed, want 1", n)
	}
}

// The "Sign in with …" buttons on the sign-in page stand apart: none
// overlaps another, and neighbours leave a gap between them.
func TestBrowserOAuthButtons(t *testing.T) {
	e := newOAuthEnv(t, memory.New())
	b := newBrowser(t, e.srv.URL)
	b.open("/sign-in")
	b.screenshot("sign-in-oauth")
	type rect struct{ Left, Top, Right, Bottom float64 }
	rs := get(b, "button boxes", chromedp.Evaluate[[]rect](`[...document.querySelectorAll(".oauth a")].map(a => {
		const r = a.getBoundingClientRect();
		return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom};
	})`))
	if len(rs) != 2 {
		t.Fatalf("%d buttons, want 2", len(rs))
	}
	for i := 1; i < len(rs); i++ {
		a, c := rs[i-1], rs[i]
		gapX, gapY := c.Left-a.Right, c.Top-a.Bottom
		if gapX < 6 && gapY < 6 {
			t.Errorf("buttons %d and %d touch or overlap: %+v, %+v", i-1, i, a, c)
		}
	}
}

// TestBrowserCLISignIn: a command-line app's sign-in in Chromium. The app
// (a loopback listener here) sends the person to /cli/authorize; they sign
// in on the page it redirects to, come back, click Allow, and Chromium
// follows the redirect to the app's loopback address with the code, which
// the page's Content-Security-Policy (form-action) must allow.
func TestBrowserCLISignIn(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	e.signUp("cli-browser@example.com", "correct horse battery")
	codes := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case codes <- r.URL.Query():
		default:
		}
		fmt.Fprint(w, "<!doctype html><title>app</title><p>You can close this tab.</p>")
	}))
	defer app.Close()
	verifier := strings.Repeat("q", 43)
	redirect := app.URL + "/callback"
	p := cliParams(redirect, verifier)

	b := newBrowser(t, e.srv.URL)
	b.open("/cli/authorize?" + p.Encode())
	b.waitPath("/sign-in")
	b.fill(`form[action="/sign-in"]`, map[string]string{"email": "cli-browser@example.com", "password": "correct horse battery"})
	b.submit(`form[action="/sign-in"] button`, "/cli/authorize")
	b.screenshot("cli-authorize")
	if got := b.text(".app-name strong"); got != "Test <b>CLI</b>" {
		t.Errorf("app name shown as %q", got)
	}
	b.run("allow", chromedp.Click(chromedp.CSS(`button[value="allow"]`), chromedp.NodeVisible))
	var q url.Values
	select {
	case q = <-codes:
	case <-time.After(15 * time.Second):
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		t.Fatalf("the app got no redirect; the browser is at %s", loc)
	}
	if q.Get("state") != "st4te-xyz" || q.Get("code") == "" {
		t.Fatalf("the app got %v", q)
	}
	r := e.api().do("POST", "/api/auth/cli/token", map[string]string{"code": q.Get("code"), "code_verifier": verifier, "redirect_uri": redirect})
	r.want(t, http.StatusOK, "")
	if r.str("user", "email") != "cli-browser@example.com" || r.str("token") == "" {
		t.Errorf("exchange: %s", r.raw)
	}
}
