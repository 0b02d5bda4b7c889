package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Provider describes one OAuth 2.0 or OpenID Connect provider: where its
// endpoints are, what to ask for, and how to read its user. It is data;
// the providers subpackage makes the common ones, and a test can point any
// field at a fake.
//
// A provider with an Issuer is an OpenID Connect provider: a nonce is sent,
// and the token response must carry an ID token, which is verified
// (signature against the JWKS, issuer, audience, expiry, nonce) before User
// is called. When AuthURL, TokenURL or JWKSURL is empty, the missing ones
// come from the issuer's discovery document
// (Issuer + "/.well-known/openid-configuration"), fetched once.
type Provider struct {
	// ID names the provider in URLs and in keys ("github": the key of a
	// user is "github:<provider user id>"). It must not contain ':' or '/'.
	ID string
	// Name is shown to people ("Sign in with GitHub").
	Name string

	// ClientID and ClientSecret are the application's credentials at the
	// provider. ClientSecretFunc, when set, makes the secret at each code
	// exchange instead (Apple's is a short-lived signed JWT).
	ClientID         string
	ClientSecret     string
	ClientSecretFunc func(now time.Time) (string, error)

	// AuthURL and TokenURL are the authorization and token endpoints.
	AuthURL  string
	TokenURL string
	// AuthStyle is how the client authenticates at TokenURL (header or
	// form parameters); zero tries both and remembers what works.
	AuthStyle oauth2.AuthStyle
	// UserInfoURL, when set, is fetched with the access token and its JSON
	// object put in UserData.Profile before User is called. For an OIDC
	// provider it is fetched only when the ID token carries no email, and
	// used only when its "sub" is the ID token's.
	UserInfoURL string

	// Issuer is the OIDC issuer ("https://accounts.google.com"); empty for
	// plain OAuth 2.0.
	Issuer string
	// JWKSURL is where the ID token signing keys are published.
	JWKSURL string
	// IssuerMatches, when set, replaces the exact comparison of the ID
	// token's "iss" with Issuer (multi-tenant issuers such as Microsoft's
	// "common" endpoint). It gets the token's verified claims.
	IssuerMatches func(iss string, claims map[string]any) bool
	// IDTokenAlgs are the accepted ID token signing algorithms. Default:
	// the asymmetric ones of the discovery document, else RS256. A MAC
	// ("HS256", "HS384", "HS512") is accepted only when listed here, and
	// is checked with ClientSecret as its key (LINE signs the ID tokens
	// of web logins so); the other listed algorithms are checked against
	// the JWKS.
	IDTokenAlgs []string
	// IDTokenOptional accepts a token response without an ID token (the
	// "openid" scope was not asked for): no nonce is checked and the user
	// comes from UserInfoURL alone. An ID token that is there is always
	// verified.
	IDTokenOptional bool
	// NonceOptional accepts an ID token without a "nonce" claim, for a
	// provider known not to echo it (LinkedIn); every other ID token must
	// carry this browser's nonce. A nonce that is there must still match,
	// and the PKCE verifier, sent to every provider, still binds the code
	// to the browser that started the sign-in where the provider honours
	// PKCE.
	NonceOptional bool

	// Scopes are requested in the authorization URL.
	Scopes []string
	// PKCE is kept so that existing provider literals still compile.
	//
	// Deprecated: an S256 code challenge is sent to every provider, and the
	// verifier at every exchange, whatever this says; a provider that does
	// not support PKCE ignores it.
	PKCE bool
	// AuthParams are added to the authorization URL (response_mode,
	// prompt, ...). Apple's {"response_mode": "form_post"} makes it post
	// the callback; see Client.RelayFormPost.
	AuthParams map[string]string
	// APIHeader is sent with every API request made for the user
	// (UserInfoURL and UserData.GetJSON): Twitch's Client-Id, say.
	APIHeader http.Header

	// User maps what the provider said into a ProviderUser. It may fetch
	// more with the UserData's helpers. Nil means OIDCUser.
	User func(ctx context.Context, d *UserData) (ProviderUser, error)
}

// OIDC reports whether the provider is an OpenID Connect provider (has an Issuer).
func (p *Provider) OIDC() bool { return p.Issuer != "" }

