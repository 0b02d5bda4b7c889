package token_test

// Issue + validate of one id token per iteration. On SQLite, "latch" goes
// through IDTokens and "direct" does what a hand-written version would: the
// same random value and SHA-256, then the same INSERT and DELETE … RETURNING
// with database/sql and prepared statements, on the store's own writer
// connection. "interleaved" runs one of each per iteration on one file and
// reports both times and their ratio, which stays meaningful on a busy host
// where consecutive runs differ by a factor of two:
//
//	go test -run '^$' -bench IssueValidate -benchtime 3000x ./token/

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/token"
)

func BenchmarkIssueValidate(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		f := newBenchFixture(b, memory.New())
		for b.Loop() {
			f.viaLatch(b)
		}
	})
	b.Run("sqlite/latch", func(b *testing.B) {
		f := newBenchFixture(b, openSQLite(b))
		for b.Loop() {
			f.viaLatch(b)
		}
	})
	b.Run("sqlite/direct", func(b *testing.B) {
		f := newBenchFixture(b, openSQLite(b))
		for b.Loop() {
			f.direct(b)
		}
	})
	b.Run("sqlite/interleaved", func(b *testing.B) {
		f := newBenchFixture(b, openSQLite(b))
		var viaLatch, direct time.Duration
		for b.Loop() {
			t0 := time.Now()
			f.viaLatch(b)
			t1 := time.Now()
			f.direct(b)
			viaLatch += t1.Sub(t0)
			direct += time.Since(t1)
		}
		b.ReportMetric(float64(viaLatch.Nanoseconds())/float64(b.N), "latch-ns/op")
		b.ReportMetric(float64(direct.Nanoseconds())/float64(b.N), "direct-ns/op")
		// Throughput of latch relative to direct: 1 is as fast.
		b.ReportMetric(float64(direct)/float64(viaLatch), "latch/direct")
	})
}

type benchFixture struct {
	ctx          context.Context
	ids          *token.IDTokens
	userID       string
	insert, take *sql.Stmt // direct, on SQLite
}

func newBenchFixture(b *testing.B, s latch.Store) *benchFixture {
	ctx := context.Background()
	a, err := latch.New(latch.Config{Store: s})
	if err != nil {
		b.Fatal(err)
	}
	ids, err := token.NewIDTokens(a, "bench", token.IDTokenOptions{ExpiresIn: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	u, err := a.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		b.Fatal(err)
	}
	f := &benchFixture{ctx: ctx, ids: ids, userID: u.ID}
	if s, ok := s.(*sqlite.Store); ok {
		db := s.DB()
		if f.insert, err = db.PrepareContext(ctx, `INSERT INTO latch_token (kind, id, user_id, expires, session_id, data) VALUES (?, ?, ?, ?, '', NULL)`); err != nil {
			b.Fatal(err)
		}
		if f.take, err = db.PrepareContext(ctx, `DELETE FROM latch_token WHERE kind = ? AND id = ? RETURNING kind, id, user_id, expires, session_id, data`); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.insert.Close(); f.take.Close() })
	}
	return f
}

func (f *benchFixture) viaLatch(b *testing.B) {
	tok, err := f.ids.Issue(f.ctx, f.userID)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.ids.Validate(f.ctx, tok.String()); err != nil {
		b.Fatal(err)
	}
}

func (f *benchFixture) direct(b *testing.B) {
	value, err := latch.RandomString(43, latch.AlphabetAlphanumeric)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.insert.ExecContext(f.ctx, "direct", latch.HashToken(value), f.userID, time.Now().Add(time.Hour).UnixMilli()); err != nil {
		b.Fatal(err)
	}
	var (
		rec  latch.TokenRecord
		data []byte
	)
	if err := f.take.QueryRowContext(f.ctx, "direct", latch.HashToken(value)).Scan(&rec.Kind, &rec.ID, &rec.UserID, &rec.Expires, &rec.SessionID, &data); err != nil {
		b.Fatal(err)
	}
	if rec.UserID != f.userID || time.Now().UnixMilli() >= rec.Expires {
		b.Fatal("direct: wrong token")
	}
}
