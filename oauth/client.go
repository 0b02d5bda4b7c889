package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// FlowTTL is how long a sign-in may take between AuthCodeURL and Callback:
// the lifetime of the flow cookies.
const FlowTTL = 10 * time.Minute

// The flow cookies, each scoped to the provider's callback path. With
// Config.Secure their names carry the "__Secure-" prefix, which browsers
// accept only on a Secure cookie set over HTTPS, so that a network
// attacker cannot plant a flow cookie over plain http.
const (
	stateCookie    = "latch_oauth_state"
	verifierCookie = "latch_oauth_verifier"
	nonceCookie    = "latch_oauth_nonce"
	nextCookie     = "latch_oauth_next"
)

var flowCookies = []string{stateCookie, verifierCookie, nonceCookie, nextCookie}

// Config configures a Client.
type Config struct {
	// BaseURL is the absolute URL the callbacks are served under, without
	// a trailing slash (https://auth.example.com). A provider's redirect
	// URL is BaseURL + CallbackPath(id); register that URL at the provider.
	BaseURL string
	// CallbackPath returns the path of a provider's callback. Default:
	// "/api/auth/oauth/{id}/callback", where authapi serves it.
	CallbackPath func(providerID string) string
	// Providers are the providers offered, in the order they are listed.
	Providers []*Provider
	// Secure marks the flow cookies Secure (HTTPS only) and names them
	// with the "__Secure-" prefix; set it in production, leave it off for
	// http://localhost. With Secure, every provider endpoint (issuer,
	// discovery, authorization, token, JWKS, user info) must be https://
	// unless its host is loopback; without it (development) http:// is
	// accepted too.
	Secure bool
	// HTTPClient makes every request to the providers (discovery, JWKS,
	// code exchange, user info). Default: a client with a 20 s timeout.
	HTTPClient *http.Client
	// Now is the clock ID tokens' expiry is checked against. Default time.Now.
	Now func() time.Time
}

// Client runs the authorization code flow for a set of providers. It is
// safe for concurrent use.
type Client struct {
	base         string
	callbackPath func(string) string
	providers    map[string]*Provider
	order        []*Provider
	secure       bool
	hc           *http.Client
	now          func() time.Time

	mu       sync.Mutex
	resolved map[string]*endpoints
}

// endpoints are a provider's URLs and ID token verifier, once discovered.
type endpoints struct {
	authURL, tokenURL, userInfoURL string
	verifier                       *oidc.IDTokenVerifier
	// config is kept so that x/oauth2 remembers the auth style it detected.
	config *oauth2.Config
}

// DefaultCallbackPath is the default Config.CallbackPath.
func DefaultCallbackPath(providerID string) string {
	return "/api/auth/oauth/" + url.PathEscape(providerID) + "/callback"
}

// New validates cfg and returns a Client. It makes no request: OIDC
// discovery happens on a provider's first use.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if cfg.BaseURL == "" || err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("oauth: Config.BaseURL %q: want an absolute http(s) URL", cfg.BaseURL)
	}
	c := &Client{
		base: strings.TrimRight(cfg.BaseURL, "/"), callbackPath: cfg.CallbackPath,
		providers: map[string]*Provider{}, secure: cfg.Secure, hc: cfg.HTTPClient, now: cfg.Now,
		resolved: map[string]*endpoints{},
	}
	if c.callbackPath == nil {
		c.callbackPath = DefaultCallbackPath
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 20 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	for _, p := range cfg.Providers {
		if err := checkProvider(p); err != nil {
			return nil, err
		}
		for _, u := range []struct{ field, url string }{
			{"Issuer", p.Issuer}, {"AuthURL", p.AuthURL}, {"TokenURL", p.TokenURL},
			{"JWKSURL", p.JWKSURL}, {"UserInfoURL", p.UserInfoURL},
		} {
			if err := c.checkEndpoint(u.url); u.url != "" && err != nil {
				return nil, fmt.Errorf("oauth: provider %q: %s: %w", p.ID, u.field, err)
			}
		}
		if _, dup := c.providers[p.ID]; dup {
			return nil, fmt.Errorf("oauth: provider %q is configured twice", p.ID)
		}
		c.providers[p.ID] = p
		c.order = append(c.order, p)
	}
	return c, nil
}

