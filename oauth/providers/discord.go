package providers

import (
	"context"
	"net/url"

	"github.com/latchauth/latch/oauth"
)

// Discord is Discord's OAuth2 sign-in. The user is read from
// GET https://discord.com/api/users/@me ({"id", "username", "global_name",
// "avatar", "email", "verified"}); the address is verified when
// "verified" is true.
func Discord(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "discord", Name: "Discord", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://discord.com/oauth2/authorize",
		TokenURL:    "https://discord.com/api/oauth2/token",
		UserInfoURL: "https://discord.com/api/users/@me",
		Scopes:      []string{"identify", "email"},
		User:        discordUser,
	}
}

func discordUser(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
	p := d.Profile
	u := oauth.ProviderUser{
		ID: str(p, "id"), Email: str(p, "email"), EmailVerified: boolean(p, "verified"),
		Name: str(p, "global_name"), Raw: p,
	}
	if u.Name == "" {
		u.Name = str(p, "username")
	}
	if a := str(p, "avatar"); a != "" && u.ID != "" {
		u.AvatarURL = "https://cdn.discordapp.com/avatars/" + url.PathEscape(u.ID) + "/" + url.PathEscape(a) + ".png"
	}
	return u, nil
}
