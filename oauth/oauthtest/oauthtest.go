// Package oauthtest runs a fake OAuth 2.0 / OpenID Connect provider on
// loopback, for testing sign-in flows end to end without the network.
//
// The fake answers at the URLs a provider declares — its authorization,
// token and JWKS endpoints, its issuer's discovery document, and any API
// URL given to JSON or Handle — whatever their host: Client returns an
// *http.Client whose transport sends every request to the fake, keeping
// the original host for routing. So a provider from the providers package
// is tested with its real, documented URLs:
//
//	p := providers.GitHub("id", "secret")
//	f := oauthtest.New(t, p)
//	f.JSON("GET", "https://api.github.com/user", map[string]any{"id": 1, "login": "octocat"})
//	c, _ := oauth.New(oauth.Config{BaseURL: "http://app.test", Providers: []*oauth.Provider{p}, HTTPClient: f.Client()})
//	res, err := f.SignIn(c, "github")
//
// The authorization endpoint approves at once (or answers Settings.Deny),
// requiring an S256 PKCE challenge (unless Settings.IgnorePKCE) and
// recording it, the nonce and the redirect URI; the token endpoint
// checks the client credentials, the code (single use), the redirect URI
// and the PKCE verifier, and for an OIDC provider returns an ID token
// signed with the fake's RSA key, which its JWKS publishes (or, for a
// provider whose first IDTokenAlgs is a MAC, as LINE's HS256, keyed with
// the client secret). Signing goes through go-oidc's oidctest package and
// go-jose.
//
// New ties the fake to a test; Start makes one for an example or a demo.
package oauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch/oauth"
)

// hostHeader carries the host a request was meant for.
const hostHeader = "X-Oauthtest-Host"

// Settings change how the fake answers. Change them with Update.
type Settings struct {
	// Subject is the ID token's "sub". Default "fake-subject".
	Subject string
	// Claims are added to the ID token (they may replace the standard
	// ones: "aud", "exp", ...).
	Claims map[string]any
	// Tamper, when set, edits the signed ID token's claims last.
	Tamper func(claims map[string]any)
	// SigningKey signs the ID token instead of the published key (a bad
	// signature); SigningKeyID is its "kid" (default: the published one).
	SigningKey   *rsa.PrivateKey
	SigningKeyID string
	// SigningAlg is how the ID token is signed: "RS256" with the RSA key,
	// or "HS256", "HS384", "HS512" with MACKey. Default: the first of the
	// provider's IDTokenAlgs when it is a MAC (LINE), else RS256.
	SigningAlg string
	// MACKey keys a MAC-signed ID token. Default: the client secret.
	MACKey []byte
	// IgnorePKCE makes the fake behave as a provider without PKCE: it
	// neither requires a code challenge nor checks the verifier.
	IgnorePKCE bool
	// NoIDToken leaves the ID token out of the token response.
	NoIDToken bool
	// Deny makes the authorization endpoint answer with this error
	// ("access_denied") instead of a code.
	Deny string
	// ExtraAnswer is added to the authorization endpoint's answer (Apple
	// posts a "user" field on a first sign-in).
	ExtraAnswer url.Values
	// TokenForm answers the token endpoint in form encoding, as GitHub
	// does for clients that do not ask for JSON.
	TokenForm bool
	// CheckSecret, when set, checks the client secret instead of an
	// equality with the provider's (Apple's signed secret).
	CheckSecret func(secret string) error
	// Now is the fake's clock. Default time.Now.
	Now func() time.Time
}

// Authorization is what the fake's authorization endpoint was asked.
type Authorization struct {
	Query url.Values
}

type grant struct {
	redirectURI, challenge, method, nonce, scope string
	used                                         bool
}

// Server is a fake provider.
type Server struct {
	*httptest.Server
	p *oauth.Provider

	key   *rsa.PrivateKey
	keyID string

	mu       sync.Mutex
	settings Settings
	routes   map[string]http.HandlerFunc // "METHOD host/path"
	grants   map[string]*grant           // by code
	tokens   map[string]bool             // access tokens issued
	headers  http.Header                 // required on API requests
	last     Authorization
	hits     map[string]int
}

