package token_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	id := func(name string, o token.IDTokenOptions) func(*latch.Auth) error {
		return func(a *latch.Auth) error { _, err := token.NewIDTokens(a, name, o); return err }
	}
	pw := func(name string, o token.PasswordTokenOptions) func(*latch.Auth) error {
		return func(a *latch.Auth) error { _, err := token.NewPasswordTokens(a, name, o); return err }
	}
	ott := func(name string, o token.OneTimeTokenOptions) func(*latch.Auth) error {
		return func(a *latch.Auth) error { _, err := token.NewOneTimeTokens(a, name, o); return err }
	}
	reset := func(o token.PasswordResetOptions) func(*latch.Auth) error {
		return func(a *latch.Auth) error { _, err := token.NewPasswordResets(a, o); return err }
	}
	hour := time.Hour
	cases := []struct {
		name string
		new  func(*latch.Auth) error
		want string // in the error message
	}{
		{"id ExpiresIn 0", id("a", token.IDTokenOptions{}), "IDTokenOptions.ExpiresIn"},
		{"id ExpiresIn negative", id("a", token.IDTokenOptions{ExpiresIn: -hour}), "IDTokenOptions.ExpiresIn"},
		{"id ExpiresIn under 1s", id("a", token.IDTokenOptions{ExpiresIn: time.Millisecond}), "IDTokenOptions.ExpiresIn"},
		{"id Length negative", id("a", token.IDTokenOptions{ExpiresIn: hour, Length: -1}), "IDTokenOptions.Length"},
		{"id Length over MaxLength", id("a", token.IDTokenOptions{ExpiresIn: hour, Length: 513}), "IDTokenOptions.Length"},
		{"id Plain Length over the id limit", id("a", token.IDTokenOptions{ExpiresIn: hour, Length: 300, Storage: token.Plain}), "with Plain storage"},
		{"id CustomHash(nil)", id("a", token.IDTokenOptions{ExpiresIn: hour, Storage: token.CustomHash(nil)}), "IDTokenOptions.Storage"},
		{"id empty name", id("", token.IDTokenOptions{ExpiresIn: hour}), "name"},
		{"id name with ':'", id("a:b", token.IDTokenOptions{ExpiresIn: hour}), "name"},
		{"id name with NUL", id("a\x00b", token.IDTokenOptions{ExpiresIn: hour}), "name"},
		{"id name of 65 bytes", id(strings.Repeat("n", 65), token.IDTokenOptions{ExpiresIn: hour}), "name"},
		{"password ExpiresIn 0", pw("a", token.PasswordTokenOptions{}), "PasswordTokenOptions.ExpiresIn"},
		{"password MaxAttempts negative", pw("a", token.PasswordTokenOptions{ExpiresIn: hour, MaxAttempts: -1}), "PasswordTokenOptions.MaxAttempts"},
		{"password Length over MaxLength", pw("a", token.PasswordTokenOptions{ExpiresIn: hour, Length: 600}), "PasswordTokenOptions.Length"},
		{"one-time ExpiresIn negative", ott("a", token.OneTimeTokenOptions{ExpiresIn: -time.Second}), "OneTimeTokenOptions.ExpiresIn"},
		{"one-time Length negative", ott("a", token.OneTimeTokenOptions{Length: -5}), "OneTimeTokenOptions.Length"},
		{"reset IssueLimit negative", reset(token.PasswordResetOptions{IssueLimit: -1}), "PasswordResetOptions.IssueLimit"},
		{"reset IssueWindow negative", reset(token.PasswordResetOptions{IssueWindow: -time.Minute}), "PasswordResetOptions.IssueWindow"},
		{"reset ExpiresIn negative", reset(token.PasswordResetOptions{ExpiresIn: -time.Minute}), "PasswordResetOptions.ExpiresIn"},
		{"reset bad name", reset(token.PasswordResetOptions{Name: "a b"}), "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := must(latch.New(latch.Config{Store: memory.New()}))(t, "latch.New")
			err := c.new(a)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one naming %s", err, c.want)
			}
			// A refused configuration does not reserve the name.
			if c.want != "name" {
				name := "a"
				if strings.HasPrefix(c.name, "reset") {
					name = "password-reset"
				}
				must(token.NewIDTokens(a, name, token.IDTokenOptions{ExpiresIn: hour}))(t, "NewIDTokens with the refused handler's name")
			}
		})
	}
}

