package providers

import (
	"context"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch/oauth"
)

// Box is Box's OAuth 2.0 sign-in. The user is read from
// GET https://api.box.com/2.0/users/me ({"id", "name", "login" (the
// address), "avatar_url"}); Box does not say the address is verified.
func Box(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "box", Name: "Box", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://account.box.com/api/oauth2/authorize",
		TokenURL:    "https://api.box.com/oauth2/token",
		AuthStyle:   oauth2.AuthStyleInParams,
		UserInfoURL: "https://api.box.com/2.0/users/me",
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{ID: str(p, "id"), Email: str(p, "login"), Name: str(p, "name"), AvatarURL: str(p, "avatar_url"), Raw: p}, nil
		},
	}
}
