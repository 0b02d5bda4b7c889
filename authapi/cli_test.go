package authapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// cliParams is an app's authorization request.
func cliParams(redirect, verifier string) url.Values {
	return url.Values{
		"redirect_uri": {redirect}, "state": {"st4te-xyz"}, "client_name": {"Test <b>CLI</b>"},
		"code_challenge": {token.CodeChallengeS256(verifier)}, "code_challenge_method": {"S256"},
	}
}

// allow walks a signed-in browser through the consent page and returns the
// redirect to the app.
func allow(t *testing.T, b *client, p url.Values, decision string) *url.URL {
	t.Helper()
	page := b.do("GET", "/cli/authorize?"+p.Encode(), nil)
	if page.status != 200 || !strings.Contains(page.html(), "Test <b>CLI</b>") || strings.Contains(string(page.raw), "<b>CLI</b>") {
		t.Fatalf("consent page: %d, app name not shown escaped: %.400s", page.status, page.raw)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://"+mustURL(t, p.Get("redirect_uri")).Host+";") {
		t.Errorf("consent page CSP does not let the form go to the app: %q", csp)
	}
	v := url.Values{}
	for k := range p {
		v.Set(k, p.Get(k))
	}
	v.Set("decision", decision)
	r := b.form("/cli/authorize", v)
	if r.status != http.StatusSeeOther {
		t.Fatalf("decision %s: %d %.300s", decision, r.status, r.raw)
	}
	return mustURL(t, r.header.Get("Location"))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCLISignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		browser, _ := e.signUp("cli@example.com", "correct horse battery")
		verifier := strings.Repeat("v", 43)
		const redirect = "http://127.0.0.1:53682/callback?app=1"
		exchange := func(code, verifier, redirect string) *response {
			return e.api().do("POST", "/api/auth/cli/token", map[string]string{"code": code, "code_verifier": verifier, "redirect_uri": redirect})
		}

		to := allow(t, browser, cliParams(redirect, verifier), "allow")
		if to.Host != "127.0.0.1:53682" || to.Path != "/callback" || to.Query().Get("app") != "1" || to.Query().Get("state") != "st4te-xyz" || to.Query().Get("code") == "" {
			t.Fatalf("redirect to the app %s", to)
		}
		code := to.Query().Get("code")
		r := exchange(code, verifier, redirect).want(t, 200, "")
		bearer := r.str("token")
		if bearer == "" || r.str("user", "email") != "cli@example.com" {
			t.Fatalf("exchange answer %s", r.raw)
		}
		app := e.api()
		app.bearer = bearer
		me := app.do("GET", "/api/auth/session", nil).want(t, 200, "")
		if me.str("user", "email") != "cli@example.com" || me.str("session", "id") == "" {
			t.Fatalf("session with the app's token: %s", me.raw)
		}
		// The app's session is its own, listed with the browser's and
		// marked as an app's.
		list := browser.do("GET", "/api/auth/sessions", nil).want(t, 200, "")
		if n := len(list.val("sessions").([]any)); n != 2 {
			t.Errorf("%d sessions after the app signed in, want 2: %s", n, list.raw)
		}
		s, err := e.auth.ValidateSession(t.Context(), bearer)
		if err != nil || s.Attributes.String(authapi.SessionClientAttribute) != "cli" {
			t.Errorf("app session %+v, %v", s.Attributes, err)
		}

		// Replay, wrong verifier (which uses the code up), other redirect.
		exchange(code, verifier, redirect).want(t, 400, "INVALID_GRANT")
		code = allow(t, browser, cliParams(redirect, verifier), "allow").Query().Get("code")
		exchange(code, strings.Repeat("w", 43), redirect).want(t, 400, "INVALID_GRANT")
		exchange(code, verifier, redirect).want(t, 400, "INVALID_GRANT")
		code = allow(t, browser, cliParams(redirect, verifier), "allow").Query().Get("code")
		exchange(code, verifier, "http://127.0.0.1:53683/callback?app=1").want(t, 400, "INVALID_GRANT")

		// Expired.
		code = allow(t, browser, cliParams(redirect, verifier), "allow").Query().Get("code")
		e.clock.Advance(2*time.Minute + time.Second)
		exchange(code, verifier, redirect).want(t, 400, "INVALID_GRANT")

		// Malformed exchanges.
		exchange("", verifier, redirect).want(t, 400, "INVALID_CLI_REQUEST")
		e.api().do("POST", "/api/auth/cli/token", "not json").want(t, 400, "INVALID_BODY")
		e.api().do("GET", "/api/auth/cli/token", nil).want(t, 405, "METHOD_NOT_ALLOWED")

		// Deny.
		to = allow(t, browser, cliParams(redirect, verifier), "deny")
		if to.Query().Get("error") != "access_denied" || to.Query().Get("state") != "st4te-xyz" || to.Query().Get("code") != "" {
			t.Errorf("deny: redirect %s", to)
		}

		// 200 concurrent exchanges of one code: exactly one session.
		code = allow(t, browser, cliParams(redirect, verifier), "allow").Query().Get("code")
		var ok, refused atomic.Int32
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				switch r := exchange(code, verifier, redirect); {
				case r.status == 200:
					ok.Add(1)
				case r.status == 400 && r.code() == "INVALID_GRANT":
					refused.Add(1)
				default:
					t.Errorf("concurrent exchange: %d %s", r.status, r.raw)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 || refused.Load() != 199 {
			t.Errorf("200 concurrent exchanges: %d succeeded, %d refused", ok.Load(), refused.Load())
		}
	})
}