func TestConfigAuth(t *testing.T) {
	t.Parallel()
	if _, err := token.NewIDTokens(nil, "a", token.IDTokenOptions{ExpiresIn: time.Hour}); err == nil {
		t.Fatal("NewIDTokens(nil Auth): no error")
	}
	s := memory.New()
	noTokens := must(latch.New(latch.Config{Users: s, Keys: s, Sessions: s}))(t, "latch.New")
	for name, err := range map[string]error{
		"NewIDTokens":       second(token.NewIDTokens(noTokens, "a", token.IDTokenOptions{ExpiresIn: time.Hour})),
		"NewPasswordTokens": second(token.NewPasswordTokens(noTokens, "b", token.PasswordTokenOptions{ExpiresIn: time.Hour})),
		"NewOneTimeTokens":  second(token.NewOneTimeTokens(noTokens, "c", token.OneTimeTokenOptions{})),
		"NewPasswordResets": second(token.NewPasswordResets(noTokens, token.PasswordResetOptions{})),
	} {
		if err == nil || !strings.Contains(err.Error(), "token store") {
			t.Errorf("%s on an Auth without token store: %v, want an error about the token store", name, err)
		}
	}
	if _, err := token.DeleteExpired(t.Context(), noTokens); err == nil {
		t.Error("DeleteExpired on an Auth without token store: no error")
	}
}

func second[T any](_ T, err error) error { return err }

func TestConfigSameName(t *testing.T) {
	t.Parallel()
	a := must(latch.New(latch.Config{Store: memory.New()}))(t, "latch.New")
	must(token.NewIDTokens(a, "email", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	for name, err := range map[string]error{
		"NewIDTokens":       second(token.NewIDTokens(a, "email", token.IDTokenOptions{ExpiresIn: time.Hour})),
		"NewPasswordTokens": second(token.NewPasswordTokens(a, "email", token.PasswordTokenOptions{ExpiresIn: time.Hour})),
		"NewOneTimeTokens":  second(token.NewOneTimeTokens(a, "email", token.OneTimeTokenOptions{})),
		"NewPasswordResets": second(token.NewPasswordResets(a, token.PasswordResetOptions{Name: "email"})),
	} {
		if err == nil || !strings.Contains(err.Error(), `"email"`) {
			t.Errorf("%s with a taken name: %v, want an error naming it", name, err)
		}
	}
	must(token.NewPasswordResets(a, token.PasswordResetOptions{}))(t, "NewPasswordResets")
	if _, err := token.NewPasswordResets(a, token.PasswordResetOptions{}); err == nil {
		t.Error("a second NewPasswordResets with the default name: no error")
	}
	// Another Auth has names of its own.
	b := must(latch.New(latch.Config{Store: memory.New()}))(t, "latch.New")
	must(token.NewIDTokens(b, "email", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens on another Auth")
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New())
	u := e.user()

	ids := must(token.NewIDTokens(e.auth, "id", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	tok := must(ids.Issue(e.ctx, u))(t, "Issue")
	checkValue(t, "IDTokens", tok.String(), 43, latch.AlphabetAlphanumeric)

	codes := must(token.NewPasswordTokens(e.auth, "code", token.PasswordTokenOptions{ExpiresIn: time.Hour}))(t, "NewPasswordTokens")
	tok = must(codes.Issue(e.ctx, u))(t, "Issue")
	checkValue(t, "PasswordTokens", tok.String(), 8, latch.AlphabetDigits)
	for range 4 { // MaxAttempts default 5: the 5th wrong code locks out
		_, err := codes.Validate(e.ctx, "x", u)
		wantErr(t, "Validate of a wrong code", err, token.ErrInvalidToken)
	}
	_, err := codes.Validate(e.ctx, "x", u)
	wantErr(t, "the 5th wrong code", err, token.ErrTooManyAttempts)
	_, err = codes.Validate(e.ctx, tok.String(), u)
	wantErr(t, "Validate after 5 wrong codes", err, token.ErrTooManyAttempts)

	ott := must(token.NewOneTimeTokens(e.auth, "ott", token.OneTimeTokenOptions{}))(t, "NewOneTimeTokens")
	tok = must(ott.Generate(e.ctx, e.session(u)))(t, "Generate")
	checkValue(t, "OneTimeTokens", tok.String(), 32, latch.AlphabetAlphanumeric)
	if want := start.Add(3 * time.Minute); !tok.ExpiresAt.Equal(want) {
		t.Errorf("OneTimeTokens default expiry %v, want %v", tok.ExpiresAt, want)
	}

	resets := must(token.NewPasswordResets(e.auth, token.PasswordResetOptions{}))(t, "NewPasswordResets")
	if resets.Name() != "password-reset" {
		t.Errorf("PasswordResets default name %q", resets.Name())
	}
	tok = must(resets.Issue(e.ctx, u))(t, "Issue")
	checkValue(t, "PasswordResets", tok.String(), 43, latch.AlphabetAlphanumeric)
	if want := start.Add(2 * time.Hour); !tok.ExpiresAt.Equal(want) || tok.Kind != "password-reset" {
		t.Errorf("PasswordResets default: kind %q, expiry %v; want password-reset, %v", tok.Kind, tok.ExpiresAt, want)
	}
}

func checkValue(t *testing.T, what, v string, n int, alphabet string) {
	t.Helper()
	if len(v) != n || strings.Trim(v, alphabet) != "" {
		t.Errorf("%s: value %q, want %d characters of %q", what, v, n, alphabet)
	}
}
