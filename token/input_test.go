package token_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// handlers is one of each handler on one Auth.
type handlers struct {
	ids    *token.IDTokens
	codes  *token.PasswordTokens
	ott    *token.OneTimeTokens
	resets *token.PasswordResets
}

func newHandlers(t testing.TB, e *env) handlers {
	t.Helper()
	return handlers{
		ids:    must(token.NewIDTokens(e.auth, "link", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens"),
		codes:  must(token.NewPasswordTokens(e.auth, "code", token.PasswordTokenOptions{ExpiresIn: time.Hour}))(t, "NewPasswordTokens"),
		ott:    must(token.NewOneTimeTokens(e.auth, "ott", token.OneTimeTokenOptions{}))(t, "NewOneTimeTokens"),
		resets: must(token.NewPasswordResets(e.auth, token.PasswordResetOptions{}))(t, "NewPasswordResets"),
	}
}

// TestBadValues: malformed values are ErrInvalidToken (or a no-op for the
// invalidations) and never reach the store, which here would fail.
func TestBadValues(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"empty":     "",
		"513 bytes": strings.Repeat("a", 513),
		"é":         "é",
		"NUL":       "a\x00b",
		"newline":   "ab\n",
		"DEL":       "ab\x7f",
		"not UTF-8": "a\xff",
	}
	eachBackend(t, func(t *testing.T, e *env) {
		h := newHandlers(t, e)
		u := e.user()
		code := must(h.codes.Issue(e.ctx, u))(t, "Issue")
		e.spy.failWith(errBoom)
		before := e.spy.calls.Load()
		for name, v := range values {
			for op, err := range map[string]error{
				"IDTokens.Validate":       second(h.ids.Validate(e.ctx, v)),
				"PasswordTokens.Validate": second(h.codes.Validate(e.ctx, v, u)),
				"OneTimeTokens.Verify":    second(h.ott.Verify(e.ctx, v)),
				"PasswordResets.Validate": second(h.resets.Validate(e.ctx, v)),
			} {
				if !errors.Is(err, token.ErrInvalidToken) || errors.Is(err, errBoom) {
					t.Errorf("%s(%s): %v, want ErrInvalidToken", op, name, err)
				}
			}
			for op, err := range map[string]error{
				"IDTokens.Invalidate":       h.ids.Invalidate(e.ctx, v),
				"PasswordTokens.Invalidate": h.codes.Invalidate(e.ctx, v, u),
				"PasswordResets.Invalidate": h.resets.Invalidate(e.ctx, v),
			} {
				if err != nil {
					t.Errorf("%s(%s): %v, want nil", op, name, err)
				}
			}
		}
		// User ids: "é" is a fine user id, the rest are not.
		for name, id := range values {
			if id == "é" {
				continue
			}
			_, err := h.codes.Validate(e.ctx, code.String(), id)
			if !errors.Is(err, token.ErrInvalidToken) || errors.Is(err, errBoom) {
				t.Errorf("PasswordTokens.Validate with user id %s: %v, want ErrInvalidToken", name, err)
			}
			for op, err := range map[string]error{
				"PasswordTokens.Invalidate":              h.codes.Invalidate(e.ctx, code.String(), id),
				"IDTokens.InvalidateAllUserTokens":       h.ids.InvalidateAllUserTokens(e.ctx, id),
				"PasswordTokens.InvalidateAllUserTokens": h.codes.InvalidateAllUserTokens(e.ctx, id),
				"PasswordResets.InvalidateAllUserTokens": h.resets.InvalidateAllUserTokens(e.ctx, id),
			} {
				if err != nil {
					t.Errorf("%s with user id %s: %v, want nil", op, name, err)
				}
			}
		}
		if n := e.spy.calls.Load() - before; n != 0 {
			t.Fatalf("bad values reached the token store %d times, want 0", n)
		}
		// The longest value accepted does reach the store.
		e.spy.failWith(nil)
		_, err := h.ids.Validate(e.ctx, strings.Repeat("a", token.MaxLength))
		wantErr(t, "Validate of an unknown 512-byte value", err, token.ErrInvalidToken)
		if e.spy.calls.Load() == before {
			t.Fatal("a well-formed value did not reach the store")
		}
		// The code survived all of that.
		must(h.codes.Validate(e.ctx, code.String(), u))(t, "Validate of the code")
	})
}

// TestStoreErrors: a failing store's error is returned, wrapped with the
// handler and the operation, never turned into ErrInvalidToken.
func TestStoreErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New())
	h := newHandlers(t, e)
	u := e.user()
	sess := e.session(u)
	valid := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	e.spy.failWith(errBoom)
	ops := map[string]error{
		"link: issue":                second(h.ids.Issue(e.ctx, u)),
		"link: validate":             second(h.ids.Validate(e.ctx, valid)),
		"link: invalidate":           h.ids.Invalidate(e.ctx, valid),
		"link: invalidate user":      h.ids.InvalidateAllUserTokens(e.ctx, u),
		"link: get user tokens":      second(h.ids.GetAllUserTokens(e.ctx, u)),
		"code: issue":                second(h.codes.Issue(e.ctx, u)),
		"code: validate":             second(h.codes.Validate(e.ctx, "12345678", u)),
		"code: invalidate":           h.codes.Invalidate(e.ctx, "12345678", u),
		"ott: generate":              second(h.ott.Generate(e.ctx, sess)),
		"ott: verify":                second(h.ott.Verify(e.ctx, valid)),
		"password-reset: issue":      second(h.resets.Issue(e.ctx, u)),
		"password-reset: validate":   second(h.resets.Validate(e.ctx, valid)),
		"token: delete expired":      second(token.DeleteExpired(e.ctx, e.auth)),
		"password-reset: invalidate": h.resets.Invalidate(e.ctx, valid),
	}
	for op, err := range ops {
		if !errors.Is(err, errBoom) || errors.Is(err, token.ErrInvalidToken) {
			t.Errorf("%s with a failing store: %v, want the store's error", op, err)
			continue
		}
		if !strings.Contains(err.Error(), strings.SplitN(op, ":", 2)[0]) {
			t.Errorf("%s: error %q does not name the handler", op, err)
		}
	}
}

