package authapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/throttle"
	"github.com/latchauth/latch/token"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// The account every fuzzed request may name, and the placeholders that a
// fuzzed path, query or body may hold. Each is replaced, before the
// request is sent, by a value the fuzzer could never guess, so that it
// reaches the paths a valid value takes:
//
//	EMAIL, PASSWORD  the account's address and password
//	SESSIONID        the id of the request's session
//	OTT              a one-time token bound to the request's session
//	VCODE, VLINK     a verification code and a verification link token
//	RESET, MAGIC     a password-reset and a magic-link token
//	STATE, OACODE    the state and code of an OAuth sign-in started by
//	                 this request's browser (its flow cookies come along)
const (
	fuzzEmail    = "fuzz@example.com"
	fuzzPassword = "correct horse battery"
)

// fuzzRoute is one route the fuzz target sends to. A path with "{}" takes
// the fuzzed argument, escaped, as that segment, and what follows a '?'
// in the argument as its query; any other path takes the whole argument
// as its query. form marks a form body (the OAuth callback's form post)
// instead of JSON.
type fuzzRoute struct {
	method, path string
	form         bool
}

// fuzzRoutes are every route of the JSON API (DESIGN.md §5), a few twice
// with another method, and unknown paths.
var fuzzRoutes = []fuzzRoute{
	{method: "POST", path: "/api/auth/sign-up"},
	{method: "POST", path: "/api/auth/sign-in"},
	{method: "POST", path: "/api/auth/sign-out"},
	{method: "GET", path: "/api/auth/session"},
	{method: "GET", path: "/api/auth/sessions"},
	{method: "DELETE", path: "/api/auth/sessions"},
	{method: "DELETE", path: "/api/auth/sessions/{}"},
	{method: "POST", path: "/api/auth/email-verification"},
	{method: "POST", path: "/api/auth/email-verification/verify"},
	{method: "GET", path: "/api/auth/email-verification/{}"},
	{method: "POST", path: "/api/auth/password-reset"},
	{method: "POST", path: "/api/auth/password-reset/{}"},
	{method: "POST", path: "/api/auth/magic-link"},
	{method: "GET", path: "/api/auth/magic-link/{}"},
	{method: "GET", path: "/api/auth/one-time-token/generate"},
	{method: "POST", path: "/api/auth/one-time-token/verify"},
	{method: "GET", path: "/api/auth/oauth/{}"},
	{method: "GET", path: "/api/auth/oauth/github/callback"},
	{method: "POST", path: "/api/auth/oauth/github/callback", form: true},
	{method: "GET", path: "/api/auth/oauth/idp/callback"},
	{method: "POST", path: "/api/auth/oauth/idp/callback", form: true},
	{method: "GET", path: "/api/dev/outbox"},
	{method: "PUT", path: "/api/auth/sign-in"},
	{method: "PATCH", path: "/api/auth/sessions/{}"},
	{method: "POST", path: "/api/auth/{}"},
	{method: "POST", path: "/api/auth/cli/token"},
	{method: "POST", path: "/api/auth/cli/token", form: true},
	{method: "POST", path: "/api/auth/magic-link/verify"},
	{method: "POST", path: "/api/auth/two-factor/verify"},
	{method: "POST", path: "/api/auth/step-up/email-code"},
}

// fuzzRouteIndex returns the index of a route, for seeds.
func fuzzRouteIndex(method, path string) uint8 {
	for i, r := range fuzzRoutes {
		if r.method == method && r.path == path {
			return uint8(i)
		}
	}
	panic("no fuzz route " + method + " " + path)
}

// How a fuzzed request carries the session: the mode argument.
const (
	fuzzAnonymous      = iota
	fuzzBearer         // Authorization: Bearer, no Origin (an API client)
	fuzzCookie         // the session cookie and a same-origin Origin (a browser)
	fuzzCookieNoOrigin // the session cookie without Origin
	fuzzCookieForeign  // the session cookie and a foreign Origin (CSRF)
	fuzzDeadBearer     // a dead bearer token and the live cookie, same origin
	fuzzModes
)

const fuzzForeignOrigin = "https://evil.example"