// checkEndpoint refuses a provider URL that is not https://, except on a
// loopback host or, without Config.Secure, in development: over plain
// http the code, the tokens and the signing keys could be read or
// replaced on the way.
func (c *Client) checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", printable(raw, 200))
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (!c.secure || isLoopback(u.Hostname())):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%q: plain http is refused outside development and loopback", printable(raw, 200))
	}
	return fmt.Errorf("%q: want an https URL", printable(raw, 200))
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ReservedProviderIDs returns the provider ids Latch keeps for its own
// keys ("email:<address>" holds a password) and the ways in it may key
// the same way. A provider under one of them would sign its users into
// those keys' accounts (a provider whose user id equals an address would
// sign into that password account), so New refuses them.
func ReservedProviderIDs() []string {
	return []string{EmailProviderID, "password", "username", "phone", "passkey", "webauthn", "totp", "magic-link"}
}

func checkProvider(p *Provider) error {
	if p == nil {
		return errors.New("oauth: nil provider")
	}
	if p.ID == "" || len(p.ID) > 64 || strings.ContainsFunc(p.ID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		return fmt.Errorf("oauth: provider id %q: want 1 to 64 letters a-z, digits, '-', '_' or '.'", p.ID)
	}
	if slices.Contains(ReservedProviderIDs(), p.ID) {
		return fmt.Errorf("oauth: provider id %q is reserved by Latch for its own keys: choose another", p.ID)
	}
	if p.ClientID == "" {
		return fmt.Errorf("oauth: provider %q: no client id", p.ID)
	}
	if p.Issuer == "" && (p.AuthURL == "" || p.TokenURL == "") {
		return fmt.Errorf("oauth: provider %q: want AuthURL and TokenURL, or an OIDC Issuer", p.ID)
	}
	if p.IssuerMatches != nil && p.JWKSURL == "" {
		return fmt.Errorf("oauth: provider %q: IssuerMatches needs a JWKSURL", p.ID)
	}
	for _, alg := range p.IDTokenAlgs {
		if size, mac := macKeySize[alg]; mac && len(p.ClientSecret) < size {
			return fmt.Errorf("oauth: provider %q: ID tokens signed with %s need a ClientSecret of at least %d bytes", p.ID, alg, size)
		}
	}
	return nil
}

// Providers returns the configured providers in their configured order.
func (c *Client) Providers() []*Provider { return slices.Clone(c.order) }

// Provider returns the provider with the id.
func (c *Client) Provider(id string) (*Provider, bool) {
	p, ok := c.providers[id]
	return p, ok
}

// RedirectURL returns the callback URL of a provider, to register at the
// provider.
func (c *Client) RedirectURL(providerID string) string {
	return c.base + c.callbackPath(providerID)
}

func (c *Client) lookup(providerID string) (*Provider, error) {
	p, ok := c.providers[providerID]
	if !ok {
		return nil, fail(ErrUnknownProvider, printable(providerID, 64), "", nil)
	}
	return p, nil
}

// AuthCodeURL starts a sign-in with the provider: it sets the flow cookies
// on w (a random state, the PKCE verifier, the OIDC nonce and next, each
// HttpOnly, SameSite=Lax, scoped to the callback path, living FlowTTL) and
// returns the provider URL to redirect the browser to. next, where to go
// after signing in, is kept only when SafeNext accepts it.
func (c *Client) AuthCodeURL(w http.ResponseWriter, r *http.Request, providerID, next string) (string, error) {
	p, err := c.lookup(providerID)
	if err != nil {
		return "", err
	}
	ep, err := c.resolve(r.Context(), p)
	if err != nil {
		return "", err
	}
	state, err := randomToken()
	if err != nil {
		return "", err
	}
	// PKCE goes to every provider, whatever it says it supports (one that
	// does not ignores it): with it a code is worth nothing without this
	// browser's verifier, so a code taken from another browser is refused.
	v := oauth2.GenerateVerifier()
	set := map[string]string{stateCookie: state, verifierCookie: v}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v)}
	if p.OIDC() {
		nonce, err := randomToken()
		if err != nil {
			return "", err
		}
		set[nonceCookie] = nonce
		opts = append(opts, oidc.Nonce(nonce))
	}
	if next = SafeNext(next); next != "" {
		set[nextCookie] = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	for k, v := range p.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	for _, name := range flowCookies { // a value of an earlier flow must not linger
		if v, ok := set[name]; ok {
			http.SetCookie(w, c.cookie(p, name, v, int(FlowTTL/time.Second)))
		} else {
			http.SetCookie(w, c.cookie(p, name, "", -1))
		}
	}
	return ep.config.AuthCodeURL(state, opts...), nil
}

