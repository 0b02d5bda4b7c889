package authapi_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// TestAccessLogRoute: a page route reads "GET /sign-up", not "GET GET /sign-up".
func TestAccessLogRoute(t *testing.T) {
	var buf lockedBuffer
	e := newEnv(t, memory.New(), func(c *authapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	})
	logText := func() string {
		buf.mu.Lock()
		defer buf.mu.Unlock()
		return buf.buf.String()
	}
	e.browser().do("GET", "/sign-up", nil).want(t, http.StatusOK, "")
	e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": "x@example.com", "password": "wrong password"})
	log := logText()
	if strings.Contains(log, "GET GET") || !strings.Contains(log, `route="GET /sign-up"`) {
		t.Errorf("access log, want route=\"GET /sign-up\":\n%s", log)
	}
	if !strings.Contains(log, `route="POST /api/auth/sign-in"`) {
		t.Errorf("access log, want route=\"POST /api/auth/sign-in\":\n%s", log)
	}
}

// TestTokenKindClashNamesConfigField: when the Auth already has a handler
// of a default kind, New's error says which Config field to set.
func TestTokenKindClashNamesConfigField(t *testing.T) {
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := token.NewIDTokens(auth, "magic-link", token.IDTokenOptions{ExpiresIn: time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, err = authapi.New(authapi.Config{Auth: auth, BaseURL: "http://localhost", Dev: true})
	if err == nil || !strings.Contains(err.Error(), "authapi.Config.MagicLinks") {
		t.Fatalf("New with a clashing magic-link handler: %v, want an error naming authapi.Config.MagicLinks", err)
	}
}

// TestMountedWithoutPages: with DisablePages the handler serves the JSON
// API alone, mails link where Links say, and New refuses a setup whose
// reset mails would lead nowhere.
func TestMountedWithoutPages(t *testing.T) {
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authapi.New(authapi.Config{Auth: auth, BaseURL: "http://localhost", Dev: true, DisablePages: true}); err == nil || !strings.Contains(err.Error(), "Links.PasswordReset") {
		t.Fatalf("DisablePages without Links.PasswordReset: %v, want an error naming it", err)
	}
	e := newEnv(t, memory.New(), func(c *authapi.Config) {
		c.DisablePages = true
		c.Links = authapi.Links{PasswordReset: "/reset?token={token}", VerifyEmail: "/verify?token={token}", SignedIn: "/app"}
	})
	if r := e.browser().do("GET", "/sign-in", nil); r.status != http.StatusNotFound || r.code() != "NOT_FOUND" {
		t.Errorf("GET /sign-in without pages: %d %s, want a JSON 404", r.status, r.raw)
	}
	e.signUp("ada@example.com", "correct horse battery staple")
	e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": "ada@example.com"}).want(t, http.StatusAccepted, "")
	if link := e.mailTo("ada@example.com", "Reset", 1); !strings.Contains(link, e.srv.URL+"/reset?token=") {
		t.Errorf("reset mail: %q, want a link to /reset?token=", link)
	}
	res, err := http.Get(e.srv.URL + "/api/auth/dev/outbox")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /api/auth/dev/outbox: %d", res.StatusCode)
	}
}

// TestSignInPageWhenSignedIn: /sign-in for a signed-in browser goes to the
// account page (or to next), not to a sign-in form.
func TestSignInPageWhenSignedIn(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	b, _ := e.signUp("ada@example.com", "correct horse battery staple")
	wantRedirect(t, b.do("GET", "/sign-in", nil), "/account")
	wantRedirect(t, b.do("GET", "/sign-in?next=/verify-email", nil), "/verify-email")
	e.browser().do("GET", "/sign-in", nil).want(t, http.StatusOK, "")
}

// TestLinkPagesTellTheTruth: a used or expired reset link says so when it
// opens, before any password is typed, and offers a new link; a second
// click on a magic link by the browser it signed in is no error.
func TestLinkPagesTellTheTruth(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	email, pw := "ada@example.com", "correct horse battery staple"
	e.signUp(email, pw)
	// The outbox delivers at least once: a slow run may send a mail twice,
	// so each new link is the first one not seen before.
	seen := map[string]bool{}
	resetLink := func(n int) string {
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": email}).want(t, http.StatusAccepted, "")
		for k := n; ; k++ {
			l := strings.TrimPrefix(linkIn(t, e.mailTo(email, "Reset", k), "/password-reset/"), e.srv.URL)
			if !seen[l] {
				seen[l] = true
				return l
			}
		}
	}
	used := resetLink(1)
	tok := used[strings.LastIndex(used, "/")+1:]
	e.api().do("POST", "/api/auth/password-reset/"+tok, map[string]string{"password": "another good password"}).want(t, http.StatusOK, "")
	r := e.browser().do("GET", used, nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.html(), "already been used") || !strings.Contains(r.html(), `action="/password-reset"`) {
		t.Errorf("used reset link: %d %.400s; want the request form saying the link was used", r.status, r.raw)
	}

	expiring := resetLink(2)
	e.clock.Advance(2 * time.Hour)
	r = e.browser().do("GET", expiring, nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.html(), "expired") {
		t.Errorf("expired reset link: %d %.400s; want it said at once", r.status, r.raw)
	}

	fresh := resetLink(3)
	wantRedirect(t, e.browser().do("GET", fresh, nil), "/password-reset/new")

	// Magic link: the second click by the same browser lands signed in.
	e.api().do("POST", "/api/auth/magic-link", map[string]string{"email": email}).want(t, http.StatusAccepted, "")
	ml := strings.TrimPrefix(linkIn(t, e.mailTo(email, "Sign in", 1), "/magic-link/"), e.srv.URL)
	b := e.browser()
	first := b.clickMagicLink(ml)
	if first.status != http.StatusSeeOther {
		t.Fatalf("magic link: %d", first.status)
	}
	wantRedirect(t, b.clickMagicLink(ml), "/account")
	wantRedirect(t, e.browser().clickMagicLink(ml), "/magic-link?e=INVALID_TOKEN")
}

// TestAccountSessionDetails: the account page names each session by
// browser and system, address and times (in <time datetime> for the
// reader's zone), with buttons named for screen readers; the last use is
// written at most every few minutes.
func TestAccountSessionDetails(t *testing.T) {
	e := newEnv(t, memory.New(), func(c *authapi.Config) {
		c.Locate = func(ip string) string {
			if ip == "127.0.0.1" {
				return "Loopback, Localhost"
			}
			return ""
		}
	})
	email, pw := "ada@example.com", "correct horse battery staple"
	b, _ := e.signUp(email, pw)
	firefox := "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	other := e.api()
	r := other.do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": pw}, "User-Agent", firefox).want(t, http.StatusOK, "")
	other.bearer = r.str("token")
	otherID := e.auth.SessionID(other.bearer) // the stored id (the API shows a handle)

	page := b.do("GET", "/account", nil).want(t, http.StatusOK, "").html()
	for _, want := range []string{"Firefox on Linux", "127.0.0.1 · Loopback, Localhost", `<time datetime="`, `aria-label="Sign out Firefox on Linux, last used`, `aria-label="Sign out this browser"`, `src="/static/local-time.js"`} {
		if !strings.Contains(page, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if strings.Contains(page, ">Revoke<") {
		t.Error("account page still says Revoke beside Sign out")
	}

	lastUsed := func() time.Time {
		t.Helper()
		s, err := e.auth.GetSessionByID(t.Context(), otherID)
		if err != nil {
			t.Fatal(err)
		}
		return s.Attributes.Time(authapi.SessionLastUsedAttribute)
	}
	signedIn := lastUsed()
	e.clock.Advance(time.Minute)
	other.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	if got := lastUsed(); !got.Equal(signedIn) {
		t.Errorf("last use written a minute after sign-in: %v, want %v kept", got, signedIn)
	}
	e.clock.Advance(5 * time.Minute)
	other.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
	if got := lastUsed(); !got.Equal(e.clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("last use after 6 minutes: %v, want %v", got, e.clock.Now())
	}
}

func TestDescribeUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0":           "Edge on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36":                   "Chrome on Android",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15":                      "Safari on macOS",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                  "Firefox on Linux",
		"curl/8.5.0": "curl",
		"":           "",
	} {
		if got := authapi.DescribeUserAgent(ua); got != want {
			t.Errorf("DescribeUserAgent(%.40q) = %q, want %q", ua, got, want)
		}
	}
}

// TestCodeAndThrottlePagesSayHowMuch: a wrong code says how many tries
// are left; the throttled sign-in page says how long to wait.
func TestCodeAndThrottlePagesSayHowMuch(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	email, pw := "ada@example.com", "correct horse battery staple"
	b, _ := e.signUp(email, pw)
	r := b.do("POST", "/verify-email", url.Values{"code": {"00000000"}}.Encode(), "Content-Type", formType)
	if !strings.Contains(r.html(), "4 attempts left") || !strings.Contains(r.html(), `data-field="code"`) {
		t.Errorf("wrong code page: %d %.600s; want 4 attempts left and the code field marked", r.status, r.raw)
	}
	var last *response
	for range 10 {
		last = e.browser().do("POST", "/sign-in", url.Values{"email": {email}, "password": {"wrong password here"}}.Encode(), "Content-Type", formType)
		if last.status == http.StatusTooManyRequests {
			break
		}
	}
	if last.status != http.StatusTooManyRequests || !strings.Contains(last.html(), "try again in ") {
		t.Errorf("throttled sign-in page: %d %.600s; want the wait", last.status, last.raw)
	}
}

const formType = "application/x-www-form-urlencoded"
