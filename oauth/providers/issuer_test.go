package providers_test

import (
	"context"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/oauth/oauthtest"
	"github.com/latchauth/latch/oauth/providers"
	"github.com/latchauth/latch/store/memory"
)

// Each GitLab instance has its own provider id, so that user 7 of one
// instance never signs in as user 7 of another; gitlab.com keeps "gitlab".
func TestGitLabInstancesHaveTheirOwnKeys(t *testing.T) {
	for base, want := range map[string]string{
		"https://gitlab.com":                "gitlab",
		"https://GitLab.com/":               "gitlab",
		"https://git.corp.example/":         "gitlab-git.corp.example",
		"https://git.corp.example:8443":     "gitlab-git.corp.example-8443",
		"https://code.other.example/gitlab": "gitlab-code.other.example",
	} {
		if got := providers.GitLabAt(base, "id", "secret").ID; got != want {
			t.Errorf("GitLabAt(%q).ID = %q, want %q", base, got, want)
		}
	}
	ctx := context.Background()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, base := range []string{"https://git.one.example", "https://git.two.example"} {
		p := providers.GitLabAt(base, "id", "secret")
		f := oauthtest.New(t, p)
		f.Update(func(s *oauthtest.Settings) {
			s.Subject, s.Claims = "7", map[string]any{"email": "seven@" + p.ID + ".example", "email_verified": true}
		})
		c, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client(), Secure: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.SignIn(c, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := oauth.FindOrCreateUser(ctx, auth, res.ProviderID, res.User, oauth.LinkOptions{})
		if err != nil || acc.How != oauth.Created {
			t.Fatalf("%s: %+v, %v", base, acc, err)
		}
		users = append(users, acc.User.ID)
	}
	if users[0] == users[1] {
		t.Error("user 7 of two GitLab instances is one Latch user")
	}
	// Both instances in one client: distinct ids, so New accepts them.
	if _, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{
		providers.GitLab("a", "b"), providers.GitLabAt("https://git.one.example", "c", "d"),
	}}); err != nil {
		t.Errorf("gitlab.com and a self-managed instance together: %v", err)
	}
}

// Slack's user ids are qualified with the team id; a key made before under
// the bare user id moves to the qualified one on its owner's sign-in, and
// a namesake of another team then makes a user of its own.
func TestSlackKeysCarryTheTeam(t *testing.T) {
	ctx := context.Background()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	// A key from before the change.
	old, err := auth.CreateUser(ctx, latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "slack", ProviderUserID: "U0R7JM"}})
	if err != nil {
		t.Fatal(err)
	}
	p := providers.Slack("id", "secret")
	f := oauthtest.New(t, p)
	c, err := oauth.New(oauth.Config{BaseURL: "https://app.example.com", Providers: []*oauth.Provider{p}, HTTPClient: f.Client(), Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(team string) oauth.Account {
		t.Helper()
		f.Update(func(s *oauthtest.Settings) {
			s.Subject, s.Claims = "U0R7JM", map[string]any{"https://slack.com/team_id": team, "email": "krane@" + team + ".example"}
		})
		res, err := f.SignIn(c, "slack")
		if err != nil {
			t.Fatal(err)
		}
		if want := team + "/U0R7JM"; res.User.ID != want || res.User.FormerID != "U0R7JM" {
			t.Fatalf("user ids %q, %q; want %q", res.User.ID, res.User.FormerID, want)
		}
		acc, err := oauth.FindOrCreateUser(ctx, auth, res.ProviderID, res.User, oauth.LinkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return acc
	}
	if acc := signIn("T0R7GR"); acc.User.ID != old.ID || acc.How != oauth.Existing || acc.Key.ProviderUserID != "T0R7GR/U0R7JM" {
		t.Fatalf("the former key's owner: %+v", acc)
	}
	if _, err := auth.GetKey(ctx, "slack", "U0R7JM"); err == nil {
		t.Error("the former key is still there")
	}
	if acc := signIn("T0R7GR"); acc.User.ID != old.ID || acc.How != oauth.Existing {
		t.Errorf("second sign-in: %+v", acc)
	}
	if acc := signIn("TOTHER"); acc.User.ID == old.ID || acc.How != oauth.Created {
		t.Errorf("the namesake of another team signed in as %+v", acc)
	}
	// An ID token without a team is refused rather than keyed by user id.
	f.Update(func(s *oauthtest.Settings) { s.Claims = map[string]any{"email": "krane@example.com"} })
	if _, err := f.SignIn(c, "slack"); err == nil {
		t.Error("a Slack ID token without a team id was accepted")
	}
}
