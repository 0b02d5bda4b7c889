package postgres

// Latch against the bare driver, side by side on the same pool: each
// pair's "latch" half calls the store, its "direct" half sends the same SQL
// (the store's own constants) through the same pgxpool.Pool and scans the
// columns into plain Go values, nothing else. Decoding attributes into
// latch.Attributes, encoding them, and mapping errors is Latch's work and
// counts against it. Sessions carry two attributes and users three, as in
// an application that keeps an email and a name.
//
//	go test -run '^$' -bench . -benchtime 2000x ./store/postgres/

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
)

const benchUsers = 1000

// fixture is a store in a fresh schema with benchUsers users, each with a
// passwordless key and one active session.
type fixture struct {
	store    *Store
	auth     *latch.Auth
	userIDs  []string
	keyIDs   []string
	tokens   []string // session tokens, for Auth
	sessions []string // stored session ids
}

var benchNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newFixture(b *testing.B) *fixture {
	b.Helper()
	ctx := context.Background()
	s, err := Open(ctx, testenv.Postgres(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	auth, err := latch.New(latch.Config{Store: s, Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{store: s, auth: auth}
	for i := range benchUsers {
		email := fmt.Sprintf("user%d@example.com", i)
		u, err := auth.CreateUser(ctx, latch.CreateUserOptions{
			Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: email},
			Attributes: latch.Attributes{"email": email, "email_verified": true, "name": fmt.Sprintf("User %d", i)},
		})
		if err != nil {
			b.Fatal(err)
		}
		sess, err := auth.CreateSession(ctx, latch.CreateSessionOptions{
			UserID: u.ID, Attributes: latch.Attributes{"ip": "192.0.2.1", "user_agent": "bench/1.0"},
		})
		if err != nil {
			b.Fatal(err)
		}
		f.userIDs = append(f.userIDs, u.ID)
		f.keyIDs = append(f.keyIDs, latch.KeyID("email", email))
		f.tokens = append(f.tokens, sess.Token)
		f.sessions = append(f.sessions, sess.ID)
	}
	return f
}

// The operations of each pair, as functions of the iteration, shared by
// the separate and the interleaved benchmarks.

func (f *fixture) latchGetSessionAndUser(ctx context.Context, i int) error {
	_, _, err := f.store.GetSessionAndUser(ctx, f.sessions[i%benchUsers])
	return err
}

func (f *fixture) directGetSessionAndUser(ctx context.Context, i int) error {
	var (
		userID         string
		active, idle   int64
		sattrs, uattrs []byte
	)
	return f.store.pool.QueryRow(ctx, getSessionAndUser, f.sessions[i%benchUsers]).
		Scan(&userID, &active, &idle, &sattrs, &uattrs)
}

func (f *fixture) latchValidateSession(ctx context.Context, i int) error {
	s, err := f.auth.ValidateSession(ctx, f.tokens[i%benchUsers])
	if err == nil && s.Fresh {
		err = fmt.Errorf("session %d was extended", i%benchUsers)
	}
	return err
}

var (
	benchActive = benchNow.Add(24 * time.Hour).UnixMilli()
	benchIdle   = benchNow.Add(15 * 24 * time.Hour).UnixMilli()
)

// randomID is a random id, as a real caller needs; both halves pay for it.
func randomID() (string, error) { return latch.RandomString(40, latch.AlphabetLowerNumeric) }

func (f *fixture) latchCreateSession(ctx context.Context, i int) error {
	id, err := randomID()
	if err != nil {
		return err
	}
	return f.store.CreateSession(ctx, latch.SessionRecord{
		ID: id, UserID: f.userIDs[i%benchUsers], ActiveExpires: benchActive, IdleExpires: benchIdle,
		Attributes: latch.Attributes{"ip": "192.0.2.1"},
	})
}

func (f *fixture) directCreateSession(ctx context.Context, i int) error {
	id, err := randomID()
	if err != nil {
		return err
	}
	_, err = f.store.pool.Exec(ctx, insertSession, id, f.userIDs[i%benchUsers], benchActive, benchIdle, `{"ip":"192.0.2.1"}`)
	return err
}

var benchData = []byte("payload")

func (f *fixture) latchPutTakeToken(ctx context.Context, i int) error {
	id, err := randomID()
	if err != nil {
		return err
	}
	u := f.userIDs[i%benchUsers]
	if err := f.store.PutToken(ctx, latch.TokenRecord{ID: id, Kind: "bench", UserID: u, Expires: benchActive, Data: benchData}); err != nil {
		return err
	}
	_, err = f.store.TakeToken(ctx, "bench", id, u)
	return err
}

func (f *fixture) directPutTakeToken(ctx context.Context, i int) error {
	id, err := randomID()
	if err != nil {
		return err
	}
	u := f.userIDs[i%benchUsers]
	if _, err := f.store.pool.Exec(ctx, insertToken, "bench", id, u, benchActive, "", benchData); err != nil {
		return err
	}
	var (
		kind, tid, userID, sessionID string
		expires                      int64
		data                         []byte
	)
	return f.store.pool.QueryRow(ctx, takeUserToken, "bench", id, u).Scan(&kind, &tid, &userID, &expires, &sessionID, &data)
}

func (f *fixture) latchGetKey(ctx context.Context, i int) error {
	_, err := f.store.GetKey(ctx, f.keyIDs[i%benchUsers])
	return err
}

func (f *fixture) directGetKey(ctx context.Context, i int) error {
	var (
		userID string
		hash   *string
	)
	return f.store.pool.QueryRow(ctx, getKey, f.keyIDs[i%benchUsers]).Scan(&userID, &hash)
}

type op func(ctx context.Context, i int) error

// pair runs latch and direct as the sub-benchmarks "latch" and "direct".
// With one fixture for both, the second runs on the rows the first wrote;
// newFixture per half when the operation grows a table.
func pair(b *testing.B, fixtures func(b *testing.B) *fixture, latchOp, directOp func(f *fixture) op) {
	ctx := context.Background()
	run := func(name string, get func(f *fixture) op) {
		b.Run(name, func(b *testing.B) {
			o := get(fixtures(b))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := o(ctx, i); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	run("latch", latchOp)
	run("direct", directOp)
}

// shared returns a fixture maker that builds one fixture and hands it out
// every time.
func shared(b *testing.B) func(*testing.B) *fixture {
	f := newFixture(b)
	return func(*testing.B) *fixture { return f }
}

// BenchmarkGetSessionAndUser is the store's share of ValidateSession: the
// join, and for Latch the decoding of both attribute columns.
func BenchmarkGetSessionAndUser(b *testing.B) {
	pair(b, shared(b),
		func(f *fixture) op { return f.latchGetSessionAndUser },
		func(f *fixture) op { return f.directGetSessionAndUser })
}

// BenchmarkValidateSession is the whole of Auth.ValidateSession (token
// hashing, the join, the expiry checks) against the join alone.
func BenchmarkValidateSession(b *testing.B) {
	pair(b, shared(b),
		func(f *fixture) op { return f.latchValidateSession },
		func(f *fixture) op { return f.directGetSessionAndUser })
}

func BenchmarkCreateSession(b *testing.B) {
	pair(b, newFixture,
		func(f *fixture) op { return f.latchCreateSession },
		func(f *fixture) op { return f.directCreateSession })
}

// BenchmarkPutTakeToken stores a token and consumes it: two round trips.
func BenchmarkPutTakeToken(b *testing.B) {
	pair(b, shared(b),
		func(f *fixture) op { return f.latchPutTakeToken },
		func(f *fixture) op { return f.directPutTakeToken })
}

func BenchmarkGetKey(b *testing.B) {
	pair(b, shared(b),
		func(f *fixture) op { return f.latchGetKey },
		func(f *fixture) op { return f.directGetKey })
}

// BenchmarkInterleaved runs each pair again, one latch operation and one
// direct operation in turn (alternating which goes first), and reports the
// time of each side per operation and their ratio. On a shared, busy host
// both sides then see the same load, where the separate sub-benchmarks
// above, seconds apart, may not.
func BenchmarkInterleaved(b *testing.B) {
	f := newFixture(b)
	for _, c := range []struct {
		name          string
		latch, direct op
	}{
		{"GetSessionAndUser", f.latchGetSessionAndUser, f.directGetSessionAndUser},
		{"ValidateSession", f.latchValidateSession, f.directGetSessionAndUser},
		{"CreateSession", f.latchCreateSession, f.directCreateSession},
		{"PutTakeToken", f.latchPutTakeToken, f.directPutTakeToken},
		{"GetKey", f.latchGetKey, f.directGetKey},
	} {
		b.Run(c.name, func(b *testing.B) { interleave(b, c.latch, c.direct) })
	}
}

func interleave(b *testing.B, latchOp, directOp op) {
	ctx := context.Background()
	var latchTime, directTime time.Duration
	timed := func(o op, i int, total *time.Duration) {
		start := time.Now()
		if err := o(ctx, i); err != nil {
			b.Fatal(err)
		}
		*total += time.Since(start)
	}
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			timed(latchOp, i, &latchTime)
			timed(directOp, i, &directTime)
		} else {
			timed(directOp, i, &directTime)
			timed(latchOp, i, &latchTime)
		}
		i++
	}
	n := float64(b.N)
	b.ReportMetric(float64(latchTime.Nanoseconds())/n, "latch-ns/op")
	b.ReportMetric(float64(directTime.Nanoseconds())/n, "direct-ns/op")
	b.ReportMetric(float64(latchTime)/float64(directTime), "latch/direct")
}