// fuzzServer is a Handler on loopback, configured as newEnv does but with
// a cheap password hash (the fuzzer would otherwise spend its time in
// Argon2id), throttles that back off for a millisecond (so that one
// account's failures do not shut its paths for the rest of the run), a
// client address taken from a header, the token handlers at hand to issue
// valid values, and OAuth sign-in with GitHub and an OIDC provider, both
// answered by fakes.
type fuzzServer struct {
	auth    *latch.Auth
	ott     *token.OneTimeTokens
	codes   *token.PasswordTokens
	links   *token.IDTokens
	resets  *token.PasswordResets
	magic   *token.IDTokens
	fakes   map[string]*oauthtest.Server // by provider id
	srv     *httptest.Server
	client  *http.Client
	userID  string
	clients atomic.Int64
}

func newFuzzServer(f *testing.F, store latch.Store) *fuzzServer {
	f.Helper()
	ctx := context.Background()
	auth, err := latch.New(latch.Config{
		Store: store, Env: latch.EnvDev,
		PasswordHasher: password.Argon2id{Memory: 8, Time: 1, Threads: 1},
	})
	if err != nil {
		f.Fatal(err)
	}
	s := &fuzzServer{auth: auth}
	if s.ott, err = token.NewOneTimeTokens(auth, "one-time-token", token.OneTimeTokenOptions{}); err != nil {
		f.Fatal(err)
	}
	if s.codes, err = token.NewPasswordTokens(auth, "email-verification", token.PasswordTokenOptions{
		ExpiresIn: 10 * time.Minute, Length: 8, MaxAttempts: 5,
	}); err != nil {
		f.Fatal(err)
	}
	if s.links, err = token.NewIDTokens(auth, "email-verification-link", token.IDTokenOptions{ExpiresIn: time.Hour}); err != nil {
		f.Fatal(err)
	}
	if s.resets, err = token.NewPasswordResets(auth, token.PasswordResetOptions{ExpiresIn: time.Hour, IssueLimit: 1 << 30}); err != nil {
		f.Fatal(err)
	}
	if s.magic, err = token.NewIDTokens(auth, "magic-link", token.IDTokenOptions{ExpiresIn: time.Hour}); err != nil {
		f.Fatal(err)
	}
	brief := throttle.Options{Base: time.Millisecond, Max: time.Millisecond}
	emailLimit, err := throttle.New(nil, brief)
	if err != nil {
		f.Fatal(err)
	}
	mailLimit, err := throttle.New(nil, brief)
	if err != nil {
		f.Fatal(err)
	}

	gh := providers.GitHub("gh-client", "gh-secret")
	idp := providers.OIDC("idp", "IdP", "https://idp.example", "idp-client", "idp-secret")
	s.fakes = map[string]*oauthtest.Server{"github": oauthtest.New(f, gh), "idp": oauthtest.New(f, idp)}
	s.fakes["github"].Update(func(st *oauthtest.Settings) { st.TokenForm = true })
	s.fakes["idp"].Update(func(st *oauthtest.Settings) {
		st.Claims = map[string]any{"email": fuzzEmail, "email_verified": true, "name": "Fuzz"}
	})
	s.fakes["github"].JSON("GET", "https://api.github.com/user", map[string]any{"id": "1001", "login": "fuzz", "name": "Fuzz"})
	s.fakes["github"].JSON("GET", providers.GitHubEmailsURL, []map[string]any{{"email": fuzzEmail, "primary": true, "verified": true}})
	hc := &http.Client{Transport: byHost{
		"github.com": s.fakes["github"].Transport(), "api.github.com": s.fakes["github"].Transport(),
		"idp.example": s.fakes["idp"].Transport(),
	}}

	s.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + s.srv.Listener.Addr().String()
	oc, err := oauth.New(oauth.Config{BaseURL: base, Providers: []*oauth.Provider{gh, idp}, HTTPClient: hc})
	if err != nil {
		f.Fatal(err)
	}
	h, err := authapi.New(authapi.Config{
		Auth: auth, BaseURL: base, Mailer: mail.NewOutbox(), Dev: true,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		OneTimeTokens:     s.ott,
		VerificationCodes: s.codes, VerificationLinks: s.links, PasswordResets: s.resets, MagicLinks: s.magic,
		EmailThrottle: emailLimit, MailThrottle: mailLimit,
		OAuth:    oc,
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Fuzz-Client") },
	})
	if err != nil {
		f.Fatal(err)
	}
	s.srv.Config.Handler = h
	s.srv.Start()
	s.client = s.srv.Client()
	s.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	f.Cleanup(func() {
		s.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			f.Errorf("Close: %v", err)
		}
	})
	u, err := authapi.CreateUser(ctx, auth, authapi.NewUser{Email: fuzzEmail, Password: fuzzPassword})
	if err != nil {
		f.Fatal(err)
	}
	s.userID = u.ID
	return s
}

