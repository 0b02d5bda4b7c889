package providers

import (
	"context"
	"net/url"
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
//
// GitLab's user ids are unique only within an instance, so each instance
// has its own provider id, and with it its own keys: "gitlab" for
// gitlab.com, "gitlab-<host>" for another ("gitlab-git.corp.example"),
// and user 42 of one instance never signs in as user 42 of another. An
// application that ran a self-managed instance under the id "gitlab"
// before keeps its keys (and its registered redirect URL) by setting the
// returned provider's ID back to "gitlab" — as long as that id only
// ever serves that one instance.
func GitLabAt(baseURL, clientID, clientSecret string) *oauth.Provider {
	base := strings.TrimRight(baseURL, "/")
	return &oauth.Provider{
		ID: gitlabID(base), Name: "GitLab", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:      base,
		AuthURL:     base + "/oauth/authorize",
		TokenURL:    base + "/oauth/token",
		JWKSURL:     base + "/oauth/discovery/keys",
		UserInfoURL: base + "/oauth/userinfo",
		Scopes:      []string{"openid", "profile", "email"},
		User:        gitlabUser,
	}
}

// gitlabID is the provider id of the instance at base: "gitlab" for
// gitlab.com, else "gitlab-" and its host (a port as "-<port>").
func gitlabID(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "gitlab-instance" // New refuses the URL itself
	}
	host := strings.ToLower(u.Host)
	if host == "gitlab.com" {
		return "gitlab"
	}
	return "gitlab-" + strings.ReplaceAll(strings.Trim(host, "[]"), ":", "-")
}

func gitlabUser(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
	u, err := oauth.OIDCUser(ctx, d)
	if u.Name == "" {
		u.Name = str(u.Raw, "nickname")
	}
	return u, err
}