var (
	keyOnce sync.Once
	sharedK *rsa.PrivateKey
	keyErr  error
)

// signingKey returns one RSA key for every fake of the test binary
// (generating keys is slow under the race detector).
func signingKey() (*rsa.PrivateKey, error) {
	keyOnce.Do(func() { sharedK, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	return sharedK, keyErr
}

// NewKey returns a new RSA key, to sign with a key the fake does not
// publish (Settings.SigningKey).
func NewKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// New starts a fake for the provider p, serving its AuthURL, TokenURL,
// JWKSURL and, for an OIDC provider, the discovery document of its
// Issuer. It stops when the test ends.
func New(t testing.TB, p *oauth.Provider) *Server {
	t.Helper()
	s, err := Start(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start is New outside a test (an example, a demo): the caller stops the
// fake with Close.
func Start(p *oauth.Provider) (*Server, error) {
	key, err := signingKey()
	if err != nil {
		return nil, err
	}
	s := &Server{
		p: p, key: key, keyID: "oauthtest-key",
		routes: map[string]http.HandlerFunc{}, grants: map[string]*grant{}, tokens: map[string]bool{},
		headers: http.Header{}, hits: map[string]int{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	auth, token, jwks := p.AuthURL, p.TokenURL, p.JWKSURL
	if p.Issuer != "" {
		iss := strings.TrimRight(p.Issuer, "/")
		auth = or(auth, iss+"/authorize")
		token = or(token, iss+"/token")
		jwks = or(jwks, iss+"/jwks")
		userinfo := or(p.UserInfoURL, iss+"/userinfo")
		s.Handle("GET", iss+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{
				"issuer": p.Issuer, "authorization_endpoint": auth, "token_endpoint": token,
				"jwks_uri": jwks, "userinfo_endpoint": userinfo,
				"response_types_supported":              []string{"code"},
				"subject_types_supported":               []string{"public"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
				"code_challenge_methods_supported":      []string{"S256"},
			})
		})
	}
	s.Handle("GET", auth, s.authorize)
	s.Handle("POST", token, s.token)
	if jwks != "" {
		s.Handle("GET", jwks, s.jwks)
	}
	return s, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Update changes the settings under the fake's lock.
func (s *Server) Update(fn func(*Settings)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.settings)
}

func (s *Server) current() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.settings
	if st.Subject == "" {
		st.Subject = "fake-subject"
	}
	if st.Now == nil {
		st.Now = time.Now
	}
	return st
}

// LastAuthorization returns what the authorization endpoint was last asked.
func (s *Server) LastAuthorization() Authorization {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Hits returns how often "METHOD url" was served.
func (s *Server) Hits(method, rawURL string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[routeKey(method, rawURL)]
}

// RequireHeader makes every API request (JSON, Handle) need the header.
func (s *Server) RequireHeader(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers.Set(name, value)
}

// JSON serves body as JSON at "method rawURL" to requests bearing an
// access token the fake issued (401 otherwise).
func (s *Server) JSON(method, rawURL string, body any) {
	s.Handle(method, rawURL, s.api(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, body) }))
}

// API serves h at "method rawURL" to requests bearing an issued access token.
func (s *Server) API(method, rawURL string, h http.HandlerFunc) { s.Handle(method, rawURL, s.api(h)) }

// Handle serves h at "method rawURL", whatever the host of rawURL.
func (s *Server) Handle(method, rawURL string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[routeKey(method, rawURL)] = h
}

func routeKey(method, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return method + " " + rawURL
	}
	return method + " " + u.Host + u.Path
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	host := r.Header.Get(hostHeader)
	if host == "" {
		host = r.Host
	}
	key := r.Method + " " + host + r.URL.Path
	s.mu.Lock()
	h := s.routes[key]
	if h != nil {
		s.hits[key]++
	}
	s.mu.Unlock()
	if h == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_description": "oauthtest: nothing at " + key})
		return
	}
	h(w, r)
}

// api wraps an API handler with the access token and header checks.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		known := ok && s.tokens[tok]
		required := s.headers.Clone()
		s.mu.Unlock()
		if !known {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		for k := range required {
			if r.Header.Get(k) != required.Get(k) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "missing header " + k})
				return
			}
		}
		h(w, r)
	}
}