// Result is a finished sign-in.
type Result struct {
	ProviderID string
	User       ProviderUser
	// Token holds the provider's tokens (access, refresh, ID token in Extra).
	Token *oauth2.Token
	// Next is the path given to AuthCodeURL, "" when none.
	Next string
	// Claims are the claims of the ID token after its verification
	// (signature, issuer, audience, expiry, nonce) — Lucia's
	// decodeIdToken, without having to trust an unverified token. Numbers
	// are json.Number. Nil when the provider sent no ID token.
	Claims map[string]any
}

// DecodeClaims decodes the verified ID token's claims into v, a pointer
// to a struct with json tags (or a map), for the claims an application
// defines itself. Without an ID token it returns ErrInvalidIDToken.
func (r *Result) DecodeClaims(v any) error {
	if r.Claims == nil {
		return fail(ErrInvalidIDToken, r.ProviderID, "the sign-in has no ID token", nil)
	}
	raw, err := json.Marshal(r.Claims)
	if err != nil {
		return fmt.Errorf("oauth: decode claims: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("oauth: decode claims: %w", err)
	}
	return nil
}

// Callback finishes a sign-in on the provider's redirect back (GET, or a
// POST for providers that post the callback: see RelayFormPost). It clears
// the flow cookies whatever happens, so that a callback works once; checks
// the state against the cookie in constant time (ErrInvalidState); turns
// error=access_denied into ErrConsentDenied and any other error into
// ErrAuthorization; exchanges the code with the PKCE verifier
// (ErrExchange); verifies the ID token of an OIDC provider with go-oidc —
// signature by the JWKS, issuer, audience, expiry — and its nonce
// (ErrInvalidIDToken); and reads the user (ErrUserInfo).
func (c *Client) Callback(w http.ResponseWriter, r *http.Request, providerID string) (*Result, error) {
	p, err := c.lookup(providerID)
	if err != nil {
		return nil, err
	}
	flow := map[string]string{}
	for _, name := range flowCookies {
		if ck, err := r.Cookie(c.cookieName(name)); err == nil {
			flow[name] = ck.Value
		}
		http.SetCookie(w, c.cookie(p, name, "", -1))
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return nil, fail(ErrInvalidState, p.ID, "unreadable callback form", nil)
		}
		params = r.PostForm
	}
	if !equalSecret(flow[stateCookie], params.Get("state")) {
		return nil, fail(ErrInvalidState, p.ID, "the state does not match this browser's sign-in", nil)
	}
	if code := params.Get("error"); code != "" {
		ae := &AuthorizationError{Code: printable(code, 64), Description: printable(params.Get("error_description"), 200)}
		kind := ErrAuthorization
		// Apple says user_cancelled_authorize for the same thing.
		if code == "access_denied" || code == "user_cancelled_authorize" {
			kind = ErrConsentDenied
		}
		return nil, fail(kind, p.ID, "", ae)
	}
	code := params.Get("code")
	if code == "" {
		return nil, fail(ErrAuthorization, p.ID, "the callback has no code", nil)
	}
	ctx := r.Context()
	ep, err := c.resolve(ctx, p)
	if err != nil {
		return nil, err
	}
	cfg := ep.config
	if p.ClientSecretFunc != nil {
		secret, err := p.ClientSecretFunc(c.now())
		if err != nil {
			return nil, fail(ErrExchange, p.ID, "making the client secret", err)
		}
		cfg = c.oauth2Config(p, ep, secret)
	}
	if flow[verifierCookie] == "" {
		return nil, fail(ErrInvalidState, p.ID, "no PKCE verifier in this browser", nil)
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, c.hc)
	tok, err := cfg.Exchange(hctx, code, oauth2.VerifierOption(flow[verifierCookie]))
	if err != nil {
		return nil, fail(ErrExchange, p.ID, "", err)
	}
	api := oauth2.NewClient(hctx, oauth2.StaticTokenSource(tok))
	api.Timeout = c.hc.Timeout
	d := &UserData{Provider: p, Token: tok, Callback: params, client: api}
	if p.OIDC() && !(p.IDTokenOptional && rawIDToken(tok) == "") {
		if d.Claims, err = c.verifyIDToken(hctx, p, ep, tok, flow[nonceCookie]); err != nil {
			return nil, err
		}
	}
	if ep.userInfoURL != "" && String(d.Claims, "email") == "" {
		var profile map[string]any
		if err := d.GetJSON(ctx, ep.userInfoURL, &profile); err != nil {
			return nil, fail(ErrUserInfo, p.ID, "", err)
		}
		// OIDC Core 5.3.2: user info about another subject is not used.
		if d.Claims != nil && String(profile, "sub") != String(d.Claims, "sub") {
			profile = nil
		}
		d.Profile = profile
	}
	mapUser := p.User
	if mapUser == nil {
		mapUser = OIDCUser
	}
	u, err := mapUser(ctx, d)
	if err != nil {
		return nil, fail(ErrUserInfo, p.ID, "", err)
	}
	if u, err = tidyUser(u); err != nil {
		return nil, fail(ErrUserInfo, p.ID, "", err)
	}
	next := ""
	if b, err := base64.RawURLEncoding.DecodeString(flow[nextCookie]); err == nil {
		next = SafeNext(string(b))
	}
	return &Result{ProviderID: p.ID, User: u, Token: tok, Next: next, Claims: d.Claims}, nil
}

