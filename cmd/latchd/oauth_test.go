package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestOAuthProvidersFromEnv(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	p8 := filepath.Join(dir, "AuthKey.p8")
	if err := os.WriteFile(p8, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := oauthProviders(envOf(map[string]string{
		"LATCH_OAUTH_GITHUB_CLIENT_ID": "gh", "LATCH_OAUTH_GITHUB_CLIENT_SECRET": "ghs",
		"LATCH_OAUTH_MICROSOFT_CLIENT_ID": "ms", "LATCH_OAUTH_MICROSOFT_CLIENT_SECRET": "mss", "LATCH_OAUTH_MICROSOFT_TENANT": "contoso.example",
		"LATCH_OAUTH_GITLAB_CLIENT_ID": "gl", "LATCH_OAUTH_GITLAB_CLIENT_SECRET": "gls", "LATCH_OAUTH_GITLAB_URL": "https://git.corp.example",
		"LATCH_OAUTH_APPLE_CLIENT_ID": "com.example.web", "LATCH_OAUTH_APPLE_TEAM_ID": "T", "LATCH_OAUTH_APPLE_KEY_ID": "K", "LATCH_OAUTH_APPLE_PRIVATE_KEY_FILE": p8,
		"LATCH_OIDC_ISSUER": "https://sso.example.com", "LATCH_OIDC_CLIENT_ID": "o", "LATCH_OIDC_CLIENT_SECRET": "os",
		"LATCH_OIDC_NAME": "Example SSO", "LATCH_OIDC_SCOPES": "openid,email groups",
		"LATCH_OAUTH_LICHESS_CLIENT_ID":  "latch.example",
		"LATCH_OAUTH_KEYCLOAK_CLIENT_ID": "kc", "LATCH_OAUTH_KEYCLOAK_CLIENT_SECRET": "kcs", "LATCH_OAUTH_KEYCLOAK_URL": "https://id.example.com", "LATCH_OAUTH_KEYCLOAK_REALM": "acme",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	// A self-managed GitLab has a provider id of its own (its user ids are
	// unique only within the instance).
	if got := strings.Join(ids, " "); got != "github microsoft apple gitlab-git.corp.example keycloak lichess oidc" {
		t.Fatalf("providers %q", got)
	}
	if ps[1].Issuer != "https://login.microsoftonline.com/contoso.example/v2.0" || ps[3].Issuer != "https://git.corp.example" {
		t.Errorf("tenant or GitLab URL not used: %q, %q", ps[1].Issuer, ps[3].Issuer)
	}
	if ps[2].ClientSecretFunc == nil {
		t.Error("Apple makes no client secret from its key")
	}
	if ps[4].Issuer != "https://id.example.com/realms/acme" || ps[5].ClientSecret != "" {
		t.Errorf("keycloak %q, lichess secret %q", ps[4].Issuer, ps[5].ClientSecret)
	}
	if o := ps[6]; o.Name != "Example SSO" || o.Issuer != "https://sso.example.com" || strings.Join(o.Scopes, " ") != "openid email groups" {
		t.Errorf("generic OIDC %+v", o)
	}

	// _ID keeps the id an instance had before, with its keys.
	kept, err := oauthProviders(envOf(map[string]string{
		"LATCH_OAUTH_GITLAB_CLIENT_ID": "gl", "LATCH_OAUTH_GITLAB_CLIENT_SECRET": "gls",
		"LATCH_OAUTH_GITLAB_URL": "https://git.corp.example", "LATCH_OAUTH_GITLAB_ID": "gitlab",
	}))
	if err != nil || len(kept) != 1 || kept[0].ID != "gitlab" || kept[0].Issuer != "https://git.corp.example" {
		t.Errorf("LATCH_OAUTH_GITLAB_ID: %v, %v", kept, err)
	}

	none, err := oauthProviders(envOf(nil))
	if err != nil || len(none) != 0 {
		t.Errorf("nothing set: %v, %v", none, err)
	}
	for name, env := range map[string]map[string]string{
		"secret without id": {"LATCH_OAUTH_GOOGLE_CLIENT_SECRET": "s"},
		"id without secret": {"LATCH_OAUTH_GOOGLE_CLIENT_ID": "i"},
		"apple without key": {"LATCH_OAUTH_APPLE_CLIENT_ID": "i"},
		"oidc without id":   {"LATCH_OIDC_ISSUER": "https://sso.example.com"},
		"keycloak no realm": {"LATCH_OAUTH_KEYCLOAK_CLIENT_ID": "i", "LATCH_OAUTH_KEYCLOAK_CLIENT_SECRET": "s", "LATCH_OAUTH_KEYCLOAK_URL": "https://x.example"},
		"auth0 no domain":   {"LATCH_OAUTH_AUTH0_CLIENT_ID": "i", "LATCH_OAUTH_AUTH0_CLIENT_SECRET": "s"},
		"oidc clashes":      {"LATCH_OAUTH_GITHUB_CLIENT_ID": "a", "LATCH_OAUTH_GITHUB_CLIENT_SECRET": "b", "LATCH_OIDC_ISSUER": "https://x.example", "LATCH_OIDC_CLIENT_ID": "c", "LATCH_OIDC_ID": "github"},
		"oidc id email":     {"LATCH_OIDC_ISSUER": "https://x.example", "LATCH_OIDC_CLIENT_ID": "c", "LATCH_OIDC_ID": "email"},
		"oidc id passkey":   {"LATCH_OIDC_ISSUER": "https://x.example", "LATCH_OIDC_CLIENT_ID": "c", "LATCH_OIDC_ID": "passkey"},
	} {
		if _, err := oauthProviders(envOf(env)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	code := run(t.Context(), []string{"--help"}, strings.NewReader(""), io.Discard, io.Discard, envOf(nil))
	if code != 0 {
		t.Errorf("--help exited %d", code)
	}
}

// latchd configured by environment signs in through a real OIDC server.
func TestOAuthSignInWithOIDC(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	m.QueueUser(&mockoidc.MockUser{Subject: "sso-42", Email: "ada@example.com", EmailVerified: true, PreferredUsername: "ada"})
	s := start(t, t.TempDir(),
		"LATCH_OIDC_ISSUER="+m.Issuer(), "LATCH_OIDC_CLIENT_ID="+m.ClientID, "LATCH_OIDC_CLIENT_SECRET="+m.ClientSecret,
		"LATCH_OIDC_NAME=Mock SSO", "LATCH_OAUTH_GITHUB_CLIENT_ID=gh-id", "LATCH_OAUTH_GITHUB_CLIENT_SECRET=gh-secret-value")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	page := get(t, c, s.url+"/sign-in")
	for _, want := range []string{"Sign in with Mock SSO", `href="/api/auth/oauth/oidc"`, "Sign in with GitHub", `href="/api/auth/oauth/github"`} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	// The browser follows every redirect: latchd → mockoidc → callback →
	// the page after sign-in.
	res, err := c.Get(s.url + "/api/auth/oauth/oidc?next=" + url.QueryEscape("/account"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/account" || !strings.Contains(string(body), "ada@example.com") {
		t.Fatalf("landed on %s %s:\n%s", res.Status, res.Request.URL, body)
	}
	status, me := call(t, c, "GET", s.url+"/api/auth/session", nil)
	if status != http.StatusOK || str(me, "user", "email") != "ada@example.com" || str(me, "user", "name") != "ada" {
		t.Errorf("session %d %v", status, me)
	}
	if strings.Contains(s.stderr.String(), m.ClientSecret) || strings.Contains(s.stderr.String(), "gh-secret-value") {
		t.Error("a client secret is in the log")
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// Every provider --help lists comes up from its environment variables, with
// the id its callback path uses, and with the client id and secret given.
func TestOAuthEveryProviderFromEnv(t *testing.T) {
	extras := map[string]map[string]string{
		"MICROSOFT": {"_TENANT": "contoso.example"},
		"APPLE":     {}, // a client secret given directly
		"AUTH0":     {"_DOMAIN": "acme.eu.auth0.com"},
		"COGNITO":   {"_REGION": "eu-west-1", "_USER_POOL_ID": "eu-west-1_abc"},
		"KEYCLOAK":  {"_URL": "https://id.example.com", "_REALM": "acme"},
	}
	env := map[string]string{}
	for _, ep := range envProviders {
		prefix := "LATCH_OAUTH_" + ep.name
		env[prefix+"_CLIENT_ID"] = "id-" + ep.name
		if !ep.public || ep.name == "APPLE" {
			env[prefix+"_CLIENT_SECRET"] = "secret-" + ep.name
		}
		for k, v := range extras[ep.name] {
			env[prefix+k] = v
		}
	}
	ps, err := oauthProviders(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(envProviders) || len(ps) != 27 {
		t.Fatalf("%d providers from the environment, want all %d (27)", len(ps), len(envProviders))
	}
	seen := map[string]bool{}
	for i, p := range ps {
		name := envProviders[i].name
		if p.ID == "" || p.ID != strings.ToLower(p.ID) || strings.ContainsAny(p.ID, "/:?#") || seen[p.ID] {
			t.Errorf("%s: id %q is not a unique lower-case path segment", name, p.ID)
		}
		seen[p.ID] = true
		if p.ClientID != "id-"+name {
			t.Errorf("%s: client id %q", name, p.ClientID)
		}
		if want := "secret-" + name; !envProviders[i].public && p.ClientSecret != want {
			t.Errorf("%s: client secret not taken from the environment", name)
		}
		if p.Name == "" {
			t.Errorf("%s: no display name for its button", name)
		}
	}
}
