package providers

import (
	"context"
	"strings"

	"github.com/latchauth/latch/oauth"
)

// GitLab is GitLab.com's OpenID Connect sign-in; see GitLabAt for a
// self-managed instance.
func GitLab(clientID, clientSecret string) *oauth.Provider {
	return GitLabAt("https://gitlab.com", clientID, clientSecret)
}

// GitLabAt is the OpenID Connect sign-in of the GitLab instance at baseURL
// (its issuer). The user comes from the verified ID token ("sub", "email",
// "email_verified", "name", "nickname", "picture"), with
// /oauth/userinfo filling in what the token lacks.
func GitLabAt(baseURL, clientID, clientSecret string) *oauth.Provider {
	base := strings.TrimRight(baseURL, "/")
	return &oauth.Provider{
		ID: "gitlab", Name: "GitLab", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:      base,
		AuthURL:     base + "/oauth/authorize",
		TokenURL:    base + "/oauth/token",
		JWKSURL:     base + "/oauth/discovery/keys",
		UserInfoURL: base + "/oauth/userinfo",
		Scopes:      []string{"openid", "profile", "email"},
		PKCE:        true,
		User:        gitlabUser,
	}
}

func gitlabUser(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
	u, err := oauth.OIDCUser(ctx, d)
	if u.Name == "" {
		u.Name = str(u.Raw, "nickname")
	}
	return u, err
}
