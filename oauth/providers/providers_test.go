package providers_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
)

// providerCase is one provider's sign-in against a fake that answers with
// the provider's documented response shapes.
type providerCase struct {
	name  string
	make  func(t *testing.T) *oauth.Provider
	setup func(f *oauthtest.Server)
	want  oauth.ProviderUser
	// check looks at the authorization request, when set.
	check func(t *testing.T, q url.Values)
}

// run signs in through the whole flow: AuthCodeURL, the fake's approval
// (redirect or form post), Callback with the cookies.
func (pc providerCase) run(t *testing.T) *oauth.Result {
	t.Helper()
	p := pc.make(t)
	f := oauthtest.New(t, p)
	if pc.setup != nil {
		pc.setup(f)
	}
	c, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.SignIn(c, p.ID)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	got, want := res.User, pc.want
	if got.ID != want.ID || got.Email != want.Email || got.EmailVerified != want.EmailVerified ||
		got.Name != want.Name || got.AvatarURL != want.AvatarURL {
		t.Errorf("user\n got %+v\nwant %+v", without(got), without(want))
	}
	if len(got.Raw) == 0 {
		t.Error("Raw is empty")
	}
	q := f.LastAuthorization().Query
	if got, want := q.Get("scope"), strings.Join(p.Scopes, " "); got != want {
		t.Errorf("scope %q, want %q", got, want)
	}
	// Every provider gets PKCE, so that a code is bound to this browser.
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Errorf("code_challenge_method %q, challenge %q: want S256 for every provider", q.Get("code_challenge_method"), q.Get("code_challenge"))
	}
	if p.OIDC() != (q.Get("nonce") != "") {
		t.Errorf("OIDC %v, but nonce %q", p.OIDC(), q.Get("nonce"))
	}
	if pc.check != nil {
		pc.check(t, q)
	}
	return res
}

func without(u oauth.ProviderUser) oauth.ProviderUser { u.Raw = nil; return u }

func runCases(t *testing.T, cases []providerCase) {
	t.Helper()
	for _, pc := range cases {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			pc.run(t)
		})
	}
}

func TestGitHub(t *testing.T) {
	gh := func(*testing.T) *oauth.Provider { return providers.GitHub("gh-id", "gh-secret") }
	user := map[string]any{
		"login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
		"avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4", "type": "User",
		"name": "The Octocat", "email": "octocat@public.example", "created_at": "2011-01-25T18:44:36Z",
	}
	runCases(t, []providerCase{{
		name: "verified primary",
		make: gh,
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) { s.TokenForm = true }) // GitHub's default answer
			f.RequireHeader("X-GitHub-Api-Version", "2022-11-28")
			f.JSON("GET", "https://api.github.com/user", user)
			f.JSON("GET", "https://api.github.com/user/emails", []map[string]any{
				{"email": "octo@work.example", "verified": true, "primary": false, "visibility": nil},
				{"email": "octocat@github.example", "verified": true, "primary": true, "visibility": "public"},
			})
		},
		want: oauth.ProviderUser{ID: "583231", Email: "octocat@github.example", EmailVerified: true, Name: "The Octocat", AvatarURL: "https://avatars.githubusercontent.com/u/583231?v=4"},
	}, {
		name: "unverified primary",
		make: gh,
		setup: func(f *oauthtest.Server) {
			f.JSON("GET", "https://api.github.com/user", map[string]any{"id": 1, "login": "newbie", "name": nil, "avatar_url": ""})
			f.JSON("GET", "https://api.github.com/user/emails", []map[string]any{{"email": "newbie@example.com", "verified": false, "primary": true}})
		},
		want: oauth.ProviderUser{ID: "1", Email: "newbie@example.com", EmailVerified: false, Name: "newbie"},
	}, {
		name: "public address only",
		make: gh,
		setup: func(f *oauthtest.Server) {
			f.JSON("GET", "https://api.github.com/user", user)
			f.JSON("GET", "https://api.github.com/user/emails", []map[string]any{})
		},
		want: oauth.ProviderUser{ID: "583231", Email: "octocat@public.example", Name: "The Octocat", AvatarURL: "https://avatars.githubusercontent.com/u/583231?v=4"},
	}})

	t.Run("emails endpoint refused", func(t *testing.T) {
		p := providers.GitHub("gh-id", "gh-secret")
		f := oauthtest.New(t, p)
		f.JSON("GET", "https://api.github.com/user", user)
		c, _ := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client()})
		if _, err := f.SignIn(c, "github"); !errors.Is(err, oauth.ErrUserInfo) {
			t.Errorf("got %v, want ErrUserInfo", err)
		}
	})
}

