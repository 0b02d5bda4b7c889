package providers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
)

// fixed returns a constructor of a provider that needs no testing.T.
func fixed(p func(id, secret string) *oauth.Provider) func(*testing.T) *oauth.Provider {
	return func(*testing.T) *oauth.Provider { return p("client-id", "client-secret") }
}

// profile serves one JSON user response at rawURL.
func profile(rawURL string, body any) func(*oauthtest.Server) {
	return func(f *oauthtest.Server) { f.JSON("GET", rawURL, body) }
}

// oidcClaims sets the ID token's subject and claims.
func oidcClaims(sub string, claims map[string]any) func(*oauthtest.Server) {
	return func(f *oauthtest.Server) {
		f.Update(func(s *oauthtest.Settings) { s.Subject, s.Claims = sub, claims })
	}
}

func TestMoreProviders(t *testing.T) {
	runCases(t, []providerCase{{
		name: "atlassian",
		make: fixed(providers.Atlassian),
		setup: profile("https://api.atlassian.com/me", map[string]any{
			"account_type": "atlassian", "account_id": "112233aa-bb11-cc22-33dd-445566abcabc", "email": "mia@example.com",
			"name": "Mia Krystof", "picture": "https://avatar-management.example/mia.png", "account_status": "active",
			"nickname": "mkrystof", "zoneinfo": "Australia/Sydney", "locale": "en-US", "email_verified": true,
		}),
		want: oauth.ProviderUser{ID: "112233aa-bb11-cc22-33dd-445566abcabc", Email: "mia@example.com", EmailVerified: true, Name: "Mia Krystof", AvatarURL: "https://avatar-management.example/mia.png"},
		check: func(t *testing.T, q url.Values) {
			if q.Get("audience") != "api.atlassian.com" {
				t.Errorf("audience %q", q.Get("audience"))
			}
		},
	}, {
		name: "auth0",
		make: func(*testing.T) *oauth.Provider {
			return providers.Auth0("tenant.eu.auth0.com", "client-id", "client-secret")
		},
		setup: oidcClaims("auth0|5f7c8ec7c33c6c004bbafe82", map[string]any{"email": "a0@example.com", "email_verified": true, "name": "A Zero", "picture": "https://s.gravatar.com/avatar/x.png", "nickname": "a0"}),
		want:  oauth.ProviderUser{ID: "auth0|5f7c8ec7c33c6c004bbafe82", Email: "a0@example.com", EmailVerified: true, Name: "A Zero", AvatarURL: "https://s.gravatar.com/avatar/x.png"},
	}, {
		name: "bitbucket",
		make: fixed(providers.Bitbucket),
		setup: func(f *oauthtest.Server) {
			f.JSON("GET", "https://api.bitbucket.org/2.0/user", map[string]any{
				"type": "user", "uuid": "{d301aafa-d676-4ee0-88be-962be7417567}", "account_id": "557058:c0b72ad0",
				"username": "evzijst", "display_name": "Erik van Zijst", "nickname": "evzijst",
				"links": map[string]any{"avatar": map[string]any{"href": "https://bitbucket.org/account/evzijst/avatar/"}},
			})
			f.JSON("GET", providers.BitbucketEmailsURL, map[string]any{"pagelen": 10, "page": 1, "size": 2, "values": []map[string]any{
				{"type": "email", "email": "old@example.com", "is_primary": false, "is_confirmed": true},
				{"type": "email", "email": "erik@example.com", "is_primary": true, "is_confirmed": true},
			}})
		},
		want: oauth.ProviderUser{ID: "{d301aafa-d676-4ee0-88be-962be7417567}", Email: "erik@example.com", EmailVerified: true, Name: "Erik van Zijst", AvatarURL: "https://bitbucket.org/account/evzijst/avatar/"},
	}, {
		name: "box",
		make: fixed(providers.Box),
		setup: profile("https://api.box.com/2.0/users/me", map[string]any{
			"type": "user", "id": "11446498", "name": "Aaron Levie", "login": "ceo@example.com", "avatar_url": "https://www.box.com/api/avatar/large/181216415",
		}),
		want: oauth.ProviderUser{ID: "11446498", Email: "ceo@example.com", Name: "Aaron Levie", AvatarURL: "https://www.box.com/api/avatar/large/181216415"},
	}, {
		name: "cognito",
		make: func(*testing.T) *oauth.Provider {
			return providers.Cognito("eu-west-1", "eu-west-1_AbCdEf123", "client-id", "client-secret")
		},
		setup: oidcClaims("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", map[string]any{"email": "c@example.com", "email_verified": true, "cognito:username": "c"}),
		want:  oauth.ProviderUser{ID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", Email: "c@example.com", EmailVerified: true},
	}, {
		name: "dropbox",
		make: fixed(providers.Dropbox),
		setup: func(f *oauthtest.Server) {
			f.API("POST", providers.DropboxAccountURL, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","name":{"given_name":"Franz","surname":"Ferdinand","familiar_name":"Franz","display_name":"Franz Ferdinand (Personal)","abbreviated_name":"FF"},"email":"franz@example.com","email_verified":true,"disabled":false,"profile_photo_url":"https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA?vers=1556069330102&size=128x128"}`))
			})
		},
		want: oauth.ProviderUser{ID: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", Email: "franz@example.com", EmailVerified: true, Name: "Franz Ferdinand (Personal)",
			AvatarURL: "https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA?vers=1556069330102&size=128x128"},
	}, {
		name: "facebook",
		make: fixed(providers.Facebook),
		setup: profile(providers.FacebookGraph+"/me", map[string]any{
			"id": "10158239480000000", "name": "Zed Doe", "email": "zed@example.com",
			"picture": map[string]any{"data": map[string]any{"height": 50, "is_silhouette": false, "url": "https://platform-lookaside.fbsbx.com/p.jpg", "width": 50}},
		}),
		want: oauth.ProviderUser{ID: "10158239480000000", Email: "zed@example.com", Name: "Zed Doe", AvatarURL: "https://platform-lookaside.fbsbx.com/p.jpg"},
	}, {
		name: "kakao",
		make: fixed(providers.Kakao),
		setup: profile("https://kapi.kakao.com/v2/user/me", map[string]any{
			"id": 123456789, "connected_at": "2022-04-11T01:45:28Z",
			"kakao_account": map[string]any{
				"profile_nickname_needs_agreement": false,
				"profile":                          map[string]any{"nickname": "홍길동", "profile_image_url": "http://k.kakaocdn.net/img_640x640.jpg", "is_default_image": false},
				"email_needs_agreement":            false, "is_email_valid": true, "is_email_verified": true, "email": "sample@sample.com",
			},
		}),
		want: oauth.ProviderUser{ID: "123456789", Email: "sample@sample.com", EmailVerified: true, Name: "홍길동", AvatarURL: "http://k.kakaocdn.net/img_640x640.jpg"},
	}, {
		name: "keycloak",
		make: func(*testing.T) *oauth.Provider {
			return providers.Keycloak("https://id.example.com/", "acme", "client-id", "client-secret")
		},
		setup: oidcClaims("f1b1f2c4-0000-4000-8000-000000000001", map[string]any{"email": "kc@example.com", "email_verified": false, "preferred_username": "kc", "typ": "ID"}),
		want:  oauth.ProviderUser{ID: "f1b1f2c4-0000-4000-8000-000000000001", Email: "kc@example.com", Name: "kc"},
	}, {
		name: "lichess",
		make: func(*testing.T) *oauth.Provider { return providers.Lichess("latch.example") },
		setup: func(f *oauthtest.Server) {
			f.JSON("GET", "https://lichess.org/api/account", map[string]any{"id": "georges", "username": "Georges", "perfs": map[string]any{}, "createdAt": 1290415680000})
			f.JSON("GET", providers.LichessEmailURL, map[string]any{"email": "abc@gmail.example"})
		},
		want: oauth.ProviderUser{ID: "georges", Email: "abc@gmail.example", Name: "Georges"},
	}, {
		name: "line",
		make: func(*testing.T) *oauth.Provider { return providers.Line("1234567890", lineSecret) },
		setup: oidcClaims("U4af4980629000000000000000000000", map[string]any{
			"name": "Brown", "picture": "https://profile.line-scdn.net/abcdefghijklmn", "email": "brown@example.com", "amr": []string{"linesso"},
		}),
		want: oauth.ProviderUser{ID: "U4af4980629000000000000000000000", Email: "brown@example.com", Name: "Brown", AvatarURL: "https://profile.line-scdn.net/abcdefghijklmn"},
	}, {
		name: "linkedin",
		make: fixed(providers.LinkedIn),
		setup: oidcClaims("782bbtaQ", map[string]any{
			"name": "John Doe", "given_name": "John", "family_name": "Doe",
			"picture": "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/", "locale": "en-US",
			"email": "doe@email.com", "email_verified": true,
		}),
		want: oauth.ProviderUser{ID: "782bbtaQ", Email: "doe@email.com", EmailVerified: true, Name: "John Doe", AvatarURL: "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/"},
	}, {
		name: "osu",
		make: fixed(providers.Osu),
		setup: profile("https://osu.ppy.sh/api/v2/me", map[string]any{
			"avatar_url": "https://a.ppy.sh/2?1519081077.png", "country_code": "AU", "id": 2, "is_active": true, "username": "peppy",
		}),
		want: oauth.ProviderUser{ID: "2", Name: "peppy", AvatarURL: "https://a.ppy.sh/2?1519081077.png"},
	}, {
		name: "patreon",
		make: fixed(providers.Patreon),
		setup: profile("https://www.patreon.com/api/oauth2/v2/identity", map[string]any{
			"data": map[string]any{"id": "12345", "type": "user", "attributes": map[string]any{
				"email": "pat@example.com", "full_name": "Pat Ron", "image_url": "https://c8.patreon.com/2/200/12345", "is_email_verified": true,
			}},
			"links": map[string]any{"self": "https://www.patreon.com/api/oauth2/v2/user/12345"},
		}),
		want: oauth.ProviderUser{ID: "12345", Email: "pat@example.com", EmailVerified: true, Name: "Pat Ron", AvatarURL: "https://c8.patreon.com/2/200/12345"},
	}, {
		name: "reddit",
		make: fixed(providers.Reddit),
		setup: func(f *oauthtest.Server) {
			f.RequireHeader("User-Agent", "latch-oauth/1 (+https://github.com/latchauth/latch)")
			f.JSON("GET", "https://oauth.reddit.com/api/v1/me", map[string]any{
				"id": "1w72", "name": "spez", "icon_img": "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon.png?width=256&amp;height=256",
			})
		},
		want: oauth.ProviderUser{ID: "1w72", Name: "spez", AvatarURL: "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon.png?width=256&height=256"},
	}, {
		name:  "salesforce",
		make:  fixed(providers.Salesforce),
		setup: oidcClaims("https://login.salesforce.com/id/00Dx0000000A9y0EAC/005x0000000UnYmAAK", map[string]any{"email": "sf@example.com", "email_verified": true, "name": "Sales Force", "picture": "https://c.salesforce.example/profilephoto/005/F"}),
		want:  oauth.ProviderUser{ID: "https://login.salesforce.com/id/00Dx0000000A9y0EAC/005x0000000UnYmAAK", Email: "sf@example.com", EmailVerified: true, Name: "Sales Force", AvatarURL: "https://c.salesforce.example/profilephoto/005/F"},
	}, {
		name: "slack",
		make: fixed(providers.Slack),
		setup: oidcClaims("U0R7JM", map[string]any{
			"https://slack.com/user_id": "U0R7JM", "https://slack.com/team_id": "T0R7GR", "email": "krane@slack-corp.com",
			"email_verified": true, "name": "krane", "picture": "https://secure.gravatar.com/avatar/cb0c2b.jpg",
		}),
		want: oauth.ProviderUser{ID: "T0R7GR/U0R7JM", Email: "krane@slack-corp.com", EmailVerified: true, Name: "krane", AvatarURL: "https://secure.gravatar.com/avatar/cb0c2b.jpg"},
	}, {
		name: "spotify",
		make: fixed(providers.Spotify),
		setup: profile("https://api.spotify.com/v1/me", map[string]any{
			"country": "SE", "display_name": "JM Wizzler", "email": "email@example.com", "id": "wizzler",
			"images":  []map[string]any{{"height": nil, "url": "https://fbcdn-profile-a.akamaihd.net/hprofile.jpg", "width": nil}},
			"product": "premium", "type": "user", "uri": "spotify:user:wizzler",
		}),
		want: oauth.ProviderUser{ID: "wizzler", Email: "email@example.com", Name: "JM Wizzler", AvatarURL: "https://fbcdn-profile-a.akamaihd.net/hprofile.jpg"},
	}, {
		name: "strava",
		make: fixed(providers.Strava),
		setup: profile("https://www.strava.com/api/v3/athlete", map[string]any{
			"id": 1234567890987654400, "username": "marianne_t", "firstname": "Marianne", "lastname": "Teutenberg",
			"profile": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/large.jpg",
		}),
		want: oauth.ProviderUser{ID: "1234567890987654400", Name: "Marianne Teutenberg", AvatarURL: "https://dgalywyr863hv.cloudfront.net/pictures/athletes/large.jpg"},
	}, {
		name: "twitch",
		make: fixed(providers.Twitch),
		setup: func(f *oauthtest.Server) {
			f.RequireHeader("Client-Id", "client-id")
			f.JSON("GET", "https://api.twitch.tv/helix/users", map[string]any{"data": []map[string]any{{
				"id": "141981764", "login": "twitchdev", "display_name": "TwitchDev", "type": "", "broadcaster_type": "partner",
				"profile_image_url": "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7.png", "email": "not-real@email.com",
				"created_at": "2016-12-14T20:32:28Z",
			}}})
		},
		want: oauth.ProviderUser{ID: "141981764", Email: "not-real@email.com", EmailVerified: true, Name: "TwitchDev", AvatarURL: "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7.png"},
	}, {
		name: "twitter",
		make: fixed(providers.Twitter),
		setup: profile("https://api.twitter.com/2/users/me", map[string]any{"data": map[string]any{
			"id": "2244994945", "name": "Developers", "username": "XDevelopers", "profile_image_url": "https://pbs.twimg.com/profile_images/1/normal.jpg",
		}}),
		want: oauth.ProviderUser{ID: "2244994945", Name: "Developers", AvatarURL: "https://pbs.twimg.com/profile_images/1/normal.jpg"},
	}, {
		name: "generic oidc",
		make: func(*testing.T) *oauth.Provider {
			return providers.OIDC("okta", "Okta", "https://dev-1.okta.example", "client-id", "client-secret")
		},
		setup: oidcClaims("00u1abcd", map[string]any{"email": "o@example.com", "email_verified": true, "name": "Okta User"}),
		want:  oauth.ProviderUser{ID: "00u1abcd", Email: "o@example.com", EmailVerified: true, Name: "Okta User"},
	}})
}
