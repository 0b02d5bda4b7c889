package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
)

// acme is an OIDC provider with static endpoints on a made-up host that
// the fake answers for.
func acme() *oauth.Provider {
	return &oauth.Provider{
		ID: "acme", Name: "Acme", ClientID: "acme-client", ClientSecret: "acme-secret",
		Issuer:   "https://id.acme.test",
		AuthURL:  "https://id.acme.test/authorize",
		TokenURL: "https://id.acme.test/token",
		JWKSURL:  "https://id.acme.test/jwks",
		Scopes:   []string{"openid", "email", "profile"},
	}
}

func newClient(t *testing.T, f *oauthtest.Server, secure bool, ps ...*oauth.Provider) *oauth.Client {
	t.Helper()
	c, err := oauth.New(oauth.Config{BaseURL: "http://app.test", Providers: ps, HTTPClient: f.Client(), Secure: secure})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// start runs AuthCodeURL and returns the provider URL and the cookies set.
func start(t *testing.T, c *oauth.Client, id, next string) (string, []*http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	u, err := c.AuthCodeURL(w, httptest.NewRequest("GET", "/api/auth/oauth/"+id, nil), id, next)
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	return u, w.Result().Cookies()
}

// live returns the cookies a browser keeps from a response's Set-Cookie.
func live(cs []*http.Cookie) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range cs {
		if c.MaxAge > 0 {
			out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	return out
}

func callback(t *testing.T, c *oauth.Client, id string, cb oauthtest.Callback, cookies []*http.Cookie) (*oauth.Result, *httptest.ResponseRecorder, error) {
	t.Helper()
	r := cb.Request()
	for _, ck := range cookies {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	res, err := c.Callback(w, r, id)
	return res, w, err
}

func TestNewValidates(t *testing.T) {
	good := acme()
	for name, cfg := range map[string]oauth.Config{
		"no base":        {Providers: []*oauth.Provider{good}},
		"relative base":  {BaseURL: "/x", Providers: []*oauth.Provider{good}},
		"bad id":         {BaseURL: "http://a.test", Providers: []*oauth.Provider{{ID: "a:b", ClientID: "x", Issuer: "https://i.test"}}},
		"no client id":   {BaseURL: "http://a.test", Providers: []*oauth.Provider{{ID: "a", Issuer: "https://i.test"}}},
		"no endpoints":   {BaseURL: "http://a.test", Providers: []*oauth.Provider{{ID: "a", ClientID: "x"}}},
		"duplicate":      {BaseURL: "http://a.test", Providers: []*oauth.Provider{good, acme()}},
		"nil provider":   {BaseURL: "http://a.test", Providers: []*oauth.Provider{nil}},
		"matcher, no ks": {BaseURL: "http://a.test", Providers: []*oauth.Provider{{ID: "a", ClientID: "x", Issuer: "https://i.test", IssuerMatches: func(string, map[string]any) bool { return true }}}},
	} {
		if _, err := oauth.New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	c, err := oauth.New(oauth.Config{BaseURL: "https://a.test/", Providers: []*oauth.Provider{good}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RedirectURL("acme"); got != "https://a.test/api/auth/oauth/acme/callback" {
		t.Errorf("RedirectURL = %q", got)
	}
	if p, ok := c.Provider("acme"); !ok || p != good || len(c.Providers()) != 1 {
		t.Errorf("Provider/Providers do not list the provider")
	}
}

func TestAuthCodeURL(t *testing.T) {
	p := acme()
	p.AuthParams = map[string]string{"prompt": "select_account"}
	f := oauthtest.New(t, p)
	c := newClient(t, f, true, p)
	authURL, cookies := start(t, c, "acme", "/dashboard?tab=1")
	u, err := url.Parse(authURL)
	if err != nil || u.Host != "id.acme.test" || u.Path != "/authorize" {
		t.Fatalf("auth URL %q", authURL)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"client_id": "acme-client", "response_type": "code", "scope": "openid email profile",
		"redirect_uri": "http://app.test/api/auth/oauth/acme/callback", "code_challenge_method": "S256",
		"prompt": "select_account",
	} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	// 32 random bytes: 43 base64url characters, 256 bits.
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state %q, nonce %q, challenge %q: too short", q.Get("state"), q.Get("nonce"), q.Get("code_challenge"))
	}
	byName := map[string]*http.Cookie{}
	for _, ck := range cookies {
		byName[ck.Name] = ck
		if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/api/auth/oauth/acme/callback" {
			t.Errorf("cookie %s: HttpOnly %v Secure %v SameSite %v Path %q", ck.Name, ck.HttpOnly, ck.Secure, ck.SameSite, ck.Path)
		}
	}
	// Secure: the names carry the __Secure- prefix (a browser refuses
	// such a cookie from plain http).
	for _, name := range []string{"latch_oauth_state", "latch_oauth_verifier", "latch_oauth_nonce", "latch_oauth_next"} {
		ck := byName["__Secure-"+name]
		if ck == nil || ck.MaxAge != int(oauth.FlowTTL/time.Second) || oauth.FlowTTL != 10*time.Minute {
			t.Errorf("cookie %s missing or not living 10 minutes: %+v", name, ck)
		}
	}
	if byName["__Secure-latch_oauth_state"].Value != q.Get("state") {
		t.Error("the state cookie is not the URL's state")
	}
	if oauth2.S256ChallengeFromVerifier(byName["__Secure-latch_oauth_verifier"].Value) != q.Get("code_challenge") {
		t.Error("the verifier cookie does not match the challenge")
	}

	// A new flow has a new state; an unsafe next sets no next cookie, and
	// clears one left by an earlier flow.
	authURL2, cookies2 := start(t, c, "acme", "//evil.example")
	if u2, _ := url.Parse(authURL2); u2.Query().Get("state") == q.Get("state") {
		t.Error("two flows got the same state")
	}
	for _, ck := range cookies2 {
		if ck.Name == "__Secure-latch_oauth_next" && ck.MaxAge >= 0 {
			t.Errorf("next cookie set for an unsafe next: %+v", ck)
		}
	}

	// Dev: no Secure.
	_, devCookies := start(t, newClient(t, f, false, p), "acme", "")
	for _, ck := range devCookies {
		if ck.Secure || strings.HasPrefix(ck.Name, "__Secure-") {
			t.Errorf("cookie %s is Secure outside production", ck.Name)
		}
	}

	if _, err := c.AuthCodeURL(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), "nope", ""); !errors.Is(err, oauth.ErrUnknownProvider) {
		t.Errorf("unknown provider: %v", err)
	}
}

func TestSignIn(t *testing.T) {
	p := acme()
	f := oauthtest.New(t, p)
	f.Update(func(s *oauthtest.Settings) {
		s.Subject = "u-1"
		s.Claims = map[string]any{"email": "Ann@Example.com", "email_verified": true, "name": "Ann", "picture": "https://img.test/a.png"}
	})
	c := newClient(t, f, false, p)
	authURL, cookies := start(t, c, "acme", "/after?x=1")
	cb, err := f.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res, w, err := callback(t, c, "acme", cb, live(cookies))
	if err != nil {
		t.Fatalf("Callback: %v", err)
	}
	want := oauth.ProviderUser{ID: "u-1", Email: "Ann@Example.com", EmailVerified: true, Name: "Ann", AvatarURL: "https://img.test/a.png"}
	got := res.User
	if got.ID != want.ID || got.Email != want.Email || got.EmailVerified != want.EmailVerified || got.Name != want.Name || got.AvatarURL != want.AvatarURL {
		t.Errorf("user %+v, want %+v", got, want)
	}
	if res.Next != "/after?x=1" || res.ProviderID != "acme" || res.Token.AccessToken == "" {
		t.Errorf("result %+v", res)
	}
	if oauth.String(res.User.Raw, "iss") != "https://id.acme.test" {
		t.Errorf("Raw lacks the claims: %v", res.User.Raw)
	}
	cleared := map[string]bool{}
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 && ck.Path == "/api/auth/oauth/acme/callback" {
			cleared[ck.Name] = true
		}
	}
	if len(cleared) != 4 {
		t.Errorf("callback cleared %v, want the 4 flow cookies", cleared)
	}
	// The same callback again, as the browser has it now: no cookies.
	if _, _, err := callback(t, c, "acme", cb, nil); !errors.Is(err, oauth.ErrInvalidState) {
		t.Errorf("replayed callback: %v, want ErrInvalidState", err)
	}
	// Replayed with the old cookies kept by hand: the code is used up.
	if _, _, err := callback(t, c, "acme", cb, live(cookies)); !errors.Is(err, oauth.ErrExchange) {
		t.Errorf("replayed code: %v, want ErrExchange", err)
	}
}

func TestCallbackRefusals(t *testing.T) {
	p := acme()
	f := oauthtest.New(t, p)
	c := newClient(t, f, false, p)

	begin := func(t *testing.T) (oauthtest.Callback, []*http.Cookie) {
		t.Helper()
		authURL, cookies := start(t, c, "acme", "")
		cb, err := f.Authorize(authURL)
		if err != nil {
			t.Fatal(err)
		}
		return cb, live(cookies)
	}
	without := func(cs []*http.Cookie, name string) []*http.Cookie {
		var out []*http.Cookie
		for _, ck := range cs {
			if ck.Name != name {
				out = append(out, ck)
			}
		}
		return out
	}
	replace := func(cs []*http.Cookie, name, value string) []*http.Cookie {
		return append(without(cs, name), &http.Cookie{Name: name, Value: value})
	}

	t.Run("no state cookie", func(t *testing.T) {
		cb, cookies := begin(t)
		if _, _, err := callback(t, c, "acme", cb, without(cookies, "latch_oauth_state")); !errors.Is(err, oauth.ErrInvalidState) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("other state", func(t *testing.T) {
		cb, cookies := begin(t)
		if _, _, err := callback(t, c, "acme", cb, replace(cookies, "latch_oauth_state", "forged-state-forged-state-forged-state-000")); !errors.Is(err, oauth.ErrInvalidState) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("state missing from the callback", func(t *testing.T) {
		cb, cookies := begin(t)
		u, _ := url.Parse(cb.URL)
		q := u.Query()
		q.Del("state")
		u.RawQuery = q.Encode()
		cb.URL = u.String()
		if _, _, err := callback(t, c, "acme", cb, cookies); !errors.Is(err, oauth.ErrInvalidState) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no verifier", func(t *testing.T) {
		cb, cookies := begin(t)
		if _, _, err := callback(t, c, "acme", cb, without(cookies, "latch_oauth_verifier")); !errors.Is(err, oauth.ErrInvalidState) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		cb, cookies := begin(t)
		_, _, err2 := callback(t, c, "acme", cb, replace(cookies, "latch_oauth_verifier", oauth2.GenerateVerifier()))
		var re *oauth2.RetrieveError
		if !errors.Is(err2, oauth.ErrExchange) || !errors.As(err2, &re) || re.ErrorCode != "invalid_grant" {
			t.Errorf("got %v", err2)
		}
	})
	t.Run("denied", func(t *testing.T) {
		f.Update(func(s *oauthtest.Settings) { s.Deny = "access_denied" })
		defer f.Update(func(s *oauthtest.Settings) { s.Deny = "" })
		cb, cookies := begin(t)
		_, _, err := callback(t, c, "acme", cb, cookies)
		var ae *oauth.AuthorizationError
		if !errors.Is(err, oauth.ErrConsentDenied) || !errors.As(err, &ae) || ae.Code != "access_denied" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		f.Update(func(s *oauthtest.Settings) { s.Deny = "temporarily_unavailable" })
		defer f.Update(func(s *oauthtest.Settings) { s.Deny = "" })
		cb, cookies := begin(t)
		if _, _, err := callback(t, c, "acme", cb, cookies); !errors.Is(err, oauth.ErrAuthorization) || errors.Is(err, oauth.ErrConsentDenied) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("forged denial", func(t *testing.T) {
		_, cookies := begin(t)
		cb := oauthtest.Callback{Method: "GET", URL: "http://app.test/api/auth/oauth/acme/callback?error=access_denied&state=guess"}
		if _, _, err := callback(t, c, "acme", cb, cookies); !errors.Is(err, oauth.ErrInvalidState) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		cb, cookies := begin(t)
		if _, _, err := callback(t, c, "other", cb, cookies); !errors.Is(err, oauth.ErrUnknownProvider) {
			t.Errorf("got %v", err)
		}
	})

	// ID token checks.
	other := oauthtest.NewKey(t)
	for name, change := range map[string]func(*oauthtest.Settings){
		"wrong audience": func(s *oauthtest.Settings) { s.Claims = map[string]any{"aud": "another-client"} },
		"expired":        func(s *oauthtest.Settings) { s.Now = func() time.Time { return time.Now().Add(-3 * time.Hour) } },
		"wrong issuer":   func(s *oauthtest.Settings) { s.Claims = map[string]any{"iss": "https://evil.test"} },
		"nonce mismatch": func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { c["nonce"] = "another-nonce" } },
		"no nonce":       func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { delete(c, "nonce") } },
		"bad signature":  func(s *oauthtest.Settings) { s.SigningKey = other },
		"unknown key":    func(s *oauthtest.Settings) { s.SigningKey, s.SigningKeyID = other, "unknown-kid" },
		"no ID token":    func(s *oauthtest.Settings) { s.NoIDToken = true },
		"foreign azp": func(s *oauthtest.Settings) {
			s.Claims = map[string]any{"aud": []string{"acme-client", "x"}, "azp": "x"}
		},
		"foreign azp, one audience": func(s *oauthtest.Settings) { s.Claims = map[string]any{"azp": "another-client"} },
		"several audiences, no azp": func(s *oauthtest.Settings) { s.Claims = map[string]any{"aud": []string{"acme-client", "x"}} },
		"issued in the future": func(s *oauthtest.Settings) {
			s.Claims = map[string]any{"iat": time.Now().Add(time.Hour).Unix()}
		},
		"exp as a string": func(s *oauthtest.Settings) {
			s.Tamper = func(c map[string]any) { c["exp"] = strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) }
		},
		"iat as a string": func(s *oauthtest.Settings) {
			s.Tamper = func(c map[string]any) { c["iat"] = strconv.FormatInt(time.Now().Unix(), 10) }
		},
		"no exp": func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { delete(c, "exp") } },
	} {
		t.Run(name, func(t *testing.T) {
			f.Update(change)
			defer f.Update(func(s *oauthtest.Settings) { *s = oauthtest.Settings{} })
			cb, cookies := begin(t)
			_, _, err := callback(t, c, "acme", cb, cookies)
			t.Log(err)
			if !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Errorf("got %v, want ErrInvalidIDToken", err)
			}
		})
	}
}

func TestUserMapping(t *testing.T) {
	for name, fn := range map[string]func(context.Context, *oauth.UserData) (oauth.ProviderUser, error){
		"no id": func(context.Context, *oauth.UserData) (oauth.ProviderUser, error) {
			return oauth.ProviderUser{Email: "a@b.test"}, nil
		},
		"control id": func(context.Context, *oauth.UserData) (oauth.ProviderUser, error) {
			return oauth.ProviderUser{ID: "a\x00b"}, nil
		},
		"fails": func(context.Context, *oauth.UserData) (oauth.ProviderUser, error) {
			return oauth.ProviderUser{}, errors.New("boom")
		},
		"api refuses": func(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			var v any
			return oauth.ProviderUser{ID: "x"}, d.GetJSON(ctx, "https://api.acme.test/missing", &v)
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := acme()
			p.User = fn
			f := oauthtest.New(t, p)
			if _, err := f.SignIn(newClient(t, f, false, p), "acme"); !errors.Is(err, oauth.ErrUserInfo) {
				t.Errorf("got %v, want ErrUserInfo", err)
			}
		})
	}

	// What the provider says is tidied: no verified flag without an
	// address, no control characters in names, only http(s) avatars.
	p := acme()
	p.User = func(context.Context, *oauth.UserData) (oauth.ProviderUser, error) {
		return oauth.ProviderUser{ID: " 42 ", Email: "not-an-address", EmailVerified: true, Name: " Ann\u202e\x07 ", AvatarURL: "javascript:alert(1)"}, nil
	}
	f := oauthtest.New(t, p)
	res, err := f.SignIn(newClient(t, f, false, p), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if u := res.User; u.ID != "42" || u.Email != "" || u.EmailVerified || u.Name != "Ann" || u.AvatarURL != "" {
		t.Errorf("user not tidied: %+v", u)
	}
}

func TestUserInfoFillsIn(t *testing.T) {
	// An ID token without an email: the user info endpoint is asked, and
	// used only when it is about the same subject.
	p := acme()
	p.UserInfoURL = "https://id.acme.test/userinfo"
	f := oauthtest.New(t, p)
	f.Update(func(s *oauthtest.Settings) { s.Subject = "sub-1" })
	f.JSON("GET", p.UserInfoURL, map[string]any{"sub": "sub-1", "email": "b@example.com", "email_verified": true, "name": "Bea"})
	c := newClient(t, f, false, p)
	res, err := f.SignIn(c, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if u := res.User; u.ID != "sub-1" || u.Email != "b@example.com" || !u.EmailVerified || u.Name != "Bea" {
		t.Errorf("user %+v", u)
	}
	f.JSON("GET", p.UserInfoURL, map[string]any{"sub": "someone-else", "email": "b@example.com", "email_verified": true})
	res, err = f.SignIn(c, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if u := res.User; u.ID != "sub-1" || u.Email != "" || u.EmailVerified {
		t.Errorf("user info of another subject was used: %+v", u)
	}
}

func TestDiscovery(t *testing.T) {
	p := &oauth.Provider{ID: "disc", ClientID: "c", ClientSecret: "s", Issuer: "https://login.disc.test", Scopes: []string{"openid", "email"}}
	f := oauthtest.New(t, p)
	f.Update(func(s *oauthtest.Settings) {
		s.Claims = map[string]any{"email": "d@example.com", "email_verified": true}
	})
	c := newClient(t, f, false, p)
	for range 2 {
		res, err := f.SignIn(c, "disc")
		if err != nil {
			t.Fatal(err)
		}
		if res.User.Email != "d@example.com" {
			t.Errorf("user %+v", res.User)
		}
	}
	if n := f.Hits("GET", "https://login.disc.test/.well-known/openid-configuration"); n != 1 {
		t.Errorf("discovery fetched %d times, want once", n)
	}

	// A discovery document that names another issuer is refused.
	bad := &oauth.Provider{ID: "bad", ClientID: "c", Issuer: "https://bad.disc.test"}
	fb := oauthtest.New(t, bad)
	fb.Handle("GET", "https://bad.disc.test/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"https://evil.test","authorization_endpoint":"https://evil.test/a","token_endpoint":"https://evil.test/t","jwks_uri":"https://evil.test/k"}`))
	})
	cb := newClient(t, fb, false, bad)
	if _, err := cb.AuthCodeURL(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), "bad", ""); !errors.Is(err, oauth.ErrDiscovery) {
		t.Errorf("got %v, want ErrDiscovery", err)
	}
}

func TestRelayFormPost(t *testing.T) {
	p := acme()
	p.AuthParams = map[string]string{"response_mode": "form_post"}
	f := oauthtest.New(t, p)
	c := newClient(t, f, false, p)
	authURL, cookies := start(t, c, "acme", "")
	cb, err := f.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Method != "POST" || cb.Form.Get("code") == "" {
		t.Fatalf("the fake did not post: %+v", cb)
	}
	// The cross-site post brings no cookies: relayed as a GET.
	w := httptest.NewRecorder()
	if !c.RelayFormPost(w, cb.Request()) {
		t.Fatal("RelayFormPost did not answer a post without cookies")
	}
	loc := w.Result().Header.Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/api/auth/oauth/acme/callback?") {
		t.Fatalf("relay answered %d %q", w.Code, loc)
	}
	get := oauthtest.Callback{Method: "GET", URL: "http://app.test" + loc}
	if c.RelayFormPost(httptest.NewRecorder(), get.Request()) {
		t.Error("RelayFormPost answered a GET")
	}
	if _, _, err := callback(t, c, "acme", get, live(cookies)); err != nil {
		t.Fatalf("callback after relay: %v", err)
	}
	// A post that does bring the cookies is left to Callback, which reads its form.
	authURL, cookies = start(t, c, "acme", "")
	if cb, err = f.Authorize(authURL); err != nil {
		t.Fatal(err)
	}
	r := cb.Request()
	for _, ck := range live(cookies) {
		r.AddCookie(ck)
	}
	if c.RelayFormPost(httptest.NewRecorder(), r) {
		t.Error("RelayFormPost answered a post that has the cookies")
	}
	if _, _, err := callback(t, c, "acme", cb, live(cookies)); err != nil {
		t.Errorf("posted callback: %v", err)
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/account":             "/account",
		"/a/b?c=d#e":           "/a/b?c=d#e",
		"":                     "",
		"account":              "",
		"//evil.example":       "",
		"//evil.example/path":  "",
		"https://evil.example": "",
		"/\\evil":              "",
		"/\\/evil.example":     "",
		"/\tevil":              "",
		"/a\r\nSet-Cookie: x":  "",
		"javascript:alert(1)":  "",
		"/ok\\x":               "",
	} {
		if got := oauth.SafeNext(next); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
