package providers

import "github.com/latchauth/latch/oauth"

// OIDC is any OpenID Connect provider, found by discovery from its issuer
// URL (issuer + "/.well-known/openid-configuration", fetched on first
// use). id names it in URLs and keys ("oidc", "okta", ...), name on
// buttons. scopes default to openid, email and profile. The user comes
// from the verified ID token's standard claims, with the user info
// endpoint filling in what the token lacks (see oauth.OIDCUser).
func OIDC(id, name, issuer, clientID, clientSecret string, scopes ...string) *oauth.Provider {
	return &oauth.Provider{
		ID: id, Name: name, ClientID: clientID, ClientSecret: clientSecret,
		Issuer: issuer,
		Scopes: orDefault(scopes, []string{"openid", "email", "profile"}),
		User:   oauth.OIDCUser,
	}
}
