package providers

import (
	"context"

	"github.com/latchauth/latch/oauth"
)

// LichessEmailURL returns a Lichess user's address.
const LichessEmailURL = "https://lichess.org/api/account/email"

// Lichess is Lichess's OAuth 2.0 sign-in (a public client: PKCE, no
// secret). The user is read from GET https://lichess.org/api/account
// ({"id", "username"}) and the address from /api/account/email
// ({"email"}), which Lichess does not say is verified.
func Lichess(clientID string) *oauth.Provider {
	return &oauth.Provider{
		ID: "lichess", Name: "Lichess", ClientID: clientID,
		AuthURL:     "https://lichess.org/oauth",
		TokenURL:    "https://lichess.org/api/token",
		UserInfoURL: "https://lichess.org/api/account",
		Scopes:      []string{"email:read"},
		User: func(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			u := oauth.ProviderUser{ID: str(p, "id"), Name: str(p, "username"), Raw: p}
			var e struct {
				Email string `json:"email"`
			}
			if err := d.GetJSON(ctx, LichessEmailURL, &e); err != nil {
				return u, err
			}
			u.Email = e.Email
			return u, nil
		},
	}
}
