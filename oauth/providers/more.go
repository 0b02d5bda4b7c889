package providers

import (
	"context"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch/oauth"
)

// Line is LINE Login v2.1, an OpenID Connect provider. The user comes
// from the ID token ("sub", "name", "picture", "email"), verified with
// go-oidc: issuer https://access.line.me, audience the channel id,
// expiry and nonce. LINE signs the ID tokens of web logins with HS256
// keyed with the channel secret (clientSecret), a MAC go-oidc's key sets
// do not check, so the provider lists it in IDTokenAlgs and oauth checks
// it with the secret through go-jose; ES256 tokens (LINE's SDKs) are
// checked against LINE's JWKS. Without an ID token (the "openid" scope
// removed) the user comes from the user info endpoint alone. LINE does
// not say that the address is verified: it never links accounts.
func Line(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "line", Name: "LINE", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:          "https://access.line.me",
		AuthURL:         "https://access.line.me/oauth2/v2.1/authorize",
		TokenURL:        "https://api.line.me/oauth2/v2.1/token",
		AuthStyle:       oauth2.AuthStyleInParams,
		JWKSURL:         "https://api.line.me/oauth2/v2.1/certs",
		UserInfoURL:     "https://api.line.me/oauth2/v2.1/userinfo",
		IDTokenAlgs:     []string{"HS256", "ES256"},
		IDTokenOptional: true,
		Scopes:          []string{"openid", "profile", "email"},
		User: func(ctx context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			u, err := oauth.OIDCUser(ctx, d)
			u.EmailVerified = false
			return u, err
		},
	}
}

// LinkedIn is Sign In with LinkedIn using OpenID Connect. The user comes
// from the ID token ("sub", "name", "email", "email_verified",
// "picture"), verified with go-oidc against LinkedIn's JWKS (RS256),
// issuer https://www.linkedin.com/oauth, audience and expiry; the user
// info endpoint (https://api.linkedin.com/v2/userinfo) fills in what the
// token lacks. LinkedIn does not echo the nonce, so NonceOptional is set
// (a nonce that is there must match); what binds its code to the browser
// is the PKCE verifier, sent as to every provider, which LinkedIn checks
// for apps where PKCE is enabled (enable it in the developer portal).
func LinkedIn(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "linkedin", Name: "LinkedIn", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:          "https://www.linkedin.com/oauth",
		AuthURL:         "https://www.linkedin.com/oauth/v2/authorization",
		TokenURL:        "https://www.linkedin.com/oauth/v2/accessToken",
		AuthStyle:       oauth2.AuthStyleInParams,
		JWKSURL:         "https://www.linkedin.com/oauth/openid/jwks",
		UserInfoURL:     "https://api.linkedin.com/v2/userinfo",
		IDTokenOptional: true,
		NonceOptional:   true,
		Scopes:          []string{"openid", "profile", "email"},
		User:            oauth.OIDCUser,
	}
}

// Osu is osu!'s OAuth sign-in. The user is read from
// GET https://osu.ppy.sh/api/v2/me ({"id", "username", "avatar_url"});
// osu! gives no address.
func Osu(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "osu", Name: "osu!", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://osu.ppy.sh/oauth/authorize",
		TokenURL:    "https://osu.ppy.sh/oauth/token",
		AuthStyle:   oauth2.AuthStyleInParams,
		UserInfoURL: "https://osu.ppy.sh/api/v2/me",
		Scopes:      []string{"identify"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{ID: str(p, "id"), Name: str(p, "username"), AvatarURL: str(p, "avatar_url"), Raw: p}, nil
		},
	}
}

// Patreon is Patreon's OAuth sign-in. The user is read from the v2
// identity endpoint ({"data": {"id", "attributes": {"email",
// "is_email_verified", "full_name", "image_url"}}}).
func Patreon(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "patreon", Name: "Patreon", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://www.patreon.com/oauth2/authorize",
		TokenURL:    "https://www.patreon.com/api/oauth2/token",
		AuthStyle:   oauth2.AuthStyleInParams,
		UserInfoURL: "https://www.patreon.com/api/oauth2/v2/identity?fields%5Buser%5D=email,full_name,image_url,is_email_verified",
		Scopes:      []string{"identity", "identity[email]"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{
				ID: str(p, "data", "id"), Email: str(p, "data", "attributes", "email"),
				EmailVerified: boolean(p, "data", "attributes", "is_email_verified"),
				Name:          str(p, "data", "attributes", "full_name"), AvatarURL: str(p, "data", "attributes", "image_url"), Raw: p,
			}, nil
		},
	}
}

