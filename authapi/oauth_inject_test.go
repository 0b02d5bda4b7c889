package authapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
)

// A Twitch code issued to one browser, injected into another browser's
// callback with that browser's own valid state, signs nobody in: the
// verifier of the other browser does not match the code's challenge
// (Twitch was sent no PKCE before).
func TestOAuthCodeInjectionRefused(t *testing.T) {
	twitch := providers.Twitch("tw-client", "tw-secret")
	f := oauthtest.New(t, twitch)
	f.RequireHeader("Client-Id", "tw-client")
	f.API("GET", "https://api.twitch.tv/helix/users", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"id":"141981764","login":"twitchdev","display_name":"TwitchDev","email":"dev@twitch.example"}]}`))
	})
	e := newEnv(t, stores[0].open(t), func(cfg *authapi.Config) {
		c, err := oauth.New(oauth.Config{BaseURL: cfg.BaseURL, Providers: []*oauth.Provider{twitch}, HTTPClient: f.Client()})
		if err != nil {
			t.Fatal(err)
		}
		cfg.OAuth = c
	})
	callback := func(c *client) *url.URL {
		r := c.do("GET", "/api/auth/oauth/twitch", nil).want(t, http.StatusFound, "")
		cb, err := f.Authorize(r.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(cb.URL)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	victim, attacker := e.browser(), e.browser()
	stolen := callback(victim).Query().Get("code")
	own := callback(attacker)
	q := own.Query()
	q.Set("code", stolen)
	own.RawQuery = q.Encode()
	attacker.do("GET", own.RequestURI(), nil).want(t, http.StatusBadRequest, "OAUTH_EXCHANGE_FAILED")
	attacker.do("GET", "/api/auth/session", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")

	// The victim's own callback still works.
	ok := e.browser()
	ok.do("GET", callback(ok).RequestURI(), nil).want(t, http.StatusSeeOther, "")
	ok.do("GET", "/api/auth/session", nil).want(t, http.StatusOK, "")
}