func TestStorage(t *testing.T) {
	t.Parallel()
	custom := func(v string) string { return "c1$" + latch.HashToken("pepper"+v) }
	cases := []struct {
		name    string
		storage token.Storage
		id      func(string) string
		listed  bool // GetAllUserTokens carries values
	}{
		{"hashed (zero value)", token.Storage{}, latch.HashToken, false},
		{"hashed", token.Hashed, latch.HashToken, false},
		{"plain", token.Plain, func(v string) string { return v }, true},
		{"custom", token.CustomHash(custom), custom, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, memory.New())
			ids := must(token.NewIDTokens(e.auth, "link", token.IDTokenOptions{ExpiresIn: time.Hour, Storage: c.storage}))(t, "NewIDTokens")
			codes := must(token.NewPasswordTokens(e.auth, "code", token.PasswordTokenOptions{ExpiresIn: time.Hour, Storage: c.storage}))(t, "NewPasswordTokens")
			u := e.user()
			for _, h := range []struct {
				kind     string
				issue    func() (token.Token, error)
				list     func() ([]token.Token, error)
				validate func(string) (token.Token, error)
			}{
				{"link", func() (token.Token, error) { return ids.Issue(e.ctx, u) },
					func() ([]token.Token, error) { return ids.GetAllUserTokens(e.ctx, u) },
					func(v string) (token.Token, error) { return ids.Validate(e.ctx, v) }},
				{"code", func() (token.Token, error) { return codes.Issue(e.ctx, u) },
					func() ([]token.Token, error) { return codes.GetAllUserTokens(e.ctx, u) },
					func(v string) (token.Token, error) { return codes.Validate(e.ctx, v, u) }},
			} {
				tok := must(h.issue())(t, h.kind+" Issue")
				rec := must(e.store.GetToken(e.ctx, h.kind, c.id(tok.String())))(t, h.kind+" GetToken by the stored id")
				if c.id(tok.String()) != tok.String() && rec.ID == tok.String() {
					t.Fatalf("%s: the row holds the value", h.kind)
				}
				list := must(h.list())(t, h.kind+" GetAllUserTokens")
				want := ""
				if c.listed {
					want = tok.String()
				}
				if len(list) != 1 || list[0].String() != want || list[0].UserID != u || !list[0].ExpiresAt.Equal(tok.ExpiresAt) {
					t.Fatalf("%s GetAllUserTokens = %v, want one token with value %q", h.kind, list, want)
				}
				must(h.validate(tok.String()))(t, h.kind+" Validate")
			}
		})
	}

	t.Run("custom hash returning nothing", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, memory.New())
		ids := must(token.NewIDTokens(e.auth, "link", token.IDTokenOptions{ExpiresIn: time.Hour, Storage: token.CustomHash(func(string) string { return "" })}))(t, "NewIDTokens")
		_, err := ids.Issue(e.ctx, e.user())
		if err == nil || errors.Is(err, token.ErrInvalidToken) {
			t.Fatalf("Issue with a broken CustomHash: %v, want a configuration error", err)
		}
		_, err = ids.Validate(e.ctx, "abc")
		if err == nil || errors.Is(err, token.ErrInvalidToken) {
			t.Fatalf("Validate with a broken CustomHash: %v, want a configuration error", err)
		}
	})
}

