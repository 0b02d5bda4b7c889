package oauth_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
)

// mockOIDC starts a real OIDC server (mockoidc) on loopback. tamper, when
// not nil, rewrites the ID token of its token responses; past moves the
// server's clock back (its tokens are born expired).
func mockOIDC(t *testing.T, tamper func(m *mockoidc.MockOIDC, idToken string) string, past time.Duration) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if past > 0 {
		m.FastForward(-past)
	}
	if tamper != nil {
		err := m.AddMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != mockoidc.TokenEndpoint {
					next.ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				var body map[string]any
				if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &body) == nil {
					if idt, ok := body["id_token"].(string); ok {
						body["id_token"] = tamper(m, idt)
					}
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(rec.Code)
				_ = json.NewEncoder(w).Encode(body)
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// claimsOf reads a JWT's payload without verifying it (the test's own
// tampering needs the claims it changes).
func claimsOf(t *testing.T, raw string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// resign signs edited claims with mockoidc's own key: a valid signature
// over claims the client must still refuse.
func resign(t *testing.T, edit func(jwt.MapClaims)) func(*mockoidc.MockOIDC, string) string {
	return func(m *mockoidc.MockOIDC, raw string) string {
		c := claimsOf(t, raw)
		edit(c)
		s, err := m.Keypair.SignJWT(c)
		if err != nil {
			t.Error(err)
		}
		return s
	}
}

func genericClient(t *testing.T, m *mockoidc.MockOIDC, secret string) *oauth.Client {
	t.Helper()
	p := providers.OIDC("oidc", "Mock", m.Issuer(), m.ClientID, secret)
	c, err := oauth.New(oauth.Config{BaseURL: "http://app.test", Providers: []*oauth.Provider{p}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// browserAuthorize follows the provider URL like a browser: mockoidc
// approves at once and redirects to the callback.
func browserAuthorize(t *testing.T, authURL string) oauthtest.Callback {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("mockoidc authorize: %s", res.Status)
	}
	return oauthtest.Callback{Method: "GET", URL: res.Header.Get("Location")}
}

func TestGenericOIDCWithMockOIDC(t *testing.T) {
	t.Run("good login", func(t *testing.T) {
		m := mockOIDC(t, nil, 0)
		m.QueueUser(&mockoidc.MockUser{Subject: "alice-1", Email: "alice@example.com", EmailVerified: true, PreferredUsername: "alice"})
		c := genericClient(t, m, m.ClientSecret)
		authURL, cookies := start(t, c, "oidc", "/welcome")
		if !strings.HasPrefix(authURL, m.AuthorizationEndpoint()) {
			t.Fatalf("auth URL %q is not the discovered endpoint", authURL)
		}
		cb := browserAuthorize(t, authURL)
		res, _, err := callback(t, c, "oidc", cb, live(cookies))
		if err != nil {
			t.Fatalf("Callback: %v", err)
		}
		if u := res.User; u.ID != "alice-1" || u.Email != "alice@example.com" || !u.EmailVerified || u.Name != "alice" || res.Next != "/welcome" {
			t.Errorf("result %+v", res)
		}
		// Replayed state: the browser no longer has the flow cookies.
		if _, _, err := callback(t, c, "oidc", cb, nil); !errors.Is(err, oauth.ErrInvalidState) {
			t.Errorf("replayed state: %v, want ErrInvalidState", err)
		}
		// Replayed with the old cookies: state matches, the code is spent.
		if _, _, err := callback(t, c, "oidc", cb, live(cookies)); !errors.Is(err, oauth.ErrExchange) {
			t.Errorf("replayed code: %v, want ErrExchange", err)
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		m := mockOIDC(t, nil, 0)
		c := genericClient(t, m, "not-the-secret")
		authURL, cookies := start(t, c, "oidc", "")
		if _, _, err := callback(t, c, "oidc", browserAuthorize(t, authURL), live(cookies)); !errors.Is(err, oauth.ErrExchange) {
			t.Errorf("got %v, want ErrExchange", err)
		}
	})

	for name, tc := range map[string]struct {
		tamper func(*mockoidc.MockOIDC, string) string
		past   time.Duration
	}{
		"wrong audience": {tamper: resign(t, func(c jwt.MapClaims) { c["aud"] = []string{"some-other-client"} })},
		"wrong issuer":   {tamper: resign(t, func(c jwt.MapClaims) { c["iss"] = "https://evil.example/oidc" })},
		"expired token":  {past: 2 * time.Hour},
		"expired claim": {tamper: resign(t, func(c jwt.MapClaims) {
			c["exp"] = time.Now().Add(-time.Minute).Unix()
		})},
		"nonce mismatch": {tamper: resign(t, func(c jwt.MapClaims) { c["nonce"] = "not-this-browsers-nonce" })},
		"bad signature": {tamper: func(_ *mockoidc.MockOIDC, raw string) string {
			// The payload edited after signing: the signature no longer fits.
			parts := strings.Split(raw, ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			payload = bytes.Replace(payload, []byte(`"sub":"`), []byte(`"sub":"x`), 1)
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			return strings.Join(parts, ".")
		}},
		"signed by another key under the same kid": {tamper: func(m *mockoidc.MockOIDC, raw string) string {
			kid, err := m.Keypair.KeyID()
			if err != nil {
				t.Error(err)
			}
			payload, _ := json.Marshal(claimsOf(t, raw))
			return oidctest.SignIDToken(oauthtest.NewKey(t), kid, oidc.RS256, string(payload))
		}},
		"alg none": {tamper: func(_ *mockoidc.MockOIDC, raw string) string {
			parts := strings.Split(raw, ".")
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		}},
	} {
		t.Run(name, func(t *testing.T) {
			m := mockOIDC(t, tc.tamper, tc.past)
			c := genericClient(t, m, m.ClientSecret)
			authURL, cookies := start(t, c, "oidc", "")
			_, _, err := callback(t, c, "oidc", browserAuthorize(t, authURL), live(cookies))
			t.Log(err)
			if !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Errorf("got %v, want ErrInvalidIDToken", err)
			}
		})
	}
}
