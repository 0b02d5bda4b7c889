package providers

import (
	"context"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch/oauth"
)

// GitHub is GitHub's OAuth app sign-in. The user is read from
// GET https://api.github.com/user ({"id": 1, "login", "name",
// "avatar_url", "email"}) and the address from
// GET https://api.github.com/user/emails: the primary address, verified
// only when GitHub says so ("primary": true, "verified": true). A public
// profile address is used, unverified, only when no primary one is listed.
func GitHub(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "github", Name: "GitHub", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://github.com/login/oauth/authorize",
		TokenURL:    "https://github.com/login/oauth/access_token",
		AuthStyle:   oauth2.AuthStyleInParams,
		UserInfoURL: "https://api.github.com/user",
		Scopes:      []string{"read:user", "user:email"},
		APIHeader:   header("User-Agent", userAgent, "X-GitHub-Api-Version", "2022-11-28"),
		User:        githubUser,
	}
}

// GitHubEmailsURL lists the user's addresses.
const GitHubEmailsURL = "https://api.github.com/user/emails"

func githubUser(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
	p := d.Profile
	u := oauth.ProviderUser{ID: str(p, "id"), Name: str(p, "name"), AvatarURL: str(p, "avatar_url"), Raw: p}
	if u.Name == "" {
		u.Name = str(p, "login")
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := d.GetJSON(ctx, GitHubEmailsURL, &emails); err != nil {
		return u, err
	}
	for _, e := range emails {
		if e.Primary {
			u.Email, u.EmailVerified = e.Email, e.Verified
		}
	}
	if u.Email == "" {
		u.Email = str(p, "email")
	}
	return u, nil
}
