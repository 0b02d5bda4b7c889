package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
)

// A provider under an id Latch keeps for its own keys would sign its
// users into those keys' accounts: "email" with a sub equal to an
// address would sign into that address's password account.
func TestReservedProviderIDsRefused(t *testing.T) {
	for _, id := range oauth.ReservedProviderIDs() {
		p := acme()
		p.ID = id
		_, err := oauth.New(oauth.Config{BaseURL: "https://app.test", Providers: []*oauth.Provider{p}})
		if err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("provider id %q: got %v, want refused as reserved", id, err)
		}
	}
	if !containsString(oauth.ReservedProviderIDs(), oauth.EmailProviderID) {
		t.Errorf("ReservedProviderIDs %v lacks %q", oauth.ReservedProviderIDs(), oauth.EmailProviderID)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Provider endpoints over plain http are refused with Secure (production)
// unless on loopback; in development they pass.
func TestPlainHTTPEndpointsRefused(t *testing.T) {
	for _, field := range []string{"Issuer", "AuthURL", "TokenURL", "JWKSURL", "UserInfoURL"} {
		p := acme()
		set := map[string]*string{"Issuer": &p.Issuer, "AuthURL": &p.AuthURL, "TokenURL": &p.TokenURL, "JWKSURL": &p.JWKSURL, "UserInfoURL": &p.UserInfoURL}
		*set[field] = "http://id.acme.test/x"
		if _, err := oauth.New(oauth.Config{BaseURL: "https://app.test", Providers: []*oauth.Provider{p}, Secure: true}); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s over http in production: got %v, want refused", field, err)
		}
		if _, err := oauth.New(oauth.Config{BaseURL: "http://localhost:8080", Providers: []*oauth.Provider{p}}); err != nil {
			t.Errorf("%s over http in development: %v", field, err)
		}
		*set[field] = "ftp://id.acme.test/x"
		if _, err := oauth.New(oauth.Config{BaseURL: "http://localhost:8080", Providers: []*oauth.Provider{p}}); err == nil {
			t.Errorf("%s over ftp: accepted", field)
		}
	}
	for _, host := range []string{"127.0.0.1:5556", "[::1]:5556", "localhost:5556", "idp.localhost"} {
		p := acme()
		p.Issuer, p.AuthURL, p.TokenURL, p.JWKSURL = "http://"+host, "http://"+host+"/a", "http://"+host+"/t", "http://"+host+"/k"
		if _, err := oauth.New(oauth.Config{BaseURL: "https://app.test", Providers: []*oauth.Provider{p}, Secure: true}); err != nil {
			t.Errorf("loopback %s in production: %v", host, err)
		}
	}

	// Endpoints from discovery are held to the same rule.
	p := &oauth.Provider{ID: "disc", ClientID: "c", ClientSecret: "s", Issuer: "https://login.disc.test", Scopes: []string{"openid"}}
	f := oauthtest.New(t, p)
	f.Handle("GET", "https://login.disc.test/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"https://login.disc.test","authorization_endpoint":"https://login.disc.test/a","token_endpoint":"http://login.disc.test/t","jwks_uri":"https://login.disc.test/k"}`))
	})
	c := newClient(t, f, true, p)
	if _, err := c.AuthCodeURL(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), "disc", ""); !errors.Is(err, oauth.ErrDiscovery) {
		t.Errorf("discovered http token endpoint in production: got %v, want ErrDiscovery", err)
	}
}

// The ID token's email_verified vouches only for the ID token's address:
// without an address in the token, the user info's address is verified
// only by the user info's own flag.
func TestEmailVerifiedOnlyWithItsAddress(t *testing.T) {
	p := acme()
	p.UserInfoURL = "https://id.acme.test/userinfo"
	f := oauthtest.New(t, p)
	f.Update(func(s *oauthtest.Settings) {
		s.Subject = "sub-1"
		s.Claims = map[string]any{"email_verified": true}
	})
	f.JSON("GET", p.UserInfoURL, map[string]any{"sub": "sub-1", "email": "victim@example.com", "email_verified": false})
	c := newClient(t, f, false, p)
	res, err := f.SignIn(c, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if u := res.User; u.Email != "victim@example.com" || u.EmailVerified {
		t.Errorf("user %+v: the token's flag verified the user info's address", u)
	}

	// The token's own address keeps its own flag, whatever user info says.
	f.Update(func(s *oauthtest.Settings) {
		s.Claims = map[string]any{"email": "t@example.com", "email_verified": false}
	})
	res, err = f.SignIn(c, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if u := res.User; u.Email != "t@example.com" || u.EmailVerified {
		t.Errorf("user %+v", u)
	}
}

// With Secure, the flow cookies carry the __Secure- prefix, and the
// callback (and the form-post relay) read them under that name.
func TestSecureFlowCookies(t *testing.T) {
	p := acme()
	p.AuthParams = map[string]string{"response_mode": "form_post"}
	f := oauthtest.New(t, p)
	c := newClient(t, f, true, p)
	authURL, cookies := start(t, c, "acme", "/next")
	for _, ck := range cookies {
		if !strings.HasPrefix(ck.Name, "__Secure-latch_oauth_") || !ck.Secure {
			t.Errorf("cookie %s: Secure %v, want the __Secure- prefix", ck.Name, ck.Secure)
		}
	}
	cb, err := f.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	// The posted callback carries the cookies: no relay needed.
	r := cb.Request()
	for _, ck := range live(cookies) {
		r.AddCookie(ck)
	}
	if c.RelayFormPost(httptest.NewRecorder(), r) {
		t.Error("relayed a post that carried the flow cookies")
	}
	w := httptest.NewRecorder()
	res, err := c.Callback(w, r, "acme")
	if err != nil || res.Next != "/next" {
		t.Fatalf("callback: %v %+v", err, res)
	}
	for _, ck := range w.Result().Cookies() {
		if !strings.HasPrefix(ck.Name, "__Secure-") || ck.MaxAge >= 0 {
			t.Errorf("callback cookie %s (MaxAge %d): want the prefixed cookie deleted", ck.Name, ck.MaxAge)
		}
	}
}

// Result.Claims holds the verified ID token's claims; without an ID
// token it is nil and DecodeClaims says so.
func TestResultClaims(t *testing.T) {
	p := acme()
	p.IDTokenOptional = true
	p.UserInfoURL = "https://id.acme.test/userinfo"
	f := oauthtest.New(t, p)
	f.Update(func(s *oauthtest.Settings) { s.Subject, s.Claims = "s-1", map[string]any{"org": "o-9", "level": 3} })
	f.JSON("GET", p.UserInfoURL, map[string]any{"sub": "s-1", "email": "a@example.com"})
	c := newClient(t, f, false, p)
	res, err := f.SignIn(c, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Org   string `json:"org"`
		Level int    `json:"level"`
		Sub   string `json:"sub"`
	}
	if err := res.DecodeClaims(&got); err != nil || got.Org != "o-9" || got.Level != 3 || got.Sub != "s-1" {
		t.Errorf("DecodeClaims: %+v, %v", got, err)
	}
	if oauth.String(res.Claims, "org") != "o-9" {
		t.Errorf("Claims %v", res.Claims)
	}
	f.Update(func(s *oauthtest.Settings) { s.NoIDToken = true })
	res, err = f.SignIn(c, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if res.Claims != nil || !errors.Is(res.DecodeClaims(&got), oauth.ErrInvalidIDToken) {
		t.Errorf("without an ID token: Claims %v", res.Claims)
	}
}
