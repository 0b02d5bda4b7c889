package memory_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// Each benchmark pairs the operation through latch.Auth on the memory store
// ("latch") with the same lookup or insert done directly on a plain map
// behind a sync.RWMutex holding the same records ("direct"): the floor an
// in-memory store could reach, so the gap is what Auth and the store's
// copying and checks cost.

// direct is the plain map the "direct" benchmarks use.
type direct struct {
	mu       sync.RWMutex
	users    map[string]latch.UserRecord
	keys     map[string]latch.KeyRecord
	sessions map[string]latch.SessionRecord
}

// fixture builds an Auth on a memory store with one user, its passwordless
// key and one active session, and a direct map holding the same records.
func fixture(b *testing.B) (ctx context.Context, auth *latch.Auth, store *memory.Store, d *direct, user latch.User, oauthID string, sess latch.Session) {
	b.Helper()
	ctx = context.Background()
	store = memory.New()
	auth, err := latch.New(latch.Config{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	oauthID = "1234567"
	user, err = auth.CreateUser(ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: "github", ProviderUserID: oauthID},
		Attributes: latch.Attributes{"email": "ada@example.com", "email_verified": true, "name": "Ada"},
	})
	if err != nil {
		b.Fatal(err)
	}
	sess, err = auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID, Attributes: latch.Attributes{"ip": "192.0.2.1"}})
	if err != nil {
		b.Fatal(err)
	}
	rec, urec, err := store.GetSessionAndUser(ctx, sess.ID)
	if err != nil {
		b.Fatal(err)
	}
	krec, err := store.GetKey(ctx, latch.KeyID("github", oauthID))
	if err != nil {
		b.Fatal(err)
	}
	d = &direct{
		users:    map[string]latch.UserRecord{urec.ID: urec},
		keys:     map[string]latch.KeyRecord{krec.ID: krec},
		sessions: map[string]latch.SessionRecord{rec.ID: rec},
	}
	return ctx, auth, store, d, user, oauthID, sess
}

// BenchmarkValidateSession validates an active session: through Auth
// (hash the token, read session and user in one call, check expiry, copy
// attributes), and directly (hash the token, two map reads, check expiry).
func BenchmarkValidateSession(b *testing.B) {
	ctx, auth, _, d, _, _, sess := fixture(b)
	b.Run("latch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := auth.ValidateSession(ctx, sess.Token)
			if err != nil || s.Fresh {
				b.Fatalf("ValidateSession: %v (fresh %v)", err, s.Fresh)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			id := latch.HashToken(sess.Token)
			d.mu.RLock()
			s, ok := d.sessions[id]
			u, uok := d.users[s.UserID]
			d.mu.RUnlock()
			if !ok || !uok || time.Now().UnixMilli() >= s.IdleExpires || u.ID != s.UserID {
				b.Fatal("direct lookup failed")
			}
		}
	})
}

// BenchmarkCreateSession starts sessions for one user: through Auth (read
// the user, 40 random characters, SHA-256, insert with index), and as a
// bare insert of a prepared record into the map.
func BenchmarkCreateSession(b *testing.B) {
	ctx, auth, store, d, user, _, _ := fixture(b)
	const resetEvery = 100_000 // bound memory on long runs
	b.Run("latch", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i++; i%resetEvery == 0 {
				b.StopTimer()
				_ = store.DeleteSessionsByUser(ctx, user.ID)
				b.StartTimer()
			}
			if _, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		d.sessions = map[string]latch.SessionRecord{}
		now := time.Now().UnixMilli()
		i := 0
		for b.Loop() {
			if i++; i%resetEvery == 0 {
				b.StopTimer()
				d.sessions = map[string]latch.SessionRecord{}
				b.StartTimer()
			}
			r := latch.SessionRecord{
				ID: strconv.Itoa(i), UserID: user.ID,
				ActiveExpires: now + 86_400_000, IdleExpires: now + 15*86_400_000,
				Attributes: latch.Attributes{},
			}
			d.mu.Lock()
			if _, taken := d.sessions[r.ID]; taken {
				d.mu.Unlock()
				b.Fatal("duplicate id")
			}
			d.sessions[r.ID] = r
			d.mu.Unlock()
		}
	})
}

// BenchmarkUseKey signs in with a passwordless key, so no hashing is
// measured: through Auth (id checks, store read, copy), and as one map read.
func BenchmarkUseKey(b *testing.B) {
	ctx, auth, _, d, user, oauthID, _ := fixture(b)
	b.Run("latch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k, err := auth.UseKey(ctx, "github", oauthID, nil)
			if err != nil || k.UserID != user.ID {
				b.Fatalf("UseKey: %v", err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d.mu.RLock()
			k, ok := d.keys[latch.KeyID("github", oauthID)]
			d.mu.RUnlock()
			if !ok || k.HashedPassword != nil || k.UserID != user.ID {
				b.Fatal("direct lookup failed")
			}
		}
	})
}
