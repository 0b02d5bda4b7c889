package providers_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
)

// everyProvider makes each provider of the package with made-up
// credentials (Apple has its own test: its secret is a signed JWT).
var everyProvider = map[string]func() *oauth.Provider{
	"atlassian": func() *oauth.Provider { return providers.Atlassian("id", "secret") },
	"auth0":     func() *oauth.Provider { return providers.Auth0("tenant.eu.auth0.com", "id", "secret") },
	"bitbucket": func() *oauth.Provider { return providers.Bitbucket("id", "secret") },
	"box":       func() *oauth.Provider { return providers.Box("id", "secret") },
	"cognito":   func() *oauth.Provider { return providers.Cognito("eu-west-1", "eu-west-1_pool", "id", "secret") },
	"discord":   func() *oauth.Provider { return providers.Discord("id", "secret") },
	"dropbox":   func() *oauth.Provider { return providers.Dropbox("id", "secret") },
	"facebook":  func() *oauth.Provider { return providers.Facebook("id", "secret") },
	"github":    func() *oauth.Provider { return providers.GitHub("id", "secret") },
	"gitlab":    func() *oauth.Provider { return providers.GitLab("id", "secret") },
	"google":    func() *oauth.Provider { return providers.Google("id", "secret") },
	"kakao":     func() *oauth.Provider { return providers.Kakao("id", "secret") },
	"keycloak":  func() *oauth.Provider { return providers.Keycloak("https://sso.example.com", "main", "id", "secret") },
	"lichess":   func() *oauth.Provider { return providers.Lichess("id") },
	"line":      func() *oauth.Provider { return providers.Line("1234567890", lineSecret) },
	"linkedin":  func() *oauth.Provider { return providers.LinkedIn("id", "secret") },
	"microsoft": func() *oauth.Provider { return providers.Microsoft("", "id", "secret") },
	"oidc": func() *oauth.Provider {
		return providers.OIDC("corp", "Corp", "https://sso.corp.example", "id", "secret")
	},
	"osu":        func() *oauth.Provider { return providers.Osu("id", "secret") },
	"patreon":    func() *oauth.Provider { return providers.Patreon("id", "secret") },
	"reddit":     func() *oauth.Provider { return providers.Reddit("id", "secret") },
	"salesforce": func() *oauth.Provider { return providers.Salesforce("id", "secret") },
	"slack":      func() *oauth.Provider { return providers.Slack("id", "secret") },
	"spotify":    func() *oauth.Provider { return providers.Spotify("id", "secret") },
	"strava":     func() *oauth.Provider { return providers.Strava("id", "secret") },
	"twitch":     func() *oauth.Provider { return providers.Twitch("id", "secret") },
	"twitter":    func() *oauth.Provider { return providers.Twitter("id", "secret") },
}

// browser is one browser's flow: the callback the provider sent it back
// with, and the flow cookies it holds.
type browser struct {
	callback oauthtest.Callback
	cookies  []*http.Cookie
}

func startFlow(t *testing.T, c *oauth.Client, f *oauthtest.Server, id string) browser {
	t.Helper()
	w := httptest.NewRecorder()
	authURL, err := c.AuthCodeURL(w, httptest.NewRequest("GET", "/api/auth/oauth/"+id, nil), id, "")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := f.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	var b browser
	b.callback = cb
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge > 0 {
			b.cookies = append(b.cookies, &http.Cookie{Name: ck.Name, Value: ck.Value})
		}
	}
	return b
}

// withCode returns b's callback carrying another code.
func (b browser) withCode(t *testing.T, code string) *http.Request {
	t.Helper()
	cb := b.callback
	if cb.Method == http.MethodPost {
		form := url.Values{}
		for k, v := range cb.Form {
			form[k] = v
		}
		form.Set("code", code)
		cb.Form = form
	} else {
		u, err := url.Parse(cb.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("code", code)
		u.RawQuery = q.Encode()
		cb.URL = u.String()
	}
	r := cb.Request()
	for _, ck := range b.cookies {
		r.AddCookie(ck)
	}
	return r
}

func (b browser) code() string {
	if b.callback.Method == http.MethodPost {
		return b.callback.Form.Get("code")
	}
	u, _ := url.Parse(b.callback.URL)
	return u.Query().Get("code")
}

// A code issued to one browser's sign-in, replayed in another browser's
// callback (with that browser's own valid state), is refused at the
// exchange for every provider: PKCE binds the code to the verifier in the
// browser that started the sign-in. The fake answers each provider's ID
// token without a nonce, as LinkedIn does, so that the nonce cannot be
// what refuses it.
func TestCodeFromAnotherBrowserRefused(t *testing.T) {
	for name, make := range everyProvider {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := make()
			f := oauthtest.New(t, p)
			f.Update(func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { delete(c, "nonce") } })
			c, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client(), Secure: true})
			if err != nil {
				t.Fatal(err)
			}
			victim := startFlow(t, c, f, p.ID)
			attacker := startFlow(t, c, f, p.ID)
			_, err = c.Callback(httptest.NewRecorder(), attacker.withCode(t, victim.code()), p.ID)
			if !errors.Is(err, oauth.ErrExchange) {
				t.Fatalf("a code from another browser: got %v, want ErrExchange", err)
			}
		})
	}
}

// For a provider that ignores PKCE, the nonce required in every ID token
// (but LinkedIn's, which carries none) still refuses another browser's
// code.
func TestCodeFromAnotherBrowserRefusedByNonce(t *testing.T) {
	for name, make := range everyProvider {
		p := make()
		if !p.OIDC() || p.NonceOptional {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := oauthtest.New(t, p)
			f.Update(func(s *oauthtest.Settings) { s.IgnorePKCE = true })
			c, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client(), Secure: true})
			if err != nil {
				t.Fatal(err)
			}
			victim := startFlow(t, c, f, p.ID)
			attacker := startFlow(t, c, f, p.ID)
			_, err = c.Callback(httptest.NewRecorder(), attacker.withCode(t, victim.code()), p.ID)
			if !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Fatalf("got %v, want ErrInvalidIDToken", err)
			}
		})
	}
}
