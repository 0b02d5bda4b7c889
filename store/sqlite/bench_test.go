package sqlite

// Latch against the bare driver, side by side on the same file: each pair's
// "latch" half goes through latch.Auth and this store, its "direct" half runs
// the same SQL with database/sql on pools configured like the store's. The
// direct half scans attributes as text; decoding them into latch.Attributes
// is Latch's work and counts against it. Sessions carry two attributes and
// users three, as in an application that keeps an email and a name.
//
//	go test -run x -bench . -benchtime 3s ./store/sqlite/

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

const benchUsers = 1000

// joinQuery is the direct twin of the store's getSessionAndUser.
const joinQuery = `SELECT s.user_id, s.active_expires, s.idle_expires, s.attributes, u.attributes
	FROM latch_session AS s JOIN latch_user AS u ON u.id = s.user_id WHERE s.id = ?`

// fixture is a store with benchUsers users, each with a passwordless key
// and one active session.
type fixture struct {
	path     string
	store    *Store
	auth     *latch.Auth
	userIDs  []string
	emails   []string
	tokens   []string // session tokens, for Auth
	sessions []string // stored session ids, for the direct queries
}

var benchNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newFixture(b *testing.B) *fixture {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	auth, err := latch.New(latch.Config{Store: s, Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{path: path, store: s, auth: auth}
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
		f.emails = append(f.emails, email)
		f.tokens = append(f.tokens, sess.Token)
		f.sessions = append(f.sessions, sess.ID)
	}
	return f
}

// directPool opens a pool on the fixture's file configured as the store's
// reader (params readerParams) or writer (writerParams, one connection).
func (f *fixture) directPool(b *testing.B, params string, conns int) *sql.DB {
	b.Helper()
	db, err := sql.Open("sqlite", f.path+"?"+params)
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	b.Cleanup(func() { db.Close() })
	return db
}

func prepare(b *testing.B, db *sql.DB, query string) *sql.Stmt {
	b.Helper()
	st, err := db.Prepare(query)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func BenchmarkValidateSession(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.Run("latch", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s, err := f.auth.ValidateSession(ctx, f.tokens[i%benchUsers])
			if err != nil || s.Fresh {
				b.Fatal(err, s.Fresh)
			}
			i++
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		st := prepare(b, f.directPool(b, readerParams, f.store.reader.Stats().MaxOpenConnections), joinQuery)
		i := 0
		for b.Loop() {
			var (
				userID         string
				active, idle   int64
				sattrs, uattrs string
			)
			if err := st.QueryRowContext(ctx, f.sessions[i%benchUsers]).Scan(&userID, &active, &idle, &sattrs, &uattrs); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkGetSessionAndUser is the store's share of validation: the join
// and the decoding of both attribute columns, without Auth.
func BenchmarkGetSessionAndUser(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, _, err := f.store.GetSessionAndUser(ctx, f.sessions[i%benchUsers]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		st := prepare(b, f.directPool(b, readerParams, f.store.reader.Stats().MaxOpenConnections), joinQuery)
		i := 0
		for b.Loop() {
			var (
				userID         string
				active, idle   int64
				sattrs, uattrs string
			)
			if err := st.QueryRowContext(ctx, f.sessions[i%benchUsers]).Scan(&userID, &active, &idle, &sattrs, &uattrs); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkValidateSessionParallel is BenchmarkValidateSession from
// GOMAXPROCS goroutines: the reader pool at work.
func BenchmarkValidateSessionParallel(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.Run("latch", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1))
				if _, err := f.auth.ValidateSession(ctx, f.tokens[i%benchUsers]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		st := prepare(b, f.directPool(b, readerParams, f.store.reader.Stats().MaxOpenConnections), joinQuery)
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1))
				var (
					userID         string
					active, idle   int64
					sattrs, uattrs string
				)
				if err := st.QueryRowContext(ctx, f.sessions[i%benchUsers]).Scan(&userID, &active, &idle, &sattrs, &uattrs); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkCreateSession(b *testing.B) {
	ctx := context.Background()
	b.Run("latch", func(b *testing.B) {
		f := newFixture(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := f.auth.CreateSession(ctx, latch.CreateSessionOptions{
				UserID: f.userIDs[i%benchUsers], Attributes: latch.Attributes{"ip": "192.0.2.1"},
			}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("direct", func(b *testing.B) {
		f := newFixture(b)
		// The store's writer stays idle: the direct pool is the only one writing.
		st := prepare(b, f.directPool(b, writerParams, 1), `
			INSERT INTO latch_session (id, user_id, active_expires, idle_expires, attributes) VALUES (?, ?, ?, ?, ?)`)
		b.ReportAllocs()
		active := benchNow.Add(24 * time.Hour).UnixMilli()
		idle := benchNow.Add(15 * 24 * time.Hour).UnixMilli()
		i := 0
		for b.Loop() {
			// A random id, as a real caller needs; Latch's is 40 characters.
			id, err := latch.RandomString(40, latch.AlphabetLowerNumeric)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.ExecContext(ctx, id, f.userIDs[i%benchUsers], active, idle, `{"ip":"192.0.2.1"}`); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkUseKey(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.Run("latch", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := f.auth.UseKey(ctx, "email", f.emails[i%benchUsers], nil); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		st := prepare(b, f.directPool(b, readerParams, f.store.reader.Stats().MaxOpenConnections),
			"SELECT user_id, hashed_password FROM latch_key WHERE id = ?")
		i := 0
		for b.Loop() {
			var (
				userID string
				hash   sql.NullString
			)
			if err := st.QueryRowContext(ctx, "email:"+f.emails[i%benchUsers]).Scan(&userID, &hash); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkInterleaved runs each pair again, one latch operation and one
// direct operation in turn (alternating which goes first), and reports the
// time of each side per operation and their ratio. On a shared, busy host
// both sides then see the same load, where the separate sub-benchmarks
// above, seconds apart, may not.
func BenchmarkInterleaved(b *testing.B) {
	ctx := context.Background()
	b.Run("ValidateSession", func(b *testing.B) {
		f := newFixture(b)
		st := prepare(b, f.directPool(b, readerParams, f.store.reader.Stats().MaxOpenConnections), joinQuery)
		interleave(b, func(i int) error {
			_, err := f.auth.ValidateSession(ctx, f.tokens[i%benchUsers])
			return err
		}, func(i int) error {
			var (
				userID         string
				active, idle   int64
				sattrs, uattrs string
			)
			return st.QueryRowContext(ctx, f.sessions[i%benchUsers]).Scan(&userID, &active, &idle, &sattrs, &uattrs)
		})
	})
	b.Run("ValidateSessionParallel", func(b *testing.B) {
		f := newFixture(b)
		st := prepare(b, f.directPool(b, readerParams, f.store.reader.Stats().MaxOpenConnections), joinQuery)
		var (
			next                  atomic.Int64
			latchTime, directTime atomic.Int64 // ns
		)
		b.RunParallel(func(pb *testing.PB) {
			var lt, dt time.Duration
			for pb.Next() {
				i := int(next.Add(1))
				t0 := time.Now()
				if _, err := f.auth.ValidateSession(ctx, f.tokens[i%benchUsers]); err != nil {
					b.Error(err)
					return
				}
				t1 := time.Now()
				var (
					userID         string
					active, idle   int64
					sattrs, uattrs string
				)
				if err := st.QueryRowContext(ctx, f.sessions[i%benchUsers]).Scan(&userID, &active, &idle, &sattrs, &uattrs); err != nil {
					b.Error(err)
					return
				}
				lt += t1.Sub(t0)
				dt += time.Since(t1)
			}
			latchTime.Add(int64(lt))
			directTime.Add(int64(dt))
		})
		n := float64(b.N)
		b.ReportMetric(float64(latchTime.Load())/n, "latch-ns/op")
		b.ReportMetric(float64(directTime.Load())/n, "direct-ns/op")
		b.ReportMetric(float64(directTime.Load())/float64(latchTime.Load()), "direct/latch")
	})
	b.Run("CreateSession", func(b *testing.B) {
		f := newFixture(b)
		st := prepare(b, f.directPool(b, writerParams, 1), `
			INSERT INTO latch_session (id, user_id, active_expires, idle_expires, attributes) VALUES (?, ?, ?, ?, ?)`)
		active := benchNow.Add(24 * time.Hour).UnixMilli()
		idle := benchNow.Add(15 * 24 * time.Hour).UnixMilli()
		interleave(b, func(i int) error {
			_, err := f.auth.CreateSession(ctx, latch.CreateSessionOptions{
				UserID: f.userIDs[i%benchUsers], Attributes: latch.Attributes{"ip": "192.0.2.1"},
			})
			return err
		}, func(i int) error {
			id, err := latch.RandomString(40, latch.AlphabetLowerNumeric)
			if err != nil {
				return err
			}
			_, err = st.ExecContext(ctx, id, f.userIDs[i%benchUsers], active, idle, `{"ip":"192.0.2.1"}`)
			return err
		})
	})
	b.Run("UseKey", func(b *testing.B) {
		f := newFixture(b)
		st := prepare(b, f.directPool(b, readerParams, f.store.reader.Stats().MaxOpenConnections),
			"SELECT user_id, hashed_password FROM latch_key WHERE id = ?")
		interleave(b, func(i int) error {
			_, err := f.auth.UseKey(ctx, "email", f.emails[i%benchUsers], nil)
			return err
		}, func(i int) error {
			var (
				userID string
				hash   sql.NullString
			)
			return st.QueryRowContext(ctx, "email:"+f.emails[i%benchUsers]).Scan(&userID, &hash)
		})
	})
}

func interleave(b *testing.B, latchOp, directOp func(i int) error) {
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
	b.ReportMetric(float64(directTime)/float64(latchTime), "direct/latch")
}
