package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/providers"
)

// envProvider is a provider latchd configures from the environment:
// LATCH_OAUTH_<NAME>_CLIENT_ID and LATCH_OAUTH_<NAME>_CLIENT_SECRET, and
// the extra variables it lists (read with get(suffix)).
type envProvider struct {
	name   string
	extra  string // help for the extra variables
	public bool   // the provider needs no client secret (PKCE public client)
	make   func(id, secret string, get func(suffix string) string) (*oauth.Provider, error)
}

func plain(f func(id, secret string) *oauth.Provider) func(string, string, func(string) string) (*oauth.Provider, error) {
	return func(id, secret string, _ func(string) string) (*oauth.Provider, error) { return f(id, secret), nil }
}

// envProviders lists the providers in the order the sign-in page shows them.
var envProviders = []envProvider{
	{name: "GITHUB", make: plain(providers.GitHub)},
	{name: "GOOGLE", make: plain(providers.Google)},
	{name: "MICROSOFT", extra: "_TENANT (tenant id or domain; default common)", make: func(id, secret string, get func(string) string) (*oauth.Provider, error) {
		return providers.Microsoft(get("_TENANT"), id, secret), nil
	}},
	{name: "APPLE", extra: "_TEAM_ID, _KEY_ID and _PRIVATE_KEY_FILE (the .p8 key) instead of _CLIENT_SECRET", public: true, make: appleFromEnv},
	{name: "GITLAB", extra: "_URL (a self-managed instance, provider id gitlab-<host>; default https://gitlab.com)\n        and _ID (keep the id gitlab that an instance had before: its keys and redirect URL)", make: func(id, secret string, get func(string) string) (*oauth.Provider, error) {
		p := providers.GitLab(id, secret)
		if base := get("_URL"); base != "" {
			p = providers.GitLabAt(base, id, secret)
		}
		if pid := get("_ID"); pid != "" {
			p.ID = pid
		}
		return p, nil
	}},
	{name: "DISCORD", make: plain(providers.Discord)},
	{name: "ATLASSIAN", make: plain(providers.Atlassian)},
	{name: "AUTH0", extra: "_DOMAIN (the tenant's domain, required)", make: func(id, secret string, get func(string) string) (*oauth.Provider, error) {
		d, err := required(get, "_DOMAIN")
		return providers.Auth0(d, id, secret), err
	}},
	{name: "BITBUCKET", make: plain(providers.Bitbucket)},
	{name: "BOX", make: plain(providers.Box)},
	{name: "COGNITO", extra: "_REGION and _USER_POOL_ID (required)", make: func(id, secret string, get func(string) string) (*oauth.Provider, error) {
		region, err := required(get, "_REGION")
		if err != nil {
			return nil, err
		}
		pool, err := required(get, "_USER_POOL_ID")
		return providers.Cognito(region, pool, id, secret), err
	}},
	{name: "DROPBOX", make: plain(providers.Dropbox)},
	{name: "FACEBOOK", make: plain(providers.Facebook)},
	{name: "KAKAO", make: plain(providers.Kakao)},
	{name: "KEYCLOAK", extra: "_URL and _REALM (required)", make: func(id, secret string, get func(string) string) (*oauth.Provider, error) {
		base, err := required(get, "_URL")
		if err != nil {
			return nil, err
		}
		realm, err := required(get, "_REALM")
		return providers.Keycloak(base, realm, id, secret), err
	}},
	{name: "LICHESS", extra: " needs no _CLIENT_SECRET (a public client)", public: true, make: func(id, _ string, _ func(string) string) (*oauth.Provider, error) {
		return providers.Lichess(id), nil
	}},
	{name: "LINE", extra: "_CLIENT_ID and _CLIENT_SECRET: the channel id and channel secret", make: plain(providers.Line)},
	{name: "LINKEDIN", make: plain(providers.LinkedIn)},
	{name: "OSU", make: plain(providers.Osu)},
	{name: "PATREON", make: plain(providers.Patreon)},
	{name: "REDDIT", make: plain(providers.Reddit)},
	{name: "SALESFORCE", extra: "_URL (login URL; default https://login.salesforce.com)", make: func(id, secret string, get func(string) string) (*oauth.Provider, error) {
		if u := get("_URL"); u != "" {
			return providers.SalesforceAt(u, id, secret), nil
		}
		return providers.Salesforce(id, secret), nil
	}},
	{name: "SLACK", make: plain(providers.Slack)},
	{name: "SPOTIFY", make: plain(providers.Spotify)},
	{name: "STRAVA", make: plain(providers.Strava)},
	{name: "TWITCH", make: plain(providers.Twitch)},
	{name: "TWITTER", make: plain(providers.Twitter)},
}

// required returns a provider's extra variable, or an error when unset.
func required(get func(string) string, suffix string) (string, error) {
	if v := get(suffix); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%s is required", strings.TrimPrefix(suffix, "_"))
}