// verifyIDToken verifies the token response's ID token and returns its claims.
func (c *Client) verifyIDToken(ctx context.Context, p *Provider, ep *endpoints, tok *oauth2.Token, nonce string) (map[string]any, error) {
	raw := rawIDToken(tok)
	if raw == "" {
		return nil, fail(ErrInvalidIDToken, p.ID, "the token response has no ID token", nil)
	}
	idt, err := ep.verifier.Verify(oidc.ClientContext(ctx, c.hc), raw)
	if err != nil {
		return nil, fail(ErrInvalidIDToken, p.ID, "", err)
	}
	var rawClaims json.RawMessage
	if err := idt.Claims(&rawClaims); err != nil {
		return nil, fail(ErrInvalidIDToken, p.ID, "", err)
	}
	claims, err := decodeObject(rawClaims)
	if err != nil {
		return nil, fail(ErrInvalidIDToken, p.ID, "claims", err)
	}
	if p.IssuerMatches != nil && !p.IssuerMatches(idt.Issuer, claims) {
		return nil, fail(ErrInvalidIDToken, p.ID, fmt.Sprintf("issuer %q not accepted", printable(idt.Issuer, 200)), nil)
	}
	// A token for several audiences must name this client as the party it
	// was issued to, and one naming another party was issued to that party
	// whatever its audience (OIDC Core 3.1.3.7).
	azp, hasAZP := claims["azp"]
	if hasAZP && azp != p.ClientID {
		return nil, fail(ErrInvalidIDToken, p.ID, "issued to another authorized party", nil)
	}
	if len(idt.Audience) > 1 && !hasAZP {
		return nil, fail(ErrInvalidIDToken, p.ID, "several audiences and no authorized party", nil)
	}
	// go-oidc reads a time given as a string; JWT times are numbers (RFC
	// 7519 2, NumericDate), and "exp" is required (OIDC Core 2).
	for _, name := range []string{"exp", "iat", "nbf", "auth_time"} {
		v, ok := claims[name]
		if n, isNum := v.(json.Number); ok && !isNum || isNum && !numericDate(n) || !ok && name == "exp" {
			return nil, fail(ErrInvalidIDToken, p.ID, fmt.Sprintf("%q is not a numeric date", name), nil)
		}
	}
	if idt.IssuedAt.After(c.now().Add(MaxClockSkew)) {
		return nil, fail(ErrInvalidIDToken, p.ID, "issued in the future", nil)
	}
	if !equalSecret(nonce, idt.Nonce) && !(p.NonceOptional && idt.Nonce == "") {
		return nil, fail(ErrInvalidIDToken, p.ID, "the nonce does not match this browser's sign-in", nil)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, fail(ErrInvalidIDToken, p.ID, "", err)
		}
	}
	return claims, nil
}

