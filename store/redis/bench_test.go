package redis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// benchAuth returns an Auth with users and keys in memory and sessions
// and tokens in s, on a fixed clock, and a user of it.
func benchAuth(b *testing.B, s *Store) (*latch.Auth, latch.User) {
	b.Helper()
	mem := memory.New()
	now := time.Now()
	auth, err := latch.New(latch.Config{
		Users: mem, Keys: mem, Sessions: s, Tokens: s,
		Now: func() time.Time { return now },
	})
	if err != nil {
		b.Fatal(err)
	}
	user, err := auth.CreateUser(context.Background(), latch.CreateUserOptions{Attributes: latch.Attributes{"email": "ada@example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	return auth, user
}

// BenchmarkValidateSession compares Auth.ValidateSession of an active
// session (one HMGET in Redis, the user from memory) with the same HMGET
// made directly.
func BenchmarkValidateSession(b *testing.B) {
	s := openStore(b, Options{})
	ctx := context.Background()
	auth, user := benchAuth(b, s)
	sess, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID, Attributes: latch.Attributes{"ip": "192.0.2.1"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("latch", func(b *testing.B) {
		for b.Loop() {
			if _, err := auth.ValidateSession(ctx, sess.Token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		key := s.sessionKey(sess.ID)
		for b.Loop() {
			if err := s.client.HMGet(ctx, key, "u", "a", "i", "t").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTakeToken compares Store.TakeToken (the latch.TokenStore call)
// with the same script run directly, and with GETDEL of a plain string,
// the least a single-use read can cost (no record fields, no index).
func BenchmarkTakeToken(b *testing.B) {
	s := openStore(b, Options{})
	ctx := context.Background()
	// put stores n tokens of the kind, outside the timer, in one pipeline.
	put := func(b *testing.B, kind string, n int) []string {
		b.Helper()
		b.StopTimer()
		defer b.StartTimer()
		if err := putTokenScript.Load(ctx, s.client).Err(); err != nil {
			b.Fatal(err)
		}
		ids := make([]string, n)
		pipe := s.client.Pipeline()
		for i := range ids {
			ids[i] = latch.HashToken(fmt.Sprint(kind, i))
			putTokenScript.EvalSha(ctx, pipe,
				[]string{s.tokenKey(kind, ids[i]), s.tokenIndexKey("u", kind), s.tokenKindsKey("u")},
				s.prefix, ids[i], kind, "u", int64(1<<41), "", "0", "", s.ttl(1<<41))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		return ids
	}
	b.Run("latch", func(b *testing.B) {
		ids := put(b, "latch", b.N)
		var ts latch.TokenStore = s
		for i := 0; i < b.N; i++ {
			if _, err := ts.TakeToken(ctx, "latch", ids[i], "u"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		ids := put(b, "direct", b.N)
		for i := 0; i < b.N; i++ {
			if err := takeTokenScript.Run(ctx, s.client, []string{s.tokenKey("direct", ids[i])}, s.prefix, "direct", ids[i], "u").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("getdel", func(b *testing.B) {
		b.StopTimer()
		pipe := s.client.Pipeline()
		keys := make([]string, b.N)
		for i := range keys {
			keys[i] = s.prefix + "getdel:" + fmt.Sprint(i)
			pipe.Set(ctx, keys[i], "u", time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i := 0; i < b.N; i++ {
			if err := s.client.GetDel(ctx, keys[i]).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreateSession compares Auth.CreateSession (user lookup in
// memory, a random token and its SHA-256, the create script) with the
// create script run directly on precomputed ids.
func BenchmarkCreateSession(b *testing.B) {
	s := openStore(b, Options{})
	ctx := context.Background()
	auth, user := benchAuth(b, s)
	attrs := latch.Attributes{"ip": "192.0.2.1"}
	b.Run("latch", func(b *testing.B) {
		for b.Loop() {
			if _, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID, Attributes: attrs}); err != nil {
				b.Fatal(err)
			}
		}
	})
	run := 0 // b.Run calls the function several times; ids must not repeat
	b.Run("direct", func(b *testing.B) {
		run++
		raw, err := latch.MarshalAttributes(attrs)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, b.N)
		for i := range ids {
			ids[i] = latch.HashToken(fmt.Sprint("direct", run, ":", i))
		}
		idx := s.sessionIndexKey(user.ID)
		exp := time.Now().Add(24 * time.Hour).UnixMilli()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := createSessionScript.Run(ctx, s.client, []string{s.sessionKey(ids[i]), idx},
				s.prefix, ids[i], user.ID, exp, exp, raw, s.ttl(exp)).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