// ProviderUser is a user as a provider describes it.
type ProviderUser struct {
	// ID is the provider's stable id of the user (OIDC "sub"), never an
	// email address or user name, which can change hands.
	ID string
	// FormerID, when set, is the id this provider's keys used for the
	// user before ID was qualified with its issuer or team (Slack's user
	// id without its team id). A key found under it, and under ID none, is
	// moved to ID on sign-in (FindOrCreateUser, GetExistingUser), so keys
	// made before the change keep working; the former key is then gone,
	// so a namesake from another issuer can never match it later.
	FormerID string
	// Email is the user's address, "" when the provider gave none.
	Email string
	// EmailVerified is true only when the provider vouches that the user
	// controls Email. Accounts are linked on this alone.
	EmailVerified bool
	Name          string
	AvatarURL     string
	// Raw is what the provider answered (the user response, or the ID
	// token's claims merged with the user info), for the application to
	// read more from.
	Raw map[string]any
}

// UserData is what a provider's User function reads: the tokens, the
// verified ID token claims, the fetched user info and the callback's
// parameters, and an HTTP client that sends the access token.
type UserData struct {
	Provider *Provider
	Token    *oauth2.Token
	// Claims are the verified ID token's claims; nil without an ID token.
	// Numbers are json.Number.
	Claims map[string]any
	// Profile is the JSON object at Provider.UserInfoURL; nil when not
	// fetched. Numbers are json.Number, so that large ids keep every digit.
	Profile map[string]any
	// Callback holds the parameters of the callback request (Apple posts
	// the user's name there on the first sign-in only).
	Callback url.Values

	client *http.Client // sends the access token
}

// maxResponseBytes bounds what is read from a provider's API.
const maxResponseBytes = 1 << 20

// GetJSON fetches rawURL with the access token (and the provider's
// APIHeader) and decodes its JSON answer into v (numbers as json.Number
// when v is a map or an interface). A status other than 2xx is an error.
func (d *UserData) GetJSON(ctx context.Context, rawURL string, v any) error {
	return d.DoJSON(ctx, http.MethodGet, rawURL, nil, v)
}

// DoJSON sends a request with the access token and the provider's
// APIHeader and decodes the JSON answer into v. body, when not nil, is
// sent as application/json.
func (d *UserData) DoJSON(ctx context.Context, method, rawURL string, body []byte, v any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range d.Provider.APIHeader {
		req.Header[k] = vs
	}
	res, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxResponseBytes {
		return fmt.Errorf("%s %s: answer larger than %d bytes", method, redactURL(rawURL), maxResponseBytes)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%s %s: %s: %s", method, redactURL(rawURL), res.Status, printable(string(data), 200))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, redactURL(rawURL), err)
	}
	return nil
}

// redactURL drops the query, which may hold a token, from a URL for errors.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(malformed URL)"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// decodeObject decodes a JSON object with numbers as json.Number.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// Value returns the value at path in a decoded JSON object (nested objects
// are walked), or nil.
func Value(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[p]
	}
	return v
}

// String returns the value at path as a string: a string as is, a number
// in its JSON form (ids such as GitHub's are numbers), "" otherwise.
func String(m map[string]any, path ...string) string {
	switch v := Value(m, path...).(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// Bool returns the value at path as a boolean: true, or the string "true"
// (Apple sends email_verified as a string); false otherwise.
func Bool(m map[string]any, path ...string) bool {
	switch v := Value(m, path...).(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// OIDCUser maps standard OpenID Connect claims (sub, email,
// email_verified, name, picture; preferred_username when there is no
// name), from the ID token with the user info filling in what the token
// lacks. It is the default Provider.User.
//
// email and email_verified are taken together from one source: from the
// ID token when it carries an address, else both from the user info. A
// flag vouches only for the address beside it, so the token's
// email_verified never verifies the user info's address.
func OIDCUser(_ context.Context, d *UserData) (ProviderUser, error) {
	m := MergeClaims(d.Claims, d.Profile)
	emailFrom := d.Profile
	if String(d.Claims, "email") != "" {
		emailFrom = d.Claims
	}
	u := ProviderUser{
		ID:            String(m, "sub"),
		Email:         String(emailFrom, "email"),
		EmailVerified: Bool(emailFrom, "email_verified"),
		Name:          String(m, "name"),
		AvatarURL:     String(m, "picture"),
		Raw:           m,
	}
	if u.Name == "" {
		u.Name = String(m, "preferred_username")
	}
	return u, nil
}

// MergeClaims returns the ID token claims with the user info's claims added
// where the token has none. Either may be nil.
func MergeClaims(claims, userInfo map[string]any) map[string]any {
	m := make(map[string]any, len(claims)+len(userInfo))
	for k, v := range userInfo {
		m[k] = v
	}
	for k, v := range claims {
		m[k] = v
	}
	return m
}