func TestCLIAuthorizeRefusals(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	browser, _ := e.signUp("cli2@example.com", "correct horse battery")
	verifier := strings.Repeat("v", 43)
	good := cliParams("http://127.0.0.1:8123/cb", verifier)
	with := func(k, v string) url.Values {
		p := url.Values{}
		for key := range good {
			p.Set(key, good.Get(key))
		}
		if v == "\x00delete" {
			p.Del(k)
		} else {
			p.Set(k, v)
		}
		return p
	}
	for name, p := range map[string]url.Values{
		"https redirect":       with("redirect_uri", "https://127.0.0.1:8123/cb"),
		"remote host":          with("redirect_uri", "http://evil.example:8123/cb"),
		"localhost":            with("redirect_uri", "http://localhost:8123/cb"),
		"no port":              with("redirect_uri", "http://127.0.0.1/cb"),
		"port 0":               with("redirect_uri", "http://127.0.0.1:0/cb"),
		"port 65536":           with("redirect_uri", "http://127.0.0.1:65536/cb"),
		"port 99999":           with("redirect_uri", "http://[::1]:99999/cb"),
		"port with a zero":     with("redirect_uri", "http://127.0.0.1:08123/cb"),
		"other loopback v4":    with("redirect_uri", "http://127.0.0.2:8123/cb"),
		"userinfo":             with("redirect_uri", "http://evil.example@127.0.0.1:8123/cb"),
		"fragment":             with("redirect_uri", "http://127.0.0.1:8123/cb#x"),
		"custom scheme":        with("redirect_uri", "com.example.app:/cb"),
		"relative":             with("redirect_uri", "//127.0.0.1:8123/cb"),
		"no redirect":          with("redirect_uri", "\x00delete"),
		"no state":             with("state", "\x00delete"),
		"state with space":     with("state", "a b"),
		"long state":           with("state", strings.Repeat("s", 257)),
		"plain method":         with("code_challenge_method", "plain"),
		"no method":            with("code_challenge_method", "\x00delete"),
		"short challenge":      with("code_challenge", "abc"),
		"no challenge":         with("code_challenge", "\x00delete"),
		"long client name":     with("client_name", strings.Repeat("n", 65)),
		"control in name":      with("client_name", "bad\x07name"),
		"doubled redirect_uri": func() url.Values { p := with("state", "s"); p.Add("redirect_uri", "http://127.0.0.1:9/x"); return p }(),
	} {
		for _, c := range []*client{browser, e.browser()} { // signed in, and not
			r := c.do("GET", "/cli/authorize?"+p.Encode(), nil)
			if r.status != 400 || r.header.Get("Location") != "" || !strings.Contains(r.html(), "sign-in request from an app is not valid") {
				t.Errorf("%s: %d Location %q", name, r.status, r.header.Get("Location"))
			}
			v := url.Values{}
			for k, vs := range p {
				v[k] = vs
			}
			v.Set("decision", "allow")
			if r := c.form("/cli/authorize", v); r.status != 400 || r.header.Get("Location") != "" {
				t.Errorf("%s, posted: %d Location %q", name, r.status, r.header.Get("Location"))
			}
		}
	}
	// IPv6 loopback is fine.
	if r := browser.do("GET", "/cli/authorize?"+with("redirect_uri", "http://[::1]:8123/cb").Encode(), nil); r.status != 200 {
		t.Errorf("[::1] redirect: %d", r.status)
	}

	// Not signed in: to the sign-in page, which comes back here.
	anon := e.browser()
	r := anon.do("GET", "/cli/authorize?"+good.Encode(), nil)
	wantRedirect(t, r, "/sign-in?")
	next := mustURL(t, r.header.Get("Location")).Query().Get("next")
	if !strings.HasPrefix(next, "/cli/authorize?") || mustURL(t, next).Query().Get("state") != "st4te-xyz" {
		t.Fatalf("next %q", next)
	}
	in := anon.form("/sign-in", url.Values{"email": {"cli2@example.com"}, "password": {"correct horse battery"}, "next": {next}})
	wantRedirect(t, in, "/cli/authorize?")
	if r := anon.do("GET", in.header.Get("Location"), nil); r.status != 200 || !strings.Contains(r.html(), "Allow") {
		t.Errorf("back after sign-in: %d", r.status)
	}

	// A decision without Origin (a cross-site form) is refused, and so is
	// one with no decision.
	v := url.Values{}
	for k := range good {
		v.Set(k, good.Get(k))
	}
	v.Set("decision", "allow")
	foreign := e.browser()
	foreign.hc.Jar = browser.hc.Jar
	foreign.origin = "http://evil.example"
	if r := foreign.form("/cli/authorize", v); r.status != 403 || r.header.Get("Location") != "" {
		t.Errorf("foreign Origin: %d Location %q", r.status, r.header.Get("Location"))
	}
	v.Set("decision", "maybe")
	if r := browser.form("/cli/authorize", v); r.status != 400 || r.header.Get("Location") != "" {
		t.Errorf("no decision: %d", r.status)
	}
}

// TestCLISignInLucia2: on a Lucia v2 database whose session table has
// Lucia's columns only, the app's session is made (without the mark of an
// app, a session detail that needs its own column): the exchange answered
// 500 when it wrote the mark there.
func TestCLISignInLucia2(t *testing.T) {
	t.Parallel()
	s, _ := lucia2SQLite(t, "")
	e := newSplitEnv(t, latch.Config{Store: s, Profile: latch.ProfileLucia2}, nil)
	browser, _ := e.signUp("cli-lucia@example.com", "correct horse battery")
	verifier := strings.Repeat("v", 43)
	const redirect = "http://127.0.0.1:53682/callback"
	code := allow(t, browser, cliParams(redirect, verifier), "allow").Query().Get("code")
	r := e.api().do("POST", "/api/auth/cli/token", map[string]string{"code": code, "code_verifier": verifier, "redirect_uri": redirect}).want(t, 200, "")
	app := e.api()
	app.bearer = r.str("token")
	if me := app.do("GET", "/api/auth/session", nil).want(t, 200, ""); me.str("user", "email") != "cli-lucia@example.com" {
		t.Fatalf("session with the app's token: %s", me.raw)
	}
}