// Reddit is Reddit's OAuth sign-in. The user is read from
// GET https://oauth.reddit.com/api/v1/me ({"id", "name", "icon_img"});
// Reddit gives no address and wants a User-Agent.
func Reddit(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "reddit", Name: "Reddit", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://www.reddit.com/api/v1/authorize",
		TokenURL:    "https://www.reddit.com/api/v1/access_token",
		AuthStyle:   oauth2.AuthStyleInHeader,
		UserInfoURL: "https://oauth.reddit.com/api/v1/me",
		Scopes:      []string{"identity"},
		AuthParams:  map[string]string{"duration": "temporary"},
		APIHeader:   header("User-Agent", userAgent),
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{ID: str(p, "id"), Name: str(p, "name"), AvatarURL: htmlUnescape(str(p, "icon_img")), Raw: p}, nil
		},
	}
}

// Spotify is Spotify's OAuth sign-in. The user is read from
// GET https://api.spotify.com/v1/me ({"id", "display_name", "email",
// "images": [{"url"}]}); Spotify says its address is unverified.
func Spotify(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "spotify", Name: "Spotify", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://accounts.spotify.com/authorize",
		TokenURL:    "https://accounts.spotify.com/api/token",
		UserInfoURL: "https://api.spotify.com/v1/me",
		Scopes:      []string{"user-read-email", "user-read-private"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			u := oauth.ProviderUser{ID: str(p, "id"), Email: str(p, "email"), Name: str(p, "display_name"), Raw: p}
			if imgs, ok := oauth.Value(p, "images").([]any); ok && len(imgs) > 0 {
				if first, ok := imgs[0].(map[string]any); ok {
					u.AvatarURL = str(first, "url")
				}
			}
			return u, nil
		},
	}
}

// Strava is Strava's OAuth sign-in. The user is read from
// GET https://www.strava.com/api/v3/athlete ({"id", "firstname",
// "lastname", "profile"}); Strava gives no address.
func Strava(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "strava", Name: "Strava", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://www.strava.com/oauth/authorize",
		TokenURL:    "https://www.strava.com/oauth/token",
		AuthStyle:   oauth2.AuthStyleInParams,
		UserInfoURL: "https://www.strava.com/api/v3/athlete",
		Scopes:      []string{"read"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{
				ID: str(p, "id"), Name: joinName(str(p, "firstname"), str(p, "lastname")), AvatarURL: str(p, "profile"), Raw: p,
			}, nil
		},
	}
}

// Twitch is Twitch's OAuth sign-in. The user is read from the Helix API,
// GET https://api.twitch.tv/helix/users with the Client-Id header
// ({"data": [{"id", "login", "display_name", "email",
// "profile_image_url"}]}); Twitch returns only a verified address.
func Twitch(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "twitch", Name: "Twitch", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://id.twitch.tv/oauth2/authorize",
		TokenURL:    "https://id.twitch.tv/oauth2/token",
		AuthStyle:   oauth2.AuthStyleInParams,
		UserInfoURL: "https://api.twitch.tv/helix/users",
		Scopes:      []string{"user:read:email"},
		APIHeader:   header("Client-Id", clientID),
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := first(d.Profile, "data")
			u := oauth.ProviderUser{ID: str(p, "id"), Email: str(p, "email"), Name: str(p, "display_name"), AvatarURL: str(p, "profile_image_url"), Raw: d.Profile}
			u.EmailVerified = u.Email != ""
			return u, nil
		},
	}
}

// Twitter is X (Twitter)'s OAuth 2.0 sign-in with PKCE. The user is read
// from GET https://api.twitter.com/2/users/me?user.fields=profile_image_url
// ({"data": {"id", "name", "username", "profile_image_url"}}); X gives no
// address there.
func Twitter(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "twitter", Name: "X", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://twitter.com/i/oauth2/authorize",
		TokenURL:    "https://api.twitter.com/2/oauth2/token",
		AuthStyle:   oauth2.AuthStyleInHeader,
		UserInfoURL: "https://api.twitter.com/2/users/me?user.fields=profile_image_url",
		Scopes:      []string{"users.read", "tweet.read"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			u := oauth.ProviderUser{ID: str(p, "data", "id"), Name: str(p, "data", "name"), AvatarURL: str(p, "data", "profile_image_url"), Raw: p}
			if u.Name == "" {
				u.Name = str(p, "data", "username")
			}
			return u, nil
		},
	}
}

// first returns the first object of the array at key, or nil.
func first(m map[string]any, key string) map[string]any {
	if list, ok := m[key].([]any); ok && len(list) > 0 {
		o, _ := list[0].(map[string]any)
		return o
	}
	return nil
}

func joinName(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += p
	}
	return out
}
