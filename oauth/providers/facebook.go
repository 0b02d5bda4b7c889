package providers

import (
	"context"

	"github.com/latchauth/latch/oauth"
)

// FacebookGraph is the Graph API version used.
const FacebookGraph = "https://graph.facebook.com/v21.0"

// Facebook is Facebook Login. The user is read from
// GET <graph>/me?fields=id,name,email,picture ({"id", "name", "email",
// "picture": {"data": {"url"}}}); Facebook does not say the address is
// verified, so it is not.
func Facebook(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "facebook", Name: "Facebook", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://www.facebook.com/v21.0/dialog/oauth",
		TokenURL:    FacebookGraph + "/oauth/access_token",
		UserInfoURL: FacebookGraph + "/me?fields=id,name,email,picture",
		Scopes:      []string{"email", "public_profile"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{ID: str(p, "id"), Email: str(p, "email"), Name: str(p, "name"), AvatarURL: str(p, "picture", "data", "url"), Raw: p}, nil
		},
	}
}
