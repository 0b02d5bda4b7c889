package mysql

// The store against the bare driver, side by side on the same database and
// pool: each benchmark's "latch" half calls the store, its "direct" half
// runs the same SQL (the store's own statement texts) with database/sql,
// prepared once, and nothing else. The direct half scans attributes as
// bytes; decoding them into latch.Attributes, encoding them and mapping
// errors is the store's work and counts against it. Sessions carry two
// attributes and users three, as in an application that keeps an email and
// a name.
//
// BenchmarkInterleaved runs each pair again, one latch operation and one
// direct operation in turn, and reports both times and their ratio: on a
// shared, busy host (the disk's flushes above all) both sides then see the
// same load, where separate sub-benchmarks, seconds apart, may not.
//
//	go test -run '^$' -bench . -benchtime 2000x ./store/mysql/

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
)

const benchUsers = 1000

// benchNow is the benchmarks' clock, in Unix milliseconds.
const benchNow = int64(1_795_000_000_000)

// fixture is a migrated store with benchUsers users, each with a
// passwordless email key and one session.
type fixture struct {
	store    *Store
	next     int // for unique ids across runs of a sub-benchmark (-count)
	userIDs  []string
	keyIDs   []string
	sessions []string
}

func newFixture(b *testing.B) *fixture {
	b.Helper()
	ctx := context.Background()
	s, err := Open(ctx, testenv.MySQL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	f := &fixture{store: s}
	// One transaction: a thousand commits would each wait for the disk.
	err = s.InTx(ctx, func(ctx context.Context) error {
		for i := range benchUsers {
			id := fmt.Sprintf("user-%04d", i)
			email := fmt.Sprintf("user%d@example.com", i)
			key := latch.KeyRecord{ID: "email:" + email, UserID: id}
			attrs := latch.Attributes{"email": email, "email_verified": true, "name": fmt.Sprintf("User %d", i)}
			if err := s.CreateUser(ctx, latch.UserRecord{ID: id, Attributes: attrs}, &key); err != nil {
				return err
			}
			sess := latch.SessionRecord{
				ID: latch.HashToken(fmt.Sprint("session-", i)), UserID: id,
				ActiveExpires: benchNow + 86_400_000, IdleExpires: benchNow + 15*86_400_000,
				Attributes: latch.Attributes{"ip": "192.0.2.1", "user_agent": "bench/1.0"},
			}
			if err := s.CreateSession(ctx, sess); err != nil {
				return err
			}
			f.userIDs = append(f.userIDs, id)
			f.keyIDs = append(f.keyIDs, key.ID)
			f.sessions = append(f.sessions, sess.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// prepare prepares query on the store's pool, for the direct half.
func (f *fixture) prepare(b *testing.B, query string) *sql.Stmt {
	b.Helper()
	st, err := f.store.DB().Prepare(query)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// pair is one operation done through the store and directly; i picks the
// row.
type pair struct {
	latch, direct func(i int) error
}

// pairs are the benchmarked operations, by name.
var pairs = []struct {
	name string
	make func(f *fixture, b *testing.B) pair
}{
	{"GetSessionAndUser", (*fixture).getSessionAndUser},
	{"CreateSession", (*fixture).createSession},
	{"PutTakeToken", (*fixture).putTakeToken},
	{"GetKey", (*fixture).getKey},
}

// getSessionAndUser is the validation hot path: the join, and the decoding
// of both attribute columns.
func (f *fixture) getSessionAndUser(b *testing.B) pair {
	ctx := context.Background()
	st := f.prepare(b, sqlGetSessionAndUser)
	return pair{
		latch: func(i int) error {
			_, _, err := f.store.GetSessionAndUser(ctx, f.sessions[i%benchUsers])
			return err
		},
		direct: func(i int) error {
			var (
				userID         string
				active, idle   int64
				sattrs, uattrs []byte
			)
			return st.QueryRowContext(ctx, f.sessions[i%benchUsers]).Scan(&userID, &active, &idle, &sattrs, &uattrs)
		},
	}
}

// createSession inserts a session with one attribute.
func (f *fixture) createSession(b *testing.B) pair {
	ctx := context.Background()
	st := f.prepare(b, sqlCreateSession)
	active, idle := benchNow+86_400_000, benchNow+15*86_400_000
	attrs := []byte(`{"ip":"192.0.2.1"}`)
	return pair{
		latch: func(i int) error {
			f.next++
			return f.store.CreateSession(ctx, latch.SessionRecord{
				ID: "latch-" + strconv.Itoa(f.next), UserID: f.userIDs[i%benchUsers], ActiveExpires: active, IdleExpires: idle,
				Attributes: latch.Attributes{"ip": "192.0.2.1"},
			})
		},
		direct: func(i int) error {
			f.next++
			_, err := st.ExecContext(ctx, "direct-"+strconv.Itoa(f.next), f.userIDs[i%benchUsers], active, idle, attrs)
			return err
		},
	}
}

// putTakeToken puts a token and takes it back: an insert, then a
// transaction that locks, reads and deletes the row.
func (f *fixture) putTakeToken(b *testing.B) pair {
	ctx := context.Background()
	put, lock, del := f.prepare(b, sqlPutToken), f.prepare(b, sqlLockToken), f.prepare(b, sqlDeleteToken)
	data := []byte("payload")
	return pair{
		latch: func(i int) error {
			tok := latch.TokenRecord{Kind: "bench", ID: "latch-" + strconv.Itoa(i), UserID: f.userIDs[i%benchUsers], Expires: benchNow, Data: data}
			if err := f.store.PutToken(ctx, tok); err != nil {
				return err
			}
			_, err := f.store.TakeToken(ctx, tok.Kind, tok.ID, tok.UserID)
			return err
		},
		direct: func(i int) error {
			id, userID := "direct-"+strconv.Itoa(i), f.userIDs[i%benchUsers]
			if _, err := put.ExecContext(ctx, "bench", id, userID, benchNow, "", data); err != nil {
				return err
			}
			tx, err := f.store.DB().BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			var (
				owner, session string
				expires        int64
				got            []byte
			)
			if err := tx.StmtContext(ctx, lock).QueryRowContext(ctx, "bench", id).Scan(&owner, &expires, &session, &got); err != nil {
				return err
			}
			if _, err := tx.StmtContext(ctx, del).ExecContext(ctx, "bench", id); err != nil {
				return err
			}
			return tx.Commit()
		},
	}
}

// getKey reads a key, as signing in does.
func (f *fixture) getKey(b *testing.B) pair {
	ctx := context.Background()
	st := f.prepare(b, sqlGetKey)
	return pair{
		latch: func(i int) error {
			_, err := f.store.GetKey(ctx, f.keyIDs[i%benchUsers])
			return err
		},
		direct: func(i int) error {
			var (
				userID string
				hash   sql.NullString
			)
			return st.QueryRowContext(ctx, f.keyIDs[i%benchUsers]).Scan(&userID, &hash)
		},
	}
}

// benchPair runs the pair's two halves as the sub-benchmarks "latch" and
// "direct".
func benchPair(b *testing.B, makePair func(f *fixture, b *testing.B) pair) {
	f := newFixture(b)
	p := makePair(f, b)
	for _, half := range []struct {
		name string
		op   func(int) error
	}{{"latch", p.latch}, {"direct", p.direct}} {
		b.Run(half.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := half.op(i); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkGetSessionAndUser(b *testing.B) { benchPair(b, (*fixture).getSessionAndUser) }
func BenchmarkCreateSession(b *testing.B)     { benchPair(b, (*fixture).createSession) }
func BenchmarkPutTakeToken(b *testing.B)      { benchPair(b, (*fixture).putTakeToken) }
func BenchmarkGetKey(b *testing.B)            { benchPair(b, (*fixture).getKey) }

func BenchmarkInterleaved(b *testing.B) {
	f := newFixture(b)
	for _, pr := range pairs {
		b.Run(pr.name, func(b *testing.B) {
			p := pr.make(f, b)
			var latchTime, directTime time.Duration
			timed := func(op func(int) error, i int, total *time.Duration) {
				start := time.Now()
				if err := op(i); err != nil {
					b.Fatal(err)
				}
				*total += time.Since(start)
			}
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					timed(p.latch, i, &latchTime)
					timed(p.direct, i, &directTime)
				} else {
					timed(p.direct, i, &directTime)
					timed(p.latch, i, &latchTime)
				}
				i++
			}
			n := float64(b.N)
			b.ReportMetric(float64(latchTime.Nanoseconds())/n, "latch-ns/op")
			b.ReportMetric(float64(directTime.Nanoseconds())/n, "direct-ns/op")
			b.ReportMetric(float64(latchTime)/float64(directTime), "latch/direct")
		})
	}
}