func TestGoogle(t *testing.T) {
	runCases(t, []providerCase{{
		name: "google",
		make: func(*testing.T) *oauth.Provider {
			return providers.Google("g-id.apps.googleusercontent.com", "g-secret")
		},
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) {
				s.Subject = "110169484474386276334"
				s.Claims = map[string]any{
					"iss": "https://accounts.google.com", "azp": "g-id.apps.googleusercontent.com",
					"email": "ann@gmail.example", "email_verified": true, "name": "Ann Lee",
					"picture": "https://lh3.googleusercontent.com/a/photo", "given_name": "Ann", "family_name": "Lee",
				}
			})
		},
		want: oauth.ProviderUser{ID: "110169484474386276334", Email: "ann@gmail.example", EmailVerified: true, Name: "Ann Lee", AvatarURL: "https://lh3.googleusercontent.com/a/photo"},
	}, {
		name: "issuer without scheme",
		make: func(*testing.T) *oauth.Provider { return providers.Google("g-id", "g-secret") },
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) {
				s.Subject = "42"
				s.Claims = map[string]any{"iss": "accounts.google.com", "email": "b@example.com", "email_verified": false}
			})
		},
		want: oauth.ProviderUser{ID: "42", Email: "b@example.com"},
	}})
}

func TestDiscord(t *testing.T) {
	runCases(t, []providerCase{{
		name: "discord",
		make: func(*testing.T) *oauth.Provider { return providers.Discord("d-id", "d-secret") },
		setup: func(f *oauthtest.Server) {
			f.JSON("GET", "https://discord.com/api/users/@me", map[string]any{
				"id": "80351110224678912", "username": "nelly", "discriminator": "0", "global_name": "Nelly",
				"avatar": "8342729096ea3675442027381ff50dfe", "verified": true, "email": "nelly@discord.example",
				"flags": 64, "premium_type": 1, "public_flags": 64,
			})
		},
		want: oauth.ProviderUser{ID: "80351110224678912", Email: "nelly@discord.example", EmailVerified: true, Name: "Nelly",
			AvatarURL: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"},
	}, {
		name: "unverified, no global name",
		make: func(*testing.T) *oauth.Provider { return providers.Discord("d-id", "d-secret") },
		setup: func(f *oauthtest.Server) {
			f.JSON("GET", "https://discord.com/api/users/@me", map[string]any{"id": "1", "username": "nelly", "global_name": nil, "avatar": nil, "verified": false, "email": "n@example.com"})
		},
		want: oauth.ProviderUser{ID: "1", Email: "n@example.com", Name: "nelly"},
	}})
}

func TestGitLab(t *testing.T) {
	runCases(t, []providerCase{{
		name: "gitlab.com",
		make: func(*testing.T) *oauth.Provider { return providers.GitLab("gl-id", "gl-secret") },
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) {
				s.Subject = "1234"
				s.Claims = map[string]any{"sub_legacy": "2bd2e1b2", "name": "", "nickname": "gl-user", "email": "gl@example.com", "email_verified": true,
					"picture": "https://gitlab.com/uploads/-/system/user/avatar/1234/avatar.png", "groups_direct": []string{"team"}}
			})
		},
		want: oauth.ProviderUser{ID: "1234", Email: "gl@example.com", EmailVerified: true, Name: "gl-user", AvatarURL: "https://gitlab.com/uploads/-/system/user/avatar/1234/avatar.png"},
	}, {
		name: "self-managed, email from userinfo",
		make: func(*testing.T) *oauth.Provider {
			return providers.GitLabAt("https://git.corp.example/", "gl-id", "gl-secret")
		},
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) { s.Subject = "7" })
			f.JSON("GET", "https://git.corp.example/oauth/userinfo", map[string]any{
				"sub": "7", "name": "Pat", "nickname": "pat", "email": "pat@corp.example", "email_verified": true, "picture": "https://git.corp.example/p.png",
			})
		},
		want: oauth.ProviderUser{ID: "7", Email: "pat@corp.example", EmailVerified: true, Name: "Pat", AvatarURL: "https://git.corp.example/p.png"},
	}})
}

const contosoTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func TestMicrosoft(t *testing.T) {
	entra := func(claims map[string]any) func(f *oauthtest.Server) {
		return func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) {
				s.Subject = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"
				s.Claims = claims
			})
		}
	}
	runCases(t, []providerCase{{
		name: "common, organization account with a verified domain",
		make: func(*testing.T) *oauth.Provider { return providers.Microsoft("", "ms-id", "ms-secret") },
		setup: entra(map[string]any{
			"iss": "https://login.microsoftonline.com/" + contosoTenant + "/v2.0", "tid": contosoTenant,
			"oid": "00000000-0000-0000-66f3-3332eca7ea81", "name": "Megan Bowen", "preferred_username": "megan@contoso.example",
			"email": "megan@contoso.example", "xms_edov": true, "ver": "2.0",
		}),
		want: oauth.ProviderUser{ID: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Email: "megan@contoso.example", EmailVerified: true, Name: "Megan Bowen"},
	}, {
		name: "common, email not vouched for",
		make: func(*testing.T) *oauth.Provider { return providers.Microsoft("common", "ms-id", "ms-secret") },
		setup: entra(map[string]any{
			"iss": "https://login.microsoftonline.com/" + contosoTenant + "/v2.0", "tid": contosoTenant,
			"name": "Adele", "email": "adele@elsewhere.example",
		}),
		want: oauth.ProviderUser{ID: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Email: "adele@elsewhere.example", Name: "Adele"},
	}, {
		name: "single tenant, verified_primary_email",
		make: func(*testing.T) *oauth.Provider { return providers.Microsoft(contosoTenant, "ms-id", "ms-secret") },
		setup: entra(map[string]any{
			"tid": contosoTenant, "name": "Lee", "email": "Lee@contoso.example", "verified_primary_email": []string{"lee@contoso.example"},
		}),
		want: oauth.ProviderUser{ID: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Email: "Lee@contoso.example", EmailVerified: true, Name: "Lee"},
		check: func(t *testing.T, q url.Values) {
			if q.Get("client_id") != "ms-id" {
				t.Errorf("client_id %q", q.Get("client_id"))
			}
		},
	}})

	// The issuer must be the one of the token's own tenant.
	for name, tc := range map[string]struct {
		tenant string
		claims map[string]any
	}{
		"issuer of another tenant": {"common", map[string]any{"iss": "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0", "tid": contosoTenant}},
		"tid not a GUID":           {"common", map[string]any{"iss": "https://login.microsoftonline.com/x/v2.0", "tid": "x"}},
		"consumers, org tenant":    {"consumers", map[string]any{"iss": "https://login.microsoftonline.com/" + contosoTenant + "/v2.0", "tid": contosoTenant}},
		"organizations, personal": {"organizations", map[string]any{
			"iss": "https://login.microsoftonline.com/" + providers.MicrosoftConsumersTenant + "/v2.0", "tid": providers.MicrosoftConsumersTenant,
		}},
		"single tenant, other issuer": {contosoTenant, map[string]any{"iss": "https://login.microsoftonline.com/common/v2.0", "tid": contosoTenant}},
	} {
		t.Run(name, func(t *testing.T) {
			p := providers.Microsoft(tc.tenant, "ms-id", "ms-secret")
			f := oauthtest.New(t, p)
			f.Update(func(s *oauthtest.Settings) { s.Claims = tc.claims })
			c, _ := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client()})
			if _, err := f.SignIn(c, "microsoft"); !errors.Is(err, oauth.ErrInvalidIDToken) {
				t.Errorf("got %v, want ErrInvalidIDToken", err)
			}
		})
	}
}