// TestCollisions: a taken value is retried with a new one, up to four in
// all, then ErrDuplicateToken.
func TestCollisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New())
	u, v := e.user(), e.user()

	constant := func(int) (string, error) { return "always-the-same", nil }
	ids := must(token.NewIDTokens(e.auth, "const", token.IDTokenOptions{ExpiresIn: time.Hour, Generate: constant}))(t, "NewIDTokens")
	must(ids.Issue(e.ctx, u))(t, "first Issue")
	puts := e.spy.puts.Load()
	_, err := ids.Issue(e.ctx, u)
	wantErr(t, "Issue of a taken value", err, token.ErrDuplicateToken)
	if n := e.spy.puts.Load() - puts; n != 4 {
		t.Fatalf("Issue tried %d values, want 4 (the first and three retries)", n)
	}

	// Two collisions, then a fresh value: retried, and it succeeds.
	seq := []string{"taken", "taken", "fresh"}
	calls := 0
	next := func(int) (string, error) { calls++; return seq[min(calls, len(seq))-1], nil }
	retry := must(token.NewIDTokens(e.auth, "retry", token.IDTokenOptions{ExpiresIn: time.Hour, Generate: next}))(t, "NewIDTokens")
	must(retry.Issue(e.ctx, u))(t, "Issue of taken") // calls 1
	calls = 1
	tok := must(retry.Issue(e.ctx, u))(t, "Issue after two collisions")
	if tok.String() != "fresh" || calls != 3 {
		t.Fatalf("Issue after two collisions = %q after %d calls, want fresh after 3", tok, calls)
	}

	// Codes are unique per name across users.
	codes := must(token.NewPasswordTokens(e.auth, "code", token.PasswordTokenOptions{ExpiresIn: time.Hour, Generate: func(int) (string, error) { return "12345678", nil }}))(t, "NewPasswordTokens")
	must(codes.Issue(e.ctx, u))(t, "Issue")
	_, err = codes.Issue(e.ctx, v)
	wantErr(t, "Issue of another user's open code", err, token.ErrDuplicateToken)
	// The same user's new code replaces the old one: no collision.
	must(codes.Issue(e.ctx, u))(t, "Issue of the same code to the same user")

	ott := must(token.NewOneTimeTokens(e.auth, "ott", token.OneTimeTokenOptions{Generate: func(latch.Session) (string, error) { return "same", nil }}))(t, "NewOneTimeTokens")
	s := e.session(u)
	must(ott.Generate(e.ctx, s))(t, "Generate")
	_, err = ott.Generate(e.ctx, s)
	wantErr(t, "Generate of a taken value", err, token.ErrDuplicateToken)
}

