package token_test

// Timing of wrong values. A wrong token that shares all but its last
// character with a live one ("near") and one that differs in its first
// character ("far") are validated alternately, call by call; a/b is
// near ÷ far time (1.00: the same), and the A/A row (near against near)
// shows the noise floor on this machine:
//
//	go test -run '^$' -bench Timing -benchtime 20000x -count 5 ./token/
//
// With Hashed storage (the default) the store is asked for the SHA-256 of
// the value, so how much of a live token a guess shares says nothing about
// where the lookup goes. With Plain storage the database compares the
// value itself in its index, a byte comparison that may stop at the first
// difference: that is why Plain is not the default.

import (
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/timingpair"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// nearFar returns a wrong value that differs from v only in its last
// character, and one that differs only in its first.
func nearFar(v string, alphabet string) (near, far string) {
	other := func(c byte) byte {
		for i := 0; i < len(alphabet); i++ {
			if alphabet[i] != c {
				return alphabet[i]
			}
		}
		panic("alphabet of one character")
	}
	near = v[:len(v)-1] + string(other(v[len(v)-1]))
	far = string(other(v[0])) + v[1:]
	return near, far
}

func BenchmarkTimingWrongIDToken(b *testing.B) {
	stores := map[string]func(b *testing.B) latch.Store{
		"memory": func(*testing.B) latch.Store { return memory.New() },
		"sqlite": func(b *testing.B) latch.Store { return openSQLite(b) },
	}
	for _, st := range []string{"memory", "sqlite"} {
		for _, storage := range []struct {
			name string
			s    token.Storage
		}{{"hashed", token.Hashed}, {"plain", token.Plain}} {
			b.Run(st+"/"+storage.name, func(b *testing.B) {
				e := newEnv(b, stores[st](b))
				ids, err := token.NewIDTokens(e.auth, "timing", token.IDTokenOptions{ExpiresIn: time.Hour, Storage: storage.s})
				if err != nil {
					b.Fatal(err)
				}
				live, err := ids.Issue(e.ctx, e.user())
				if err != nil {
					b.Fatal(err)
				}
				near, far := nearFar(live.String(), latch.AlphabetAlphanumeric)
				try := func(v string) func() {
					return func() {
						if _, err := ids.Validate(e.ctx, v); !errors.Is(err, token.ErrInvalidToken) {
							b.Fatalf("wrong value: %v", err)
						}
					}
				}
				b.Run("near-vs-far", func(b *testing.B) { timingpair.Run(b, try(near), try(far)) })
				b.Run("A-A", func(b *testing.B) { timingpair.Run(b, try(near), try(near)) })
			})
		}
	}
}

// Numeric codes are bound to a user and counted: MaxAttempts is raised so
// that the benchmark measures the comparison path, not the lock-out.
func BenchmarkTimingWrongCode(b *testing.B) {
	for _, st := range []string{"memory", "sqlite"} {
		b.Run(st, func(b *testing.B) {
			var s latch.Store = memory.New()
			if st == "sqlite" {
				s = openSQLite(b)
			}
			e := newEnv(b, s)
			codes, err := token.NewPasswordTokens(e.auth, "timing", token.PasswordTokenOptions{ExpiresIn: time.Hour, MaxAttempts: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			user := e.user()
			live, err := codes.Issue(e.ctx, user)
			if err != nil {
				b.Fatal(err)
			}
			near, far := nearFar(live.String(), "0123456789")
			try := func(v string) func() {
				return func() {
					if _, err := codes.Validate(e.ctx, v, user); !errors.Is(err, token.ErrInvalidToken) {
						b.Fatalf("wrong code: %v", err)
					}
				}
			}
			b.Run("near-vs-far", func(b *testing.B) { timingpair.Run(b, try(near), try(far)) })
			b.Run("A-A", func(b *testing.B) { timingpair.Run(b, try(near), try(near)) })
		})
	}
}
