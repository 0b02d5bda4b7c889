package providers

import (
	"context"

	"github.com/latchauth/latch/oauth"
)

// BitbucketEmailsURL lists a Bitbucket user's addresses.
const BitbucketEmailsURL = "https://api.bitbucket.org/2.0/user/emails"

// Bitbucket is Bitbucket Cloud's OAuth 2.0 sign-in. The user is read from
// GET https://api.bitbucket.org/2.0/user ({"uuid", "account_id",
// "username", "display_name", "links": {"avatar": {"href"}}}) and the
// address from /2.0/user/emails ({"values": [{"email", "is_primary",
// "is_confirmed"}]}): the primary one, verified when confirmed.
func Bitbucket(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "bitbucket", Name: "Bitbucket", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://bitbucket.org/site/oauth2/authorize",
		TokenURL:    "https://bitbucket.org/site/oauth2/access_token",
		UserInfoURL: "https://api.bitbucket.org/2.0/user",
		Scopes:      []string{"account", "email"},
		User: func(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			u := oauth.ProviderUser{ID: str(p, "uuid"), Name: str(p, "display_name"), AvatarURL: str(p, "links", "avatar", "href"), Raw: p}
			if u.Name == "" {
				u.Name = str(p, "username")
			}
			var emails struct {
				Values []struct {
					Email     string `json:"email"`
					Primary   bool   `json:"is_primary"`
					Confirmed bool   `json:"is_confirmed"`
				} `json:"values"`
			}
			if err := d.GetJSON(ctx, BitbucketEmailsURL, &emails); err != nil {
				return u, err
			}
			for _, e := range emails.Values {
				if e.Primary {
					u.Email, u.EmailVerified = e.Email, e.Confirmed
				}
			}
			return u, nil
		},
	}
}