// MaxClockSkew is how far in the future an ID token's "iat" may lie: a
// token issued later than that by this clock was not issued by a provider
// whose clock agrees, and is refused.
const MaxClockSkew = 5 * time.Minute

// numericDate reports whether n is a JSON number of seconds that fits a
// date (finite, not negative).
func numericDate(n json.Number) bool {
	f, err := n.Float64()
	return err == nil && f >= 0 && f < 1<<53
}

// rawIDToken returns the ID token of a token response, "" when it has none.
func rawIDToken(tok *oauth2.Token) string {
	raw, _ := tok.Extra("id_token").(string)
	return raw
}

// RelayFormPost handles a callback that a provider posted from its own site
// (Apple's response_mode=form_post): a browser sends no SameSite=Lax
// cookie with such a cross-site POST, so the flow cookies are missing. It
// answers that POST with a 303 redirect to the same URL with the form as
// its query; the browser comes back with a top-level GET, which carries
// the cookies, and Callback finishes there. It reports whether it
// answered; a GET, or a POST that did bring the flow cookie, is left to
// Callback.
func (c *Client) RelayFormPost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if _, err := r.Cookie(c.cookieName(stateCookie)); err == nil {
		return false
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	u := url.URL{Path: r.URL.Path, RawQuery: r.PostForm.Encode()}
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
	return true
}

// cookieName is the name of a flow cookie as set on the browser.
func (c *Client) cookieName(name string) string {
	if c.secure {
		return "__Secure-" + name
	}
	return name
}

// cookie returns a flow cookie; maxAge < 0 deletes it.
func (c *Client) cookie(p *Provider, name, value string, maxAge int) *http.Cookie {
	ck := &http.Cookie{
		Name: c.cookieName(name), Value: value, Path: c.callbackPath(p.ID), MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	}
	if maxAge > 0 {
		ck.Expires = c.now().Add(time.Duration(maxAge) * time.Second).UTC()
	} else {
		ck.Expires = time.Unix(0, 0).UTC()
	}
	return ck
}

func (c *Client) oauth2Config(p *Provider, ep *endpoints, secret string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: secret,
		Endpoint:    oauth2.Endpoint{AuthURL: ep.authURL, TokenURL: ep.tokenURL, AuthStyle: p.AuthStyle},
		RedirectURL: c.RedirectURL(p.ID),
		Scopes:      p.Scopes,
	}
}