func appleFromEnv(id, secret string, get func(string) string) (*oauth.Provider, error) {
	cfg := providers.AppleConfig{ClientID: id, ClientSecret: secret, TeamID: get("_TEAM_ID"), KeyID: get("_KEY_ID")}
	if secret == "" {
		path := get("_PRIVATE_KEY_FILE")
		if path == "" {
			return nil, errors.New("set LATCH_OAUTH_APPLE_CLIENT_SECRET, or _TEAM_ID, _KEY_ID and _PRIVATE_KEY_FILE")
		}
		key, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		cfg.PrivateKey = key
	}
	return providers.Apple(cfg)
}

// oauthProviders reads the OAuth providers from the environment. A
// provider is configured when its client id is set; a secret without an id,
// or an id without the secret the provider needs, is an error.
func oauthProviders(getenv func(string) string) ([]*oauth.Provider, error) {
	var out []*oauth.Provider
	for _, ep := range envProviders {
		prefix := "LATCH_OAUTH_" + ep.name
		get := func(suffix string) string { return strings.TrimSpace(getenv(prefix + suffix)) }
		id, secret := get("_CLIENT_ID"), get("_CLIENT_SECRET")
		switch {
		case id == "" && secret == "":
			continue
		case id == "":
			return nil, fmt.Errorf("%s_CLIENT_SECRET is set but %s_CLIENT_ID is not", prefix, prefix)
		case secret == "" && !ep.public:
			return nil, fmt.Errorf("%s_CLIENT_ID is set but %s_CLIENT_SECRET is not", prefix, prefix)
		}
		p, err := ep.make(id, secret, get)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", prefix, err)
		}
		out = append(out, p)
	}
	issuer := strings.TrimSpace(getenv("LATCH_OIDC_ISSUER"))
	id, secret := strings.TrimSpace(getenv("LATCH_OIDC_CLIENT_ID")), strings.TrimSpace(getenv("LATCH_OIDC_CLIENT_SECRET"))
	switch {
	case issuer == "" && id == "" && secret == "":
	case issuer == "" || id == "":
		return nil, errors.New("LATCH_OIDC_ISSUER and LATCH_OIDC_CLIENT_ID (and LATCH_OIDC_CLIENT_SECRET) go together")
	default:
		name := strings.TrimSpace(getenv("LATCH_OIDC_NAME"))
		if name == "" {
			name = "single sign-on"
		}
		pid := strings.TrimSpace(getenv("LATCH_OIDC_ID"))
		if pid == "" {
			pid = "oidc"
		}
		// LATCH_OIDC_ID=email would let the identity provider's subjects
		// sign into the password accounts of the same name.
		if slices.Contains(oauth.ReservedProviderIDs(), pid) {
			return nil, fmt.Errorf("LATCH_OIDC_ID %q is reserved by Latch for its own keys (%s): choose another", pid, strings.Join(oauth.ReservedProviderIDs(), ", "))
		}
		scopes := strings.FieldsFunc(getenv("LATCH_OIDC_SCOPES"), func(r rune) bool { return r == ',' || r == ' ' })
		out = append(out, providers.OIDC(pid, name, issuer, id, secret, scopes...))
	}
	// Two providers under one id (LATCH_OIDC_ID=github) would share keys.
	seen := map[string]bool{}
	for _, p := range out {
		if seen[p.ID] {
			return nil, fmt.Errorf("two OAuth providers are named %q", p.ID)
		}
		seen[p.ID] = true
	}
	return out, nil
}

// oauthUsage is the part of --help about OAuth sign-in.
func oauthUsage() string {
	var b strings.Builder
	b.WriteString(`
OAuth sign-in (environment only; a provider is on when its client id is set;
register <base-url>/api/auth/oauth/<provider>/callback as its redirect URL):
`)
	var names []string
	for _, ep := range envProviders {
		names = append(names, ep.name)
	}
	fmt.Fprintf(&b, "  LATCH_OAUTH_<NAME>_CLIENT_ID, LATCH_OAUTH_<NAME>_CLIENT_SECRET\n        NAME: %s\n", wrapWords(names, 8))
	for _, ep := range envProviders {
		if ep.extra != "" {
			fmt.Fprintf(&b, "  LATCH_OAUTH_%s%s\n", ep.name, ep.extra)
		}
	}
	b.WriteString(`  LATCH_OIDC_ISSUER, LATCH_OIDC_CLIENT_ID, LATCH_OIDC_CLIENT_SECRET
        any OpenID Connect provider, by discovery from its issuer URL;
        LATCH_OIDC_ID (default oidc; not email or another id Latch
        keeps for its own keys), LATCH_OIDC_NAME (button text),
        LATCH_OIDC_SCOPES (default "openid email profile")
`)
	return b.String()
}

func wrapWords(words []string, perLine int) string {
	var lines []string
	for i := 0; i < len(words); i += perLine {
		lines = append(lines, strings.Join(words[i:min(i+perLine, len(words))], ", "))
	}
	return strings.Join(lines, ",\n              ")
}
