package providers

import (
	"context"

	"github.com/latchauth/latch/oauth"
)

// Atlassian is Atlassian's OAuth 2.0 (3LO) sign-in. The user is read from
// GET https://api.atlassian.com/me ({"account_id", "email", "name",
// "picture", "email_verified"}).
func Atlassian(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "atlassian", Name: "Atlassian", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://auth.atlassian.com/authorize",
		TokenURL:    "https://auth.atlassian.com/oauth/token",
		UserInfoURL: "https://api.atlassian.com/me",
		Scopes:      []string{"read:me"},
		AuthParams:  map[string]string{"audience": "api.atlassian.com", "prompt": "consent"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{
				ID: str(p, "account_id"), Email: str(p, "email"), EmailVerified: boolean(p, "email_verified"),
				Name: str(p, "name"), AvatarURL: str(p, "picture"), Raw: p,
			}, nil
		},
	}
}