// asymmetricAlgs are the ID token algorithms accepted from a discovery
// document: never "none", never a MAC keyed with the client secret.
var asymmetricAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// resolve returns the provider's endpoints, discovering what is missing
// on first use. A failure is not remembered: the next call tries again.
func (c *Client) resolve(ctx context.Context, p *Provider) (*endpoints, error) {
	c.mu.Lock()
	ep := c.resolved[p.ID]
	c.mu.Unlock()
	if ep != nil {
		return ep, nil
	}
	ep = &endpoints{authURL: p.AuthURL, tokenURL: p.TokenURL, userInfoURL: p.UserInfoURL}
	if p.OIDC() {
		jwks, algs := p.JWKSURL, p.IDTokenAlgs
		if ep.authURL == "" || ep.tokenURL == "" || jwks == "" {
			op, err := oidc.NewProvider(oidc.ClientContext(ctx, c.hc), p.Issuer)
			if err != nil {
				return nil, fail(ErrDiscovery, p.ID, "", err)
			}
			var meta struct {
				JWKS string   `json:"jwks_uri"`
				Algs []string `json:"id_token_signing_alg_values_supported"`
			}
			if err := op.Claims(&meta); err != nil {
				return nil, fail(ErrDiscovery, p.ID, "", err)
			}
			e := op.Endpoint()
			ep.authURL = cmpOr(ep.authURL, e.AuthURL)
			ep.tokenURL = cmpOr(ep.tokenURL, e.TokenURL)
			ep.userInfoURL = cmpOr(ep.userInfoURL, op.UserInfoEndpoint())
			jwks = cmpOr(jwks, meta.JWKS)
			if len(algs) == 0 {
				for _, a := range meta.Algs {
					if slices.Contains(asymmetricAlgs, a) {
						algs = append(algs, a)
					}
				}
			}
			if ep.authURL == "" || ep.tokenURL == "" || jwks == "" {
				return nil, fail(ErrDiscovery, p.ID, "the document lacks an authorization, token or JWKS endpoint", nil)
			}
			for _, u := range []string{ep.authURL, ep.tokenURL, jwks, ep.userInfoURL} {
				if err := c.checkEndpoint(u); u != "" && err != nil {
					return nil, fail(ErrDiscovery, p.ID, "", err)
				}
			}
		}
		if len(algs) == 0 {
			algs = []string{oidc.RS256}
		}
		var keys oidc.KeySet
		if jwks != "" {
			keys = oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), c.hc), jwks)
		}
		if slices.ContainsFunc(algs, isMAC) {
			keys = &secretKeySet{secret: []byte(p.ClientSecret), jwks: keys}
		}
		ep.verifier = oidc.NewVerifier(p.Issuer, keys, &oidc.Config{
			ClientID: p.ClientID, SupportedSigningAlgs: algs, Now: c.now,
			SkipIssuerCheck: p.IssuerMatches != nil, // checked by IssuerMatches after the signature
		})
	}
	ep.config = c.oauth2Config(p, ep, p.ClientSecret)
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.resolved[p.ID]; prev != nil {
		return prev, nil
	}
	c.resolved[p.ID] = ep
	return ep, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// randomToken returns 256 random bits from crypto/rand, base64url-encoded.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("oauth: reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// equalSecret compares two secrets in constant time; empty never matches.
func equalSecret(want, got string) bool {
	if want == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// SafeNext returns next when it is a path on this site — it starts with
// "/" but not "//" or "/\", and has no backslash, control character,
// scheme or host — and "" otherwise, so that a redirect to it never leaves
// the site.
func SafeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || r == utf8.RuneError }) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return next
}

// tidyUser trims what the provider said and refuses a user without a
// usable id. An address without a verified flag, or a flag without an
// address, is not verified.
func tidyUser(u ProviderUser) (ProviderUser, error) {
	u.ID = strings.TrimSpace(u.ID)
	if u.ID == "" {
		return u, errors.New("the provider gave no user id")
	}
	// With a provider id of up to 64 bytes and the ':', a key id stays
	// within latch.MaxIDLength (255).
	if len(u.ID) > 190 || strings.ContainsFunc(u.ID, unicode.IsControl) || !utf8.ValidString(u.ID) {
		return u, errors.New("the provider's user id is not a short printable string")
	}
	u.FormerID = strings.TrimSpace(u.FormerID)
	if len(u.FormerID) > 190 || strings.ContainsFunc(u.FormerID, unicode.IsControl) || !utf8.ValidString(u.FormerID) {
		u.FormerID = ""
	}
	u.Email = strings.TrimSpace(u.Email)
	if u.Email == "" || len(u.Email) > 320 || strings.ContainsFunc(u.Email, unicode.IsControl) || !strings.Contains(u.Email, "@") {
		u.Email = ""
	}
	if u.Email == "" {
		u.EmailVerified = false
	}
	u.Name = cleanText(u.Name, 256)
	u.AvatarURL = strings.TrimSpace(u.AvatarURL)
	if a, err := url.Parse(u.AvatarURL); err != nil || a.Scheme != "https" && a.Scheme != "http" || len(u.AvatarURL) > 2048 {
		u.AvatarURL = ""
	}
	return u, nil
}

// cleanText drops control and format characters and keeps at most n runes.
func cleanText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}