func TestGenerators(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New())
	u := e.user()
	errGen := errors.New("no entropy")
	for name, gen := range map[string]func(int) (string, error){
		"error":     func(int) (string, error) { return "", errGen },
		"empty":     func(int) (string, error) { return "", nil },
		"non-ASCII": func(int) (string, error) { return "ça", nil },
		"too long":  func(int) (string, error) { return strings.Repeat("a", 513), nil },
	} {
		ids := must(token.NewIDTokens(e.auth, "gen-"+strings.ReplaceAll(name, " ", "-"), token.IDTokenOptions{ExpiresIn: time.Hour, Generate: gen}))(t, "NewIDTokens")
		puts := e.spy.puts.Load()
		_, err := ids.Issue(e.ctx, u)
		if err == nil || errors.Is(err, token.ErrInvalidToken) || (name == "error") != errors.Is(err, errGen) {
			t.Errorf("Issue with a generator returning %s: %v", name, err)
		}
		if e.spy.puts.Load() != puts {
			t.Errorf("Issue with a generator returning %s stored a token", name)
		}
	}
	// The generator gets the configured length.
	var got int
	ids := must(token.NewIDTokens(e.auth, "len", token.IDTokenOptions{ExpiresIn: time.Hour, Length: 20, Generate: func(n int) (string, error) {
		got = n
		return latch.RandomString(n, "ab")
	}}))(t, "NewIDTokens")
	tok := must(ids.Issue(e.ctx, u))(t, "Issue")
	if got != 20 || len(tok.String()) != 20 {
		t.Fatalf("Generate called with %d, value %q; want 20", got, tok)
	}
}

func TestTokenLogValue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New())
	ids := must(token.NewIDTokens(e.auth, "link", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
	tok := must(ids.Issue(e.ctx, e.user()))(t, "Issue")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("issued", "token", tok)
	if strings.Contains(buf.String(), tok.String()) || !strings.Contains(buf.String(), "token.kind=link") {
		t.Fatalf("slog output %q: want the kind and not the value", buf.String())
	}
	if fmt.Sprint(tok) != tok.String() {
		t.Fatalf("fmt.Sprint(token) = %q, want its value (String)", fmt.Sprint(tok))
	}
}

// TestPlainValueLimit: with Plain storage the value is the stored id, so a
// generator's value over latch.MaxIDLength is refused before a store sees
// it (MariaDB's id column holds 255 bytes), and so is such a value given
// to Validate. Hashed storage takes values up to MaxLength.
func TestPlainValueLimit(t *testing.T) {
	t.Parallel()
	a := must(latch.New(latch.Config{Store: memory.New()}))(t, "latch.New")
	u := must(a.CreateUser(context.Background(), latch.CreateUserOptions{}))(t, "CreateUser")
	long := strings.Repeat("v", 300)
	gen := func(int) (string, error) { return long, nil }
	plain := must(token.NewIDTokens(a, "plain", token.IDTokenOptions{ExpiresIn: time.Hour, Storage: token.Plain, Generate: gen}))(t, "NewIDTokens")
	if _, err := plain.Issue(context.Background(), u.ID); err == nil || !strings.Contains(err.Error(), "unusable value") {
		t.Fatalf("Plain Issue of a 300-byte value: %v", err)
	}
	if _, err := plain.Validate(context.Background(), long); !errors.Is(err, token.ErrInvalidToken) {
		t.Fatalf("Plain Validate of a 300-byte value: %v", err)
	}
	hashed := must(token.NewIDTokens(a, "hashed", token.IDTokenOptions{ExpiresIn: time.Hour, Generate: gen}))(t, "NewIDTokens")
	tok := must(hashed.Issue(context.Background(), u.ID))(t, "Issue")
	if _, err := hashed.Validate(context.Background(), tok.String()); err != nil {
		t.Fatalf("Hashed Validate of a 300-byte value: %v", err)
	}
}
