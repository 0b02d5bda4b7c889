package providers

import (
	"context"
	"net/http"

	"github.com/latchauth/latch/oauth"
)

// DropboxAccountURL is Dropbox's current-account RPC endpoint (a POST).
const DropboxAccountURL = "https://api.dropboxapi.com/2/users/get_current_account"

// Dropbox is Dropbox's OAuth 2.0 sign-in. The user is read by
// POST https://api.dropboxapi.com/2/users/get_current_account
// ({"account_id", "name": {"display_name"}, "email", "email_verified",
// "profile_photo_url"}).
func Dropbox(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "dropbox", Name: "Dropbox", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:  "https://www.dropbox.com/oauth2/authorize",
		TokenURL: "https://api.dropboxapi.com/oauth2/token",
		Scopes:   []string{"account_info.read"},
		User: func(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			var p map[string]any
			if err := d.DoJSON(ctx, http.MethodPost, DropboxAccountURL, []byte("null"), &p); err != nil {
				return oauth.ProviderUser{}, err
			}
			return oauth.ProviderUser{
				ID: str(p, "account_id"), Email: str(p, "email"), EmailVerified: boolean(p, "email_verified"),
				Name: str(p, "name", "display_name"), AvatarURL: str(p, "profile_photo_url"), Raw: p,
			}, nil
		},
	}
}