// Client returns an HTTP client that sends every request, to any host, to
// the fake. It keeps cookies and does not follow redirects.
func (s *Server) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport:     s.Transport(),
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Transport returns a RoundTripper that sends every request to the fake.
func (s *Server) Transport() http.RoundTripper {
	target, _ := url.Parse(s.URL)
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set(hostHeader, r.URL.Host)
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		r.Host = target.Host
		return http.DefaultTransport.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st := s.current()
	s.mu.Lock()
	s.last = Authorization{Query: q}
	s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.p.ClientID:
		http.Error(w, "oauthtest: unknown client_id", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "oauthtest: redirect_uri is not absolute", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "oauthtest: response_type is not code", http.StatusBadRequest)
		return
	case q.Get("state") == "":
		http.Error(w, "oauthtest: no state", http.StatusBadRequest)
		return
	case !st.IgnorePKCE && (q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256"):
		http.Error(w, "oauthtest: an S256 code challenge is required", http.StatusBadRequest)
		return
	case s.p.OIDC() && q.Get("nonce") == "":
		http.Error(w, "oauthtest: no nonce", http.StatusBadRequest)
		return
	}
	answer := url.Values{"state": {q.Get("state")}}
	if st.Deny != "" {
		answer.Set("error", st.Deny)
		answer.Set("error_description", "The user said no.")
	} else {
		code := random()
		s.mu.Lock()
		challenge := q.Get("code_challenge")
		if st.IgnorePKCE {
			challenge = ""
		}
		s.grants[code] = &grant{
			redirectURI: q.Get("redirect_uri"), challenge: challenge,
			method: q.Get("code_challenge_method"), nonce: q.Get("nonce"), scope: q.Get("scope"),
		}
		s.mu.Unlock()
		answer.Set("code", code)
		for k, v := range st.ExtraAnswer {
			answer[k] = v
		}
	}
	if q.Get("response_mode") == "form_post" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s">`, html.EscapeString(q.Get("redirect_uri")))
		for k := range answer {
			fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(answer.Get(k)))
		}
		fmt.Fprint(w, `</form>`)
		return
	}
	rq := redirect.Query()
	for k, v := range answer {
		rq[k] = v
	}
	redirect.RawQuery = rq.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func tokenError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", "unreadable form")
		return
	}
	st := s.current()
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	secretOK := secret == s.p.ClientSecret
	if st.CheckSecret != nil {
		secretOK = st.CheckSecret(secret) == nil
	}
	if id != s.p.ClientID || !secretOK {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		tokenError(w, "unsupported_grant_type", "")
		return
	}
	s.mu.Lock()
	g := s.grants[f.Get("code")]
	reused := g != nil && g.used
	if g != nil {
		g.used = true
	}
	s.mu.Unlock()
	switch {
	case g == nil || reused:
		tokenError(w, "invalid_grant", "unknown or used code")
		return
	case f.Get("redirect_uri") != g.redirectURI:
		tokenError(w, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case g.challenge != "" && oauth2.S256ChallengeFromVerifier(f.Get("code_verifier")) != g.challenge:
		tokenError(w, "invalid_grant", "PKCE verification failed")
		return
	}
	access := random()
	s.mu.Lock()
	s.tokens[access] = true
	s.mu.Unlock()
	resp := map[string]any{
		"access_token": access, "token_type": "bearer", "expires_in": 3600,
		"refresh_token": random(), "scope": g.scope,
	}
	if s.p.OIDC() && !st.NoIDToken {
		idt, err := s.idToken(st, g)
		if err != nil {
			tokenError(w, "server_error", err.Error())
			return
		}
		resp["id_token"] = idt
	}
	if st.TokenForm {
		v := url.Values{}
		for k, x := range resp {
			v.Set(k, fmt.Sprint(x))
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = io.WriteString(w, v.Encode())
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) idToken(st Settings, g *grant) (string, error) {
	now := st.Now()
	claims := map[string]any{
		"iss": s.p.Issuer, "aud": s.p.ClientID, "sub": st.Subject,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range st.Claims {
		claims[k] = v
	}
	if st.Tamper != nil {
		st.Tamper(claims)
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	alg := st.SigningAlg
	if alg == "" && len(s.p.IDTokenAlgs) > 0 && strings.HasPrefix(s.p.IDTokenAlgs[0], "HS") {
		alg = s.p.IDTokenAlgs[0]
	}
	if strings.HasPrefix(alg, "HS") {
		key := st.MACKey
		if key == nil {
			key = []byte(s.p.ClientSecret)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return "", err
		}
		jws, err := signer.Sign(raw)
		if err != nil {
			return "", err
		}
		return jws.CompactSerialize()
	}
	key, kid := s.key, s.keyID
	if st.SigningKey != nil {
		key, kid = st.SigningKey, or(st.SigningKeyID, s.keyID)
	}
	return oidctest.SignIDToken(key, kid, oidc.RS256, string(raw)), nil
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &s.key.PublicKey, KeyID: s.keyID, Algorithm: "RS256", Use: "sig",
	}}})
}

