package providers

import (
	"context"
	"errors"
	"html"
	"strings"

	"github.com/latchauth/latch/oauth"
)

// Salesforce is Salesforce's OpenID Connect sign-in. The user comes from
// the verified ID token, with the user info endpoint
// (https://login.salesforce.com/services/oauth2/userinfo) filling in what
// it lacks. Use SalesforceAt for a sandbox or My Domain login URL.
func Salesforce(clientID, clientSecret string) *oauth.Provider {
	return SalesforceAt("https://login.salesforce.com", clientID, clientSecret)
}

// SalesforceAt is Salesforce's sign-in at another login URL
// (https://test.salesforce.com, https://<domain>.my.salesforce.com).
func SalesforceAt(loginURL, clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "salesforce", Name: "Salesforce", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:      loginURL,
		AuthURL:     loginURL + "/services/oauth2/authorize",
		TokenURL:    loginURL + "/services/oauth2/token",
		JWKSURL:     loginURL + "/id/keys",
		UserInfoURL: loginURL + "/services/oauth2/userinfo",
		Scopes:      []string{"openid", "email", "profile"},
		User:        oauth.OIDCUser,
	}
}

// Slack is Sign in with Slack (OpenID Connect). The user comes from the
// verified ID token ("sub", "email", "email_verified", "name",
// "picture"; "https://slack.com/team_id" in Raw).
//
// Slack's user ids are unique only together with the workspace's team id,
// so the provider user id is "<team id>/<user id>" ("T0R7GR/U0R7JM"): a
// user of one workspace never signs in as the namesake of another. A key
// made before under the bare user id is moved to the qualified id on its
// user's next sign-in (ProviderUser.FormerID).
func Slack(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "slack", Name: "Slack", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:      "https://slack.com",
		AuthURL:     "https://slack.com/openid/connect/authorize",
		TokenURL:    "https://slack.com/api/openid.connect.token",
		JWKSURL:     "https://slack.com/openid/connect/keys",
		UserInfoURL: "https://slack.com/api/openid.connect.userInfo",
		Scopes:      []string{"openid", "email", "profile"},
		User:        slackUser,
	}
}

func slackUser(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
	u, err := oauth.OIDCUser(ctx, d)
	if err != nil {
		return u, err
	}
	team := oauth.String(d.Claims, "https://slack.com/team_id")
	if team == "" || strings.ContainsAny(team, "/:") {
		return u, errors.New("slack: the ID token names no team")
	}
	if u.ID != "" {
		u.FormerID, u.ID = u.ID, team+"/"+u.ID
	}
	return u, nil
}

// htmlUnescape undoes the HTML escaping Reddit applies to URLs in JSON.
func htmlUnescape(s string) string { return html.UnescapeString(s) }
