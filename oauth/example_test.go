package oauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
	"github.com/latchauth/latch/store/memory"
)

// A whole sign-in with GitHub, against a fake GitHub on loopback
// (oauthtest) answering at GitHub's real URLs: the authorization URL,
// GitHub's approval, the callback, then the Latch user.
func Example() {
	github := providers.GitHub("client-id", "client-secret")
	fake, err := oauthtest.Start(github)
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	fake.JSON("GET", "https://api.github.com/user", map[string]any{
		"id": 583231, "login": "octocat", "name": "The Octocat", "avatar_url": "https://avatars.githubusercontent.com/u/583231",
	})
	fake.JSON("GET", providers.GitHubEmailsURL, []map[string]any{
		{"email": "octocat@github.com", "primary": true, "verified": true},
	})

	client, err := oauth.New(oauth.Config{
		BaseURL:    "https://app.example.com",
		Providers:  []*oauth.Provider{github},
		HTTPClient: fake.Client(), // in production: nil, the real network
	})
	if err != nil {
		log.Fatal(err)
	}
	// SignIn does what a browser does: AuthCodeURL, the provider's page,
	// then Callback with the flow cookies.
	res, err := fake.SignIn(client, "github")
	if err != nil {
		log.Fatal(err)
	}
	u := res.User
	fmt.Println(u.ID, u.Name, u.Email, u.EmailVerified)
	fmt.Println("PKCE:", fake.LastAuthorization().Query.Get("code_challenge_method"))

	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	acc, err := oauth.FindOrCreateUser(context.Background(), auth, res.ProviderID, res.User, oauth.LinkOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acc.How == oauth.Created, acc.Key.ID(), acc.User.Attributes["email"])
	fmt.Println(client.RedirectURL("github"))
	// Output:
	// 583231 The Octocat octocat@github.com true
	// PKCE: S256
	// true github:583231 octocat@github.com
	// https://app.example.com/api/auth/oauth/github/callback
}

// A sign-in with GitHub on an application's own handlers: one route sends
// the browser to GitHub, the callback finds or makes the user. (authapi
// serves these routes ready-made.)
func Example_handlers() {
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	client, err := oauth.New(oauth.Config{
		BaseURL:   "https://app.example.com",
		Providers: []*oauth.Provider{providers.GitHub("client-id", "client-secret")},
		Secure:    true,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/auth/oauth/{provider}", func(w http.ResponseWriter, r *http.Request) {
		u, err := client.AuthCodeURL(w, r, r.PathValue("provider"), r.URL.Query().Get("next"))
		if err != nil {
			http.Error(w, "unknown provider", http.StatusNotFound)
			return
		}
		http.Redirect(w, r, u, http.StatusFound)
	})
	mux.HandleFunc("/api/auth/oauth/{provider}/callback", func(w http.ResponseWriter, r *http.Request) {
		if client.RelayFormPost(w, r) { // Apple posts its answer
			return
		}
		res, err := client.Callback(w, r, r.PathValue("provider"))
		if err != nil {
			http.Error(w, "sign-in failed", http.StatusBadRequest)
			return
		}
		acc, err := oauth.FindOrCreateUser(r.Context(), auth, res.ProviderID, res.User, oauth.LinkOptions{})
		if err != nil {
			http.Error(w, "sign-in failed", http.StatusInternalServerError)
			return
		}
		if _, err := auth.CreateSession(r.Context(), latch.CreateSessionOptions{UserID: acc.User.ID}); err != nil {
			http.Error(w, "sign-in failed", http.StatusInternalServerError)
			return
		}
		// ... set the session cookie, then:
		http.Redirect(w, r, oauth.SafeNext(res.Next), http.StatusSeeOther)
	})
	fmt.Println(client.RedirectURL("github"))
	// Output: https://app.example.com/api/auth/oauth/github/callback
}

// FindOrCreateUser links a provider account to the user of a verified
// address, and makes a new user otherwise.
func ExampleFindOrCreateUser() {
	ctx := context.Background()
	auth, _ := latch.New(latch.Config{Store: memory.New()})
	pw := "a long password"
	owner, _ := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: "ada@example.com", Password: &pw},
		Attributes: latch.Attributes{"email": "ada@example.com", "email_verified": true},
	})

	verified := oauth.ProviderUser{ID: "583231", Email: "Ada@example.com", EmailVerified: true, Name: "Ada"}
	acc, _ := oauth.FindOrCreateUser(ctx, auth, "github", verified, oauth.LinkOptions{})
	fmt.Println(acc.How == oauth.LinkedByEmail, acc.User.ID == owner.ID, acc.Key.ID())

	unverified := oauth.ProviderUser{ID: "9001", Email: "ada@example.com", EmailVerified: false}
	acc, _ = oauth.FindOrCreateUser(ctx, auth, "discord", unverified, oauth.LinkOptions{})
	fmt.Println(acc.How == oauth.Created, acc.User.ID == owner.ID)
	// Output:
	// true true github:583231
	// true false
}

func ExampleSafeNext() {
	for _, next := range []string{"/account?tab=keys", "//evil.example", "https://evil.example", `/\evil`} {
		fmt.Printf("%q\n", oauth.SafeNext(next))
	}
	// Output:
	// "/account?tab=keys"
	// ""
	// ""
	// ""
}

// An application with its own linking policy: GetExistingUser finds the
// user of the provider account or says there is none, creating and
// linking nothing, and DecodeClaims reads a claim the identity provider
// adds to its verified ID token (here a tenant and roles) to decide.
func ExampleGetExistingUser() {
	corp := providers.OIDC("corp", "Corp SSO", "https://sso.corp.example", "client-id", "client-secret")
	fake, err := oauthtest.Start(corp)
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	fake.Update(func(s *oauthtest.Settings) {
		s.Subject = "u-81"
		s.Claims = map[string]any{
			"email": "kim@corp.example", "email_verified": true,
			"tenant_id": "t-42", "https://corp.example/roles": []string{"admin", "billing"},
		}
	})
	client, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{corp}, HTTPClient: fake.Client()})
	if err != nil {
		log.Fatal(err)
	}
	res, err := fake.SignIn(client, "corp")
	if err != nil {
		log.Fatal(err)
	}
	var claims struct {
		Tenant string   `json:"tenant_id"`
		Roles  []string `json:"https://corp.example/roles"`
	}
	if err := res.DecodeClaims(&claims); err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Tenant, claims.Roles)

	ctx := context.Background()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	_, found, err := oauth.GetExistingUser(ctx, auth, res.ProviderID, res.User)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found:", found)
	if !found && claims.Tenant == "t-42" { // this application's policy: only its tenant
		_, err := auth.CreateUser(ctx, latch.CreateUserOptions{
			Key:        &latch.KeyOptions{ProviderID: res.ProviderID, ProviderUserID: res.User.ID},
			Attributes: latch.Attributes{"email": res.User.Email},
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	acc, found, err := oauth.GetExistingUser(ctx, auth, res.ProviderID, res.User)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found:", found, acc.Key.ID(), acc.User.Attributes["email"])
	// Output:
	// t-42 [admin billing]
	// found: false
	// found: true corp:u-81 kim@corp.example
}
