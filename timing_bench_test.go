package latch_test

// Sign-in timing: UseKey with an email that has no key ("unknown") and
// with a known email and a wrong password ("wrong") are called
// alternately, call by call, with the default Argon2id hasher on a SQLite
// file; a/b is the ratio of their median times (1.00: the same), and the
// A/A row (wrong against wrong) shows the noise floor; wrong-vs-unknown
// is the first pair in the other order, to tell a difference from a
// position effect:
//
//	go test -run '^$' -bench TimingUseKey -benchtime 200x -count 3 .
//
// An unknown key is verified against a dummy hash made with the same
// hasher and parameters (TestUnknownKeyCostsAVerification counts it), so
// the two cost one Argon2id verification each.

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/timingpair"
	"github.com/latchauth/latch/store/sqlite"
)

func BenchmarkTimingUseKey(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "latch.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	auth, err := latch.New(latch.Config{Store: s})
	if err != nil {
		b.Fatal(err)
	}
	pw := "correct horse battery staple"
	if _, err := auth.CreateUser(ctx, latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "ada@example.com", Password: &pw}}); err != nil {
		b.Fatal(err)
	}
	wrongPW := "correct horse battery stapler"
	use := func(email string, want error) func() {
		return func() {
			if _, err := auth.UseKey(ctx, "email", email, &wrongPW); !errors.Is(err, want) {
				b.Fatalf("UseKey(%s): %v, want %v", email, err, want)
			}
		}
	}
	unknown := use("nobody@example.com", latch.ErrInvalidKeyID)
	wrong := use("ada@example.com", latch.ErrInvalidPassword)
	unknown() // the dummy hash is made on first use, not inside the timings
	b.Run("unknown-vs-wrong", func(b *testing.B) { timingpair.Run(b, unknown, wrong) })
	b.Run("wrong-vs-unknown", func(b *testing.B) { timingpair.Run(b, wrong, unknown) })
	b.Run("A-A", func(b *testing.B) { timingpair.Run(b, wrong, wrong) })
}