// Callback is the request a browser makes back to the application after
// the provider approved (or refused): a GET of URL, or, for a provider
// that posts its answer (response_mode=form_post), a POST of Form to URL.
type Callback struct {
	Method string
	URL    string
	Form   url.Values
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// Authorize does what a browser does at authURL, the provider URL the
// application redirected to: the fake approves, and the redirect (or form
// post) back to the application is returned, not followed.
func (s *Server) Authorize(authURL string) (Callback, error) {
	c := s.Client()
	res, err := c.Get(authURL)
	if err != nil {
		return Callback{}, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	switch {
	case res.StatusCode == http.StatusFound:
		return Callback{Method: http.MethodGet, URL: res.Header.Get("Location")}, nil
	case res.StatusCode == http.StatusOK && formAction.Match(body):
		cb := Callback{Method: http.MethodPost, URL: html.UnescapeString(string(formAction.FindSubmatch(body)[1])), Form: url.Values{}}
		for _, m := range formInput.FindAllSubmatch(body, -1) {
			cb.Form.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
		}
		return cb, nil
	}
	return Callback{}, fmt.Errorf("oauthtest: authorization answered %s: %s", res.Status, body)
}

// Request returns the callback as an *http.Request to serve to a handler.
func (cb Callback) Request() *http.Request {
	if cb.Method == http.MethodPost {
		r := httptest.NewRequest(http.MethodPost, cb.URL, strings.NewReader(cb.Form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	return httptest.NewRequest(http.MethodGet, cb.URL, nil)
}

// SignIn runs a whole sign-in against the fake without an HTTP server for
// the application: c.AuthCodeURL (with next "/after"), the fake's
// approval, then c.Callback with the cookies AuthCodeURL set, as a
// browser would carry them.
func (s *Server) SignIn(c *oauth.Client, providerID string) (*oauth.Result, error) {
	start := httptest.NewRecorder()
	authURL, err := c.AuthCodeURL(start, httptest.NewRequest(http.MethodGet, "/api/auth/oauth/"+providerID, nil), providerID, "/after")
	if err != nil {
		return nil, err
	}
	cb, err := s.Authorize(authURL)
	if err != nil {
		return nil, err
	}
	r := cb.Request()
	for _, ck := range start.Result().Cookies() {
		if ck.MaxAge > 0 {
			r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
		}
	}
	return c.Callback(httptest.NewRecorder(), r, providerID)
}

func random() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("oauthtest: no randomness"))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