func TestApple(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	cfg := providers.AppleConfig{ClientID: "com.example.web", TeamID: "TEAM123456", KeyID: "KEY1234567", PrivateKey: p8}
	// Apple's token endpoint checks the client secret: an ES256 JWT from
	// the team, about the Services ID, for Apple, signed by the key.
	checkSecret := func(secret string) error {
		tok, err := jwt.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			return err
		}
		if len(tok.Headers) != 1 || tok.Headers[0].KeyID != "KEY1234567" {
			return errors.New("wrong kid")
		}
		var c jwt.Claims
		if err := tok.Claims(&key.PublicKey, &c); err != nil {
			return err
		}
		return c.Validate(jwt.Expected{Issuer: "TEAM123456", Subject: "com.example.web", AnyAudience: jwt.Audience{"https://appleid.apple.com"}, Time: time.Now()})
	}
	apple := func(t *testing.T) *oauth.Provider {
		p, err := providers.Apple(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	runCases(t, []providerCase{{
		name: "first sign-in, name posted",
		make: apple,
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) {
				s.CheckSecret = checkSecret
				s.Subject = "001234.abcdef0123456789.0123"
				s.Claims = map[string]any{"email": "x7k2@privaterelay.appleid.com", "email_verified": "true", "is_private_email": "true", "auth_time": time.Now().Unix()}
				// Apple adds the user's name to the posted form, the first time.
				s.ExtraAnswer = url.Values{"user": {`{"name":{"firstName":"Tim","lastName":"Apple"},"email":"x7k2@privaterelay.appleid.com"}`}}
			})
		},
		want: oauth.ProviderUser{ID: "001234.abcdef0123456789.0123", Email: "x7k2@privaterelay.appleid.com", EmailVerified: true, Name: "Tim Apple"},
		check: func(t *testing.T, q url.Values) {
			if q.Get("response_mode") != "form_post" {
				t.Errorf("response_mode %q", q.Get("response_mode"))
			}
		},
	}, {
		name: "later sign-in, boolean email_verified",
		make: apple,
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) {
				s.CheckSecret = checkSecret
				s.Subject = "001234.abcdef0123456789.0123"
				s.Claims = map[string]any{"email": "tim@example.com", "email_verified": true}
			})
		},
		want: oauth.ProviderUser{ID: "001234.abcdef0123456789.0123", Email: "tim@example.com", EmailVerified: true},
	}, {
		name: "made-up secret",
		make: func(t *testing.T) *oauth.Provider {
			p, err := providers.Apple(providers.AppleConfig{ClientID: "com.example.web", ClientSecret: "pre-made"})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		setup: func(f *oauthtest.Server) {
			f.Update(func(s *oauthtest.Settings) {
				s.Subject = "s"
				s.Claims = map[string]any{"email": "a@example.com", "email_verified": "false"}
			})
		},
		want: oauth.ProviderUser{ID: "s", Email: "a@example.com"},
	}})

	for name, c := range map[string]providers.AppleConfig{
		"no client id": {TeamID: "T", KeyID: "K", PrivateKey: p8},
		"no key":       {ClientID: "c", TeamID: "T", KeyID: "K"},
		"bad key":      {ClientID: "c", TeamID: "T", KeyID: "K", PrivateKey: []byte("not pem")},
	} {
		if _, err := providers.Apple(c); err == nil {
			t.Errorf("%s: Apple accepted it", name)
		}
	}
}