// expand returns the replacer of the placeholders that in holds, issuing
// only the values it needs, and the cookies the request must carry (an
// OAuth flow's).
func (s *fuzzServer) expand(t *testing.T, sess latch.Session, provider, in string) (*strings.Replacer, []*http.Cookie) {
	t.Helper()
	ctx := context.Background()
	pairs := []string{"EMAIL", fuzzEmail, "PASSWORD", fuzzPassword, "SESSIONID", sess.ID}
	issue := func(mark string, fn func() (token.Token, error)) {
		if !strings.Contains(in, mark) {
			return
		}
		tok, err := fn()
		if err != nil {
			t.Fatalf("issuing %s: %v", mark, err)
		}
		pairs = append(pairs, mark, tok.String())
	}
	issue("OTT", func() (token.Token, error) { return s.ott.Generate(ctx, sess) })
	issue("VCODE", func() (token.Token, error) { return s.codes.Issue(ctx, s.userID) })
	issue("VLINK", func() (token.Token, error) { return s.links.Issue(ctx, s.userID) })
	issue("RESET", func() (token.Token, error) { return s.resets.Issue(ctx, s.userID) })
	issue("MAGIC", func() (token.Token, error) { return s.magic.Issue(ctx, s.userID) })

	var cookies []*http.Cookie
	if fake := s.fakes[provider]; fake != nil && (strings.Contains(in, "STATE") || strings.Contains(in, "OACODE")) {
		res, err := s.client.Get(s.srv.URL + "/api/auth/oauth/" + provider)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound {
			t.Fatalf("starting an OAuth sign-in: %s", res.Status)
		}
		for _, c := range res.Cookies() {
			if c.MaxAge > 0 {
				cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
			}
		}
		cb, err := fake.Authorize(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(cb.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if cb.Method == http.MethodPost {
			q = cb.Form
		}
		pairs = append(pairs, "STATE", q.Get("state"), "OACODE", q.Get("code"))
	}
	return strings.NewReplacer(pairs...), cookies
}

// queryString makes a fuzzed query sendable: the bytes no client sends
// raw in a query (controls, space, '#', non-ASCII) are percent-encoded,
// the rest (the separators, '%' escapes good or bad) kept as they are.
func queryString(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// leavesSite reports whether a browser following Location loc from a page
// of this site goes elsewhere: after dropping what the WHATWG URL parser
// ignores, anything but a path ("/…" but not "//…") names another origin.
func leavesSite(loc string) bool {
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	return !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//")
}

// FuzzAPIBodies sends fuzzed requests to every JSON API route, the OAuth
// routes and the dev outbox included: route picks the route (its high bit
// the SQLite store), mode how the request carries the session (none,
// bearer, cookie with or without an Origin, a CSRF attempt), arg the path
// segment or query, body the JSON (or form) body. Whatever comes in, the
// server answers: never 5xx (but 502 OAUTH_PROVIDER_ERROR, the provider's
// own failure, at the OAuth callback); an error answer is the documented
// JSON {"error":{"code":"…","message":"…"}} (429 with Retry-After); a
// redirect stays on the site (but the OAuth start's, to the provider); a
// cookie-carrying request from a foreign Origin changes nothing; and a
// browser's answer never shows the session token.
func FuzzAPIBodies(f *testing.F) {
	const creds = `{"email":"EMAIL","password":"PASSWORD"}`
	for i := range fuzzRoutes {
		f.Add(uint8(i), uint8(fuzzBearer), "", []byte(creds))
		f.Add(uint8(i), uint8(fuzzCookie), "", []byte(creds))
	}
	r := fuzzRouteIndex
	seeds := []struct {
		route, mode uint8
		arg, body   string
	}{
		{r("POST", "/api/auth/sign-up"), fuzzAnonymous, "", `{"email":"EMAIL","password":"PASSWORD","name":"Ada"}`},
		{r("POST", "/api/auth/sign-up"), fuzzCookie, "", `{"email":"new@example.com","password":"PASSWORD","name":"Ada"}`},
		{r("POST", "/api/auth/sign-up"), fuzzAnonymous, "", `{"email":"a@b","password":"12345678","name":"` + strings.Repeat("n", 300) + `"}`},
		{r("POST", "/api/auth/sign-up"), fuzzAnonymous, "", `{"email":"\u0000@example.com","password":"\ud800\udc00"}`},
		{r("POST", "/api/auth/sign-in"), fuzzAnonymous, "", `{"email":"EMAIL","password":"wrong password"}`},
		{r("POST", "/api/auth/sign-in"), fuzzCookie, "", `{"email":" Fuzz@Example.COM ","password":"PASSWORD"}`},
		{r("POST", "/api/auth/sign-in"), fuzzAnonymous, "", `{"email":"EMAIL","password":"PASSWORD"}{}`},
		{r("POST", "/api/auth/sign-in"), fuzzAnonymous, "", `{"email":["EMAIL"],"password":null}`},
		{r("POST", "/api/auth/sign-in"), fuzzAnonymous, "", `{"email":"EMAIL","email":"x","password":"PASSWORD"}`},
		{r("POST", "/api/auth/sign-in"), fuzzAnonymous, "", "\xff"},
		{r("POST", "/api/auth/sign-in"), fuzzAnonymous, "", `[]`},
		{r("POST", "/api/auth/sign-in"), fuzzAnonymous, "", `{`},
		{r("POST", "/api/auth/sign-out"), fuzzCookieForeign, "", ``},
		{r("DELETE", "/api/auth/sessions/{}"), fuzzBearer, "SESSIONID", ``},
		{r("DELETE", "/api/auth/sessions/{}"), fuzzCookie, "..", ``},
		{r("DELETE", "/api/auth/sessions/{}"), fuzzCookieForeign, "SESSIONID", ``},
		{r("POST", "/api/auth/email-verification/verify"), fuzzBearer, "", `{"code":"VCODE"}`},
		{r("POST", "/api/auth/email-verification/verify"), fuzzBearer, "", `{"code":" VCODE "}`},
		{r("POST", "/api/auth/email-verification/verify"), fuzzBearer, "", `{"code":"１２３４５６７８"}`},
		{r("POST", "/api/auth/email-verification/verify"), fuzzBearer, "", `{"code":"1234567x"}`},
		{r("POST", "/api/auth/email-verification/verify"), fuzzBearer, "", `{"code":12345678}`},
		{r("POST", "/api/auth/email-verification/verify"), fuzzCookie, "", `{"code":"` + strings.Repeat("9", 5000) + `"}`},
		{r("GET", "/api/auth/email-verification/{}"), fuzzAnonymous, "VLINK", ``},
		{r("GET", "/api/auth/email-verification/{}"), fuzzCookie, "VLINK?callbackURL=//evil.example", ``},
		{r("GET", "/api/auth/email-verification/{}"), fuzzAnonymous, "VLINKx", ``},
		{r("POST", "/api/auth/password-reset"), fuzzAnonymous, "", `{"email":"EMAIL"}`},
		{r("POST", "/api/auth/password-reset"), fuzzAnonymous, "", `{"email":"nobody@example.com"}`},
		{r("POST", "/api/auth/password-reset/{}"), fuzzAnonymous, "RESET", `{"password":"PASSWORD"}`},
		{r("POST", "/api/auth/password-reset/{}"), fuzzCookie, "RESET", `{"password":"short"}`},
		{r("POST", "/api/auth/password-reset/{}"), fuzzAnonymous, "RESET", `{"password":"` + strings.Repeat("p", 300) + `"}`},
		{r("POST", "/api/auth/password-reset/{}"), fuzzAnonymous, "x-reset-token", `{"password":"PASSWORD"}`},
		{r("POST", "/api/auth/magic-link"), fuzzAnonymous, "", `{"email":"EMAIL","callbackURL":"//evil.example"}`},
		{r("GET", "/api/auth/magic-link/{}"), fuzzAnonymous, "MAGIC?callbackURL=/account%3Ftab%3Dsessions", ``},
		{r("GET", "/api/auth/magic-link/{}"), fuzzAnonymous, "MAGIC?callbackURL=/%5Cevil.example", ``},
		{r("GET", "/api/auth/magic-link/{}"), fuzzAnonymous, "MAGIC?callbackURL=%2F%09%2Fevil.example", ``},
		{r("GET", "/api/auth/magic-link/{}"), fuzzCookie, "MAGIC?callbackURL=https://evil.example", ``},
		{r("POST", "/api/auth/magic-link/verify"), fuzzAnonymous, "", `{"token":"MAGIC"}`},
		{r("POST", "/api/auth/two-factor/verify"), fuzzAnonymous, "", `{"method":"totp","code":"123456","pendingToken":"` + strings.Repeat("p", 43) + `"}`},
		{r("POST", "/api/auth/two-factor/verify"), fuzzCookie, "", `{"method":["totp"],"code":1,"pendingToken":null}`},
		{r("POST", "/api/auth/two-factor/verify"), fuzzAnonymous, "", `{"method":"test","code":"","pendingToken":"` + strings.Repeat("p", 5000) + `"}`},
		{r("POST", "/api/auth/step-up/email-code"), fuzzBearer, "", `{"action":"delete-account"}`},
		{r("POST", "/api/auth/step-up/email-code"), fuzzCookieForeign, "", `{"action":"change-email"}`},
		{r("POST", "/api/auth/step-up/email-code"), fuzzBearer, "", `{"action":1}`},
		{r("GET", "/api/auth/one-time-token/generate"), fuzzBearer, "", ``},
		{r("POST", "/api/auth/one-time-token/verify"), fuzzAnonymous, "", `{"token":"OTT"}`},
		{r("POST", "/api/auth/cli/token"), fuzzAnonymous, "", `{"code":"` + strings.Repeat("c", 43) + `","code_verifier":"` + strings.Repeat("v", 43) + `","redirect_uri":"http://127.0.0.1:1/cb"}`},
		{r("POST", "/api/auth/cli/token"), fuzzBearer, "", `{"code":1,"code_verifier":null}`},
		{r("POST", "/api/auth/one-time-token/verify"), fuzzAnonymous, "", `{"token":"OTT "}`},
		{r("POST", "/api/auth/one-time-token/verify"), fuzzAnonymous, "", `{"token":1}`},
		{r("POST", "/api/auth/one-time-token/verify"), fuzzAnonymous, "", `{"token":"` + strings.Repeat("t", 4096) + `"}`},
		{r("GET", "/api/auth/oauth/{}"), fuzzAnonymous, "github?next=/account", ``},
		{r("GET", "/api/auth/oauth/{}"), fuzzAnonymous, "idp?next=//evil.example", ``},
		{r("GET", "/api/auth/oauth/{}"), fuzzAnonymous, "nope", ``},
		{r("GET", "/api/auth/oauth/github/callback"), fuzzAnonymous, "state=STATE&code=OACODE", ``},
		{r("GET", "/api/auth/oauth/github/callback"), fuzzAnonymous, "state=STATE&error=access_denied&error_description=%00", ``},
		{r("GET", "/api/auth/oauth/github/callback"), fuzzAnonymous, "state=x&code=OACODE", ``},
		{r("GET", "/api/auth/oauth/github/callback"), fuzzAnonymous, "state=STATE&code=nope", ``},
		{r("GET", "/api/auth/oauth/github/callback"), fuzzAnonymous, "state=STATE&state=x&code=OACODE", ``},
		{r("POST", "/api/auth/oauth/github/callback"), fuzzAnonymous, "", `state=STATE&code=OACODE`},
		{r("GET", "/api/auth/oauth/idp/callback"), fuzzAnonymous, "state=STATE&code=OACODE", ``},
		{r("GET", "/api/auth/oauth/idp/callback"), fuzzCookie, "code=OACODE&state=STATE;x", ``},
		{r("POST", "/api/auth/oauth/idp/callback"), fuzzCookieForeign, "", `state=STATE&code=OACODE&%zz`},
		{r("GET", "/api/dev/outbox"), fuzzAnonymous, "", ``},
		{r("PUT", "/api/auth/sign-in"), fuzzBearer, "", creds},
		{r("POST", "/api/auth/{}"), fuzzAnonymous, "%2F", ``},
		{r("POST", "/api/auth/{}"), fuzzAnonymous, "sign-in/../sign-up", creds},
		{r("POST", "/api/auth/sign-in") | 0x80, fuzzAnonymous, "", creds},
		{r("POST", "/api/auth/password-reset/{}") | 0x80, fuzzAnonymous, "RESET", `{"password":"PASSWORD"}`},
		{r("GET", "/api/auth/oauth/idp/callback") | 0x80, fuzzAnonymous, "state=STATE&code=OACODE", ``},
		{r("DELETE", "/api/auth/sessions") | 0x80, fuzzDeadBearer, "", ``},
	}
	for _, s := range seeds {
		f.Add(s.route, s.mode, s.arg, []byte(s.body))
	}
	servers := []*fuzzServer{newFuzzServer(f, memory.New())}
	lite, err := sqlite.Open(filepath.Join(f.TempDir(), "latch.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { lite.Close() })
	if err := lite.Migrate(context.Background()); err != nil {
		f.Fatal(err)
	}
	servers = append(servers, newFuzzServer(f, lite))

	f.Fuzz(func(t *testing.T, route, mode uint8, arg string, body []byte) {
		s := servers[int(route>>7)%len(servers)]
		rt := fuzzRoutes[int(route&0x7f)%len(fuzzRoutes)]
		mode %= fuzzModes
		ctx := context.Background()

		sess, err := s.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: s.userID})
		if err != nil {
			t.Fatal(err)
		}
		defer s.auth.InvalidateSession(ctx, sess.ID)
		provider := ""
		if p, ok := strings.CutPrefix(rt.path, "/api/auth/oauth/"); ok {
			provider, _, _ = strings.Cut(p, "/")
		}
		rep, flowCookies := s.expand(t, sess, provider, arg+"\x00"+string(body))
		if strings.Contains(arg, "RESET") || bytes.Contains(body, []byte("RESET")) {
			// A reset may change the account's password: set it back.
			defer func() {
				pw := fuzzPassword
				if _, err := s.auth.UpdateKeyPassword(ctx, "email", fuzzEmail, &pw); err != nil {
					t.Errorf("restoring the password: %v", err)
				}
			}()
		}
		arg, sent := rep.Replace(arg), rep.Replace(string(body))

		target := s.srv.URL + rt.path
		if strings.Contains(rt.path, "{}") {
			seg, q, hasQ := strings.Cut(arg, "?")
			target = s.srv.URL + strings.Replace(rt.path, "{}", url.PathEscape(seg), 1)
			if hasQ {
				target += "?" + queryString(q)
			}
		} else if arg != "" {
			target += "?" + queryString(arg)
		}
		var rd io.Reader
		if rt.method != http.MethodGet {
			rd = strings.NewReader(sent)
		}
		req, err := http.NewRequest(rt.method, target, rd)
		if err != nil {
			return // no client could send it
		}
		switch {
		case rd == nil:
		case rt.form:
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		default:
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("X-Fuzz-Client", "10.0.0."+strconv.Itoa(int(s.clients.Add(1)%64)))
		origin := ""
		switch mode {
		case fuzzBearer:
			req.Header.Set("Authorization", "Bearer "+sess.Token)
		case fuzzCookie, fuzzCookieNoOrigin, fuzzCookieForeign, fuzzDeadBearer:
			req.AddCookie(&http.Cookie{Name: "auth_session", Value: sess.Token})
			origin = map[uint8]string{fuzzCookie: s.srv.URL, fuzzCookieForeign: fuzzForeignOrigin, fuzzDeadBearer: s.srv.URL}[mode]
			if mode == fuzzDeadBearer {
				req.Header.Set("Authorization", "Bearer "+strings.Repeat("d", 40))
			}
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for _, c := range flowCookies {
			req.AddCookie(c)
		}
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v (the server dropped the connection: a panic?)", rt.method, target, err)
		}
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("%s %s: reading the answer: %v", rt.method, target, err)
		}
		t.Logf("%s %s (mode %d): %d %s", rt.method, target, mode, res.StatusCode, res.Header.Get("Location"))
		doc, err := apiDoc()
		if err != nil {
			t.Fatal(err)
		}
		if problems := doc.Check(req, []byte(sent), res, raw); len(problems) > 0 {
			t.Fatalf("OpenAPI document, with body %q:\n%s", sent, strings.Join(problems, "\n"))
		}
		callback := strings.HasSuffix(rt.path, "/callback")
		isJSON := strings.HasPrefix(res.Header.Get("Content-Type"), "application/json")
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if res.StatusCode >= 400 {
			if !isJSON || json.Unmarshal(raw, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s with body %q: %d with %q %q, want a JSON error with code and message",
					rt.method, target, sent, res.StatusCode, res.Header.Get("Content-Type"), raw)
			}
			if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
				t.Fatalf("%s %s: 429 without Retry-After", rt.method, target)
			}
		} else if isJSON && len(bytes.TrimSpace(raw)) > 0 && !json.Valid(raw) {
			t.Fatalf("%s %s: %d with invalid JSON %q", rt.method, target, res.StatusCode, raw)
		}
		if res.StatusCode >= 500 && !(callback && res.StatusCode == http.StatusBadGateway && e.Error.Code == "OAUTH_PROVIDER_ERROR") {
			t.Fatalf("%s %s with body %q: %d %s", rt.method, target, sent, res.StatusCode, raw)
		}
		if res.StatusCode >= 300 && res.StatusCode < 400 {
			loc := res.Header.Get("Location")
			if provider != "" && !callback {
				if u, err := url.Parse(loc); err != nil || u.Scheme != "https" || (u.Host != "github.com" && u.Host != "idp.example") {
					t.Fatalf("%s %s: the OAuth start redirects to %q, not to a provider", rt.method, target, loc)
				}
			} else if leavesSite(loc) {
				t.Fatalf("%s %s: %d to %q, off the site", rt.method, target, res.StatusCode, loc)
			}
		}
		if mode == fuzzCookieForeign && !callback && rt.method != http.MethodGet &&
			(res.StatusCode != http.StatusForbidden || e.Error.Code != "INVALID_ORIGIN") {
			t.Fatalf("%s %s with the cookie and Origin %s: %d %s, want 403 INVALID_ORIGIN", rt.method, target, fuzzForeignOrigin, res.StatusCode, raw)
		}
		if origin != "" && res.StatusCode < 300 && strings.Contains(string(raw), sess.Token) {
			t.Fatalf("%s %s: a browser's answer carries the session token: %s", rt.method, target, raw)
		}
	})
}

// FuzzNormalizeEmail: an accepted address comes out canonical, so that
// normalizing it again changes nothing (one account per mailbox, whatever
// the spelling), with exactly one '@', a lower-case local part, NFC and unchanged by
// NFKC, at most 254 bytes; and its domain's punycode spelling normalizes to
// the same address.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"ada@example.com", "  Ada.Lovelace+tag@Example.COM\t", "E\u0301LODIE@EXA\u0308MPLE.COM",
		"élodie@xn--exmple-cua.com", "пользователь@пример.рф", "ΣΊΣΥΦΟΣ@example.com", "用户@例子.广告",
		"テスト太郎abc@example.jp", "a@b@example.com", "p\u0430ypal@example.com", "ada@p\u0430ypal.com",
		"\uff41@example.com", "a\u200bda@example.com", "ada@127.0.0.1", "ada@xn--pypal-4ve.com",
		"ada@xn--80ak6aa92e.com", "ada@XN--EXMPLE-CUA.COM", "İ@example.com", "ada@example.com.",
		"ada@ｅxample.com", "ada@exa\u3002mple.com", "ada@xn--ls8h.la", "ada@xn--a-ecp.ru",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := authapi.NormalizeEmail(s)
		if err != nil {
			return
		}
		switch {
		case !utf8.ValidString(out) || len(out) > 254 || strings.Count(out, "@") != 1:
			t.Fatalf("NormalizeEmail(%q) = %q: not one valid address", s, out)
		case strings.ToLower(out[:strings.IndexByte(out, '@')]) != out[:strings.IndexByte(out, '@')]:
			// (Only the local part: IDNA case-folds Cherokee to upper case.)
			t.Fatalf("NormalizeEmail(%q) = %q: local part not in lower case", s, out)
		case norm.NFC.String(out) != out || norm.NFKC.String(out) != out:
			t.Fatalf("NormalizeEmail(%q) = %q: not NFC, or changed by NFKC", s, out)
		}
		again, err := authapi.NormalizeEmail(out)
		if err != nil || again != out {
			t.Fatalf("NormalizeEmail(%q) = %q, but NormalizeEmail(%q) = %q, %v", s, out, out, again, err)
		}
		at := strings.LastIndexByte(out, '@')
		if ascii, err := idna.Lookup.ToASCII(out[at+1:]); err == nil {
			if p, err := authapi.NormalizeEmail(out[:at+1] + ascii); err != nil || p != out {
				t.Fatalf("NormalizeEmail(%q) = %q, but its punycode spelling %q gives %q, %v", s, out, out[:at+1]+ascii, p, err)
			}
		}
	})
}
