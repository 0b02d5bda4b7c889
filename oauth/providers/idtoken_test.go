package providers_test

import (
	"errors"
	"testing"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
)

// lineSecret is a channel secret as LINE makes them: 32 hex digits, the
// HS256 key of its ID tokens.
const lineSecret = "0123456789abcdef0123456789abcdef"

// signIn runs one sign-in with the provider against a fake changed by
// settings.
func signIn(t *testing.T, p *oauth.Provider, settings func(*oauthtest.Settings), setup func(*oauthtest.Server)) (*oauth.Result, error) {
	t.Helper()
	f := oauthtest.New(t, p)
	f.Update(settings)
	if setup != nil {
		setup(f)
	}
	c, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return f.SignIn(c, p.ID)
}

// LINE's web-login ID tokens are HS256 with the channel secret; every
// check of go-oidc's verifier still applies.
func TestLineIDToken(t *testing.T) {
	line := func() *oauth.Provider { return providers.Line("1234567890", lineSecret) }
	base := func(s *oauthtest.Settings) {
		s.Subject = "U1"
		s.Claims = map[string]any{"name": "Brown", "email": "brown@example.com"}
	}

	res, err := signIn(t, line(), base, nil)
	if err != nil {
		t.Fatalf("good HS256 token: %v", err)
	}
	if res.User.ID != "U1" || res.User.Name != "Brown" {
		t.Errorf("user %+v", res.User)
	}

	for name, change := range map[string]func(*oauthtest.Settings){
		"another secret":  func(s *oauthtest.Settings) { s.MACKey = []byte("ffffffffffffffffffffffffffffffff") },
		"alg not allowed": func(s *oauthtest.Settings) { s.SigningAlg = "RS256" },
		"HS512 not allowed": func(s *oauthtest.Settings) {
			s.SigningAlg, s.MACKey = "HS512", []byte(lineSecret+lineSecret)
		},
		"wrong audience": func(s *oauthtest.Settings) { s.Claims = map[string]any{"aud": "another-channel"} },
		"wrong issuer":   func(s *oauthtest.Settings) { s.Claims = map[string]any{"iss": "https://evil.example"} },
		"nonce mismatch": func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { c["nonce"] = "other" } },
		"no nonce":       func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { delete(c, "nonce") } },
		"expired":        func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { c["exp"] = 1 } },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := signIn(t, line(), func(s *oauthtest.Settings) { base(s); change(s) }, nil)
			t.Log(err)
			if !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Errorf("got %v, want ErrInvalidIDToken", err)
			}
		})
	}

	t.Run("no ID token: the user info endpoint", func(t *testing.T) {
		res, err := signIn(t, line(), func(s *oauthtest.Settings) { s.NoIDToken = true }, func(f *oauthtest.Server) {
			f.JSON("GET", "https://api.line.me/oauth2/v2.1/userinfo", map[string]any{"sub": "U2", "name": "Cony", "picture": "https://profile.line-scdn.net/c"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if u := res.User; u.ID != "U2" || u.Name != "Cony" || u.AvatarURL != "https://profile.line-scdn.net/c" {
			t.Errorf("user %+v", u)
		}
	})

	t.Run("a channel secret too short for HS256", func(t *testing.T) {
		if _, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{providers.Line("1", "short")}}); err == nil {
			t.Error("New accepted it")
		}
	})
}

// LinkedIn's ID tokens carry no nonce; one that does must match, and the
// signature, audience, issuer and expiry are checked as for any other.
func TestLinkedInIDToken(t *testing.T) {
	linkedin := func() *oauth.Provider { return providers.LinkedIn("client-id", "client-secret") }
	noNonce := func(c map[string]any) { delete(c, "nonce") }
	base := func(s *oauthtest.Settings) {
		s.Subject, s.Tamper = "782bbtaQ", noNonce
		s.Claims = map[string]any{"email": "doe@email.com", "email_verified": true, "name": "John Doe"}
	}
	res, err := signIn(t, linkedin(), base, nil)
	if err != nil {
		t.Fatalf("token without a nonce: %v", err)
	}
	if u := res.User; u.ID != "782bbtaQ" || u.Email != "doe@email.com" || !u.EmailVerified {
		t.Errorf("user %+v", u)
	}

	other := oauthtest.NewKey(t)
	for name, change := range map[string]func(*oauthtest.Settings){
		"nonce mismatch": func(s *oauthtest.Settings) { s.Tamper = func(c map[string]any) { c["nonce"] = "other" } },
		"bad signature":  func(s *oauthtest.Settings) { s.SigningKey = other },
		"wrong audience": func(s *oauthtest.Settings) { s.Claims = map[string]any{"aud": "another-client"} },
		"wrong issuer":   func(s *oauthtest.Settings) { s.Claims = map[string]any{"iss": "https://www.linkedin.com"} },
		"MAC-signed":     func(s *oauthtest.Settings) { s.SigningAlg, s.MACKey = "HS256", []byte(lineSecret) },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := signIn(t, linkedin(), func(s *oauthtest.Settings) { base(s); change(s) }, nil)
			t.Log(err)
			if !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Errorf("got %v, want ErrInvalidIDToken", err)
			}
		})
	}
}
