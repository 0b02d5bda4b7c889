package providers

import (
	"golang.org/x/oauth2"

	"github.com/latchauth/latch/oauth"
)

// Google is Google's OpenID Connect sign-in. The user comes from the
// verified ID token: "sub", "email", "email_verified", "name", "picture".
func Google(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "google", Name: "Google", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:      "https://accounts.google.com",
		AuthURL:     "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL:    "https://oauth2.googleapis.com/token",
		AuthStyle:   oauth2.AuthStyleInParams,
		JWKSURL:     "https://www.googleapis.com/oauth2/v3/certs",
		UserInfoURL: "https://openidconnect.googleapis.com/v1/userinfo",
		// Google's ID tokens may name the issuer with or without the scheme.
		IssuerMatches: func(iss string, _ map[string]any) bool {
			return iss == "https://accounts.google.com" || iss == "accounts.google.com"
		},
		Scopes: []string{"openid", "email", "profile"},
		User:   oauth.OIDCUser,
	}
}
