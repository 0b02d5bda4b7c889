package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/store/mysql"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/throttle"
)

// sqlBackend is one SQL database holding latch_throttle. Each open makes
// a new store with its own connection pool on that database, as another
// process of a service would; rows counts the table's rows.
type sqlBackend struct {
	name string
	open func(t testing.TB) throttle.Store
	rows func(t testing.TB) int
	// openTx returns the SQL store as well as its throttle store.
	openTx func(t testing.TB) (latch.Transactor, throttle.Store)
	// inTxJoins: calls inside a transaction of InTx join it (SQLite, whose
	// one writer the transaction holds) rather than run on their own.
	inTxJoins bool
}

// sqlBackends returns SQLite (a file), PostgreSQL (a schema) and MariaDB
// (a database), each migrated and new to the caller, with stores whose
// windows run on now. The database is made by the first open, in the
// caller's subtest: a server that does not answer skips that subtest, or
// fails it under LATCH_TEST_REQUIRE_SERVICES=1.
func sqlBackends(t testing.TB, now func() time.Time) []sqlBackend {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	var pgURL, myDSN string
	openSQLite := func(t testing.TB) *sqlite.Store {
		t.Helper()
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	openPostgres := func(t testing.TB) *postgres.Store {
		t.Helper()
		if pgURL == "" {
			pgURL = testenv.Postgres(t)
		}
		s, err := postgres.Open(ctx, pgURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	openMySQL := func(t testing.TB) *mysql.Store {
		t.Helper()
		if myDSN == "" {
			myDSN = testenv.MySQL(t)
		}
		s, err := mysql.Open(ctx, myDSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	const count = "SELECT count(*) FROM latch_throttle"
	scan := func(t testing.TB, err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	return []sqlBackend{
		{name: "sqlite", inTxJoins: true,
			open: func(t testing.TB) throttle.Store { return openSQLite(t).ThrottleStore(now) },
			rows: func(t testing.TB) (n int) { scan(t, openSQLite(t).DB().QueryRow(count).Scan(&n)); return n },
			openTx: func(t testing.TB) (latch.Transactor, throttle.Store) {
				s := openSQLite(t)
				return s, s.ThrottleStore(now)
			}},
		{name: "postgres",
			open: func(t testing.TB) throttle.Store { return openPostgres(t).ThrottleStore(now) },
			rows: func(t testing.TB) (n int) { scan(t, openPostgres(t).Pool().QueryRow(ctx, count).Scan(&n)); return n },
			openTx: func(t testing.TB) (latch.Transactor, throttle.Store) {
				s := openPostgres(t)
				return s, s.ThrottleStore(now)
			}},
		{name: "mysql",
			open: func(t testing.TB) throttle.Store { return openMySQL(t).ThrottleStore(now) },
			rows: func(t testing.TB) (n int) { scan(t, openMySQL(t).DB().QueryRow(count).Scan(&n)); return n },
			openTx: func(t testing.TB) (latch.Transactor, throttle.Store) {
				s := openMySQL(t)
				return s, s.ThrottleStore(now)
			}},
	}
}

// testStore is what every Store on an injected clock must do: fixed
// windows that later hits share and do not extend, a new window at 1 once
// one has ended, Peek without counting, ResetHits and UndoHit, keys of any
// length and bytes kept apart, and the context's cancellation.
func testStore(t *testing.T, s throttle.Store, c *attemptClock) {
	ctx := context.Background()
	peek := func(step, key string, wantN int64, wantTTL time.Duration) {
		t.Helper()
		if n, ttl, err := s.Peek(ctx, key); err != nil || n != wantN || ttl != wantTTL {
			t.Fatalf("%s: Peek(%q) = %d, %v, %v; want %d, %v", step, key, n, ttl, err, wantN, wantTTL)
		}
	}
	peek("a key never hit", "k", 0, 0)
	steps := []struct {
		advance time.Duration
		count   int64
		left    time.Duration
	}{
		{0, 1, 10 * time.Second},
		{3 * time.Second, 2, 7 * time.Second}, // the window is not extended
		{6 * time.Second, 3, time.Second},
		{time.Second, 1, 10 * time.Second}, // the window ended: a new one
		{2500 * time.Millisecond, 2, 7500 * time.Millisecond},
	}
	for i, st := range steps {
		c.Advance(st.advance)
		n, left, err := s.Hit(ctx, "k", 10*time.Second)
		if err != nil || n != st.count || left != st.left {
			t.Fatalf("hit %d: Hit = %d, %v, %v; want %d, %v", i, n, left, err, st.count, st.left)
		}
		peek(fmt.Sprintf("after hit %d", i), "k", n, left)
	}
	c.Advance(7500 * time.Millisecond)
	peek("when the window ends", "k", 0, 0)

	// UndoHit takes one off a live window and keeps its end; never below
	// zero, and nothing on a window that has ended.
	for range 3 {
		if _, _, err := s.Hit(ctx, "u", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(20 * time.Second)
	if u, ok := s.(throttle.HitUndoer); ok {
		for range 4 {
			if err := u.UndoHit(ctx, "u"); err != nil {
				t.Fatal(err)
			}
		}
		peek("after undoing more hits than there were", "u", 0, 40*time.Second)
		if n, left, err := s.Hit(ctx, "u", time.Minute); err != nil || n != 1 || left != 40*time.Second {
			t.Fatalf("a hit after the undos = %d, %v, %v; want 1 in the same window (40s left)", n, left, err)
		}
		if err := u.UndoHit(ctx, "never seen"); err != nil {
			t.Fatalf("UndoHit(missing) = %v", err)
		}
		peek("a key only undone", "never seen", 0, 0)
		c.Advance(40 * time.Second)
		if err := u.UndoHit(ctx, "u"); err != nil {
			t.Fatal(err)
		}
		if n, _, err := s.Hit(ctx, "u", time.Minute); err != nil || n != 1 {
			t.Fatalf("a hit after the window ended = %d, %v; want 1", n, err)
		}
	}

	if err := s.ResetHits(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	peek("after ResetHits", "u", 0, 0)
	if err := s.ResetHits(ctx, "never seen"); err != nil {
		t.Fatalf("ResetHits(missing) = %v", err)
	}

	// Keys differ in a byte, in case, by length; none is cut or folded.
	long := strings.Repeat("x", 1<<16)
	keys := []string{"a@example.com", "A@example.com", "a@example.com ", "ip:\x00\xff", long, long + "y", ""}
	for i, k := range keys {
		for range i + 1 {
			if _, _, err := s.Hit(ctx, k, time.Hour); err != nil {
				t.Fatalf("Hit(key %d): %v", i, err)
			}
		}
	}
	for i, k := range keys {
		if n, _, err := s.Peek(ctx, k); err != nil || n != int64(i+1) {
			t.Errorf("key %d: Peek = %d, %v; want %d", i, n, err, i+1)
		}
	}

	if _, _, err := s.Hit(ctx, "k", 0); err == nil {
		t.Fatal("Hit with a zero window: no error")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.Hit(canceled, "k", time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hit with a canceled context = %v", err)
	}
	if _, _, err := s.Peek(canceled, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Peek with a canceled context = %v", err)
	}
}

func newAttemptClock() *attemptClock {
	return &attemptClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// TestStores runs testStore on the MemoryStore and on each SQL store.
func TestStores(t *testing.T) {
	t.Parallel()
	c := newAttemptClock()
	t.Run("memory", func(t *testing.T) { testStore(t, throttle.NewMemoryStore(c.Now), c) })
	for _, b := range sqlBackends(t, c.Now) {
		t.Run(b.name, func(t *testing.T) { testStore(t, b.open(t), c) })
	}
}

// TestSQLStoreConcurrentHits: 200 hits at once on one key, half through
// each of two stores with their own pools (two processes), are each
// counted once: the counts returned are 1 to 200, each once.
func TestSQLStoreConcurrentHits(t *testing.T) {
	t.Parallel()
	c := newAttemptClock()
	for _, b := range sqlBackends(t, c.Now) {
		t.Run(b.name, func(t *testing.T) {
			stores := []throttle.Store{b.open(t), b.open(t)}
			var (
				mu     sync.Mutex
				counts []int64
				wg     sync.WaitGroup
			)
			start := make(chan struct{})
			for i := range 200 {
				wg.Go(func() {
					<-start
					n, left, err := stores[i%2].Hit(context.Background(), "burst", time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if left != time.Hour {
						t.Errorf("hit %d: %v left, want the whole hour (the clock stands still)", n, left)
					}
					mu.Lock()
					counts = append(counts, n)
					mu.Unlock()
				})
			}
			close(start)
			wg.Wait()
			slices.Sort(counts)
			for i, n := range counts {
				if n != int64(i+1) {
					t.Fatalf("sorted counts of 200 simultaneous hits: position %d holds %d; want 1…200 each once (got %v)", i, n, counts)
				}
			}
			if len(counts) != 200 {
				t.Fatalf("%d hits counted, want 200", len(counts))
			}
			if n, _, err := stores[1].Peek(context.Background(), "burst"); err != nil || n != 200 {
				t.Fatalf("Peek = %d, %v; want 200", n, err)
			}
		})
	}
}

// TestSQLStorePurge: rows of windows that have ended are deleted a batch
// at a time by later hits, whatever their keys, and live ones stay.
func TestSQLStorePurge(t *testing.T) {
	t.Parallel()
	c := newAttemptClock()
	for _, b := range sqlBackends(t, c.Now) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.open(t)
			for i := range 100 {
				if _, _, err := s.Hit(ctx, fmt.Sprint("old", i), time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := s.Hit(ctx, "live", time.Hour); err != nil {
				t.Fatal(err)
			}
			if n := b.rows(t); n != 101 {
				t.Fatalf("%d rows, want 101", n)
			}
			c.Advance(time.Minute)
			// Every 32nd hit of a store purges up to 64 rows: 128 more
			// hits purge 4 times, enough for the 100 that ended.
			for range 128 {
				if _, _, err := s.Hit(ctx, "new", time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			if n := b.rows(t); n != 2 {
				t.Fatalf("%d rows after the purges, want 2 (live and new)", n)
			}
			if n, _, err := s.Peek(ctx, "live"); err != nil || n != 1 {
				t.Fatalf("the live window after the purges: Peek = %d, %v; want 1", n, err)
			}
		})
	}
}

// TestSQLStoreInTx: a store's throttle calls made with the context of its
// InTx do not wait for the transaction (SQLite's one writer, which the
// transaction holds, would never come): on SQLite they join it and go
// with its rollback; elsewhere they run on their own and a count stands.
func TestSQLStoreInTx(t *testing.T) {
	t.Parallel()
	c := newAttemptClock()
	errRollBack := errors.New("roll back")
	for _, b := range sqlBackends(t, c.Now) {
		t.Run(b.name, func(t *testing.T) {
			db, s := b.openTx(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := db.InTx(ctx, func(ctx context.Context) error {
				for want := int64(1); want <= 2; want++ {
					if n, _, err := s.Hit(ctx, "k", time.Hour); err != nil || n != want {
						return fmt.Errorf("Hit in the transaction = %d, %v; want %d", n, err, want)
					}
				}
				if n, _, err := s.Peek(ctx, "k"); err != nil || n != 2 {
					return fmt.Errorf("Peek in the transaction = %d, %v; want 2", n, err)
				}
				if err := s.(throttle.HitUndoer).UndoHit(ctx, "k"); err != nil {
					return err
				}
				return errRollBack
			})
			if !errors.Is(err, errRollBack) {
				t.Fatal(err)
			}
			want := int64(1)
			if b.inTxJoins {
				want = 0
			}
			if n, _, err := s.Peek(context.Background(), "k"); err != nil || n != want {
				t.Fatalf("Peek after the rollback = %d, %v; want %d", n, err, want)
			}
		})
	}
}

// BenchmarkSQLStoreHit measures one Hit on each SQL store, on a few
// thousand keys, from GOMAXPROCS goroutines.
func BenchmarkSQLStoreHit(b *testing.B) {
	c := newAttemptClock()
	for _, be := range sqlBackends(b, c.Now) {
		// Opened here: what a sub-benchmark's round sets up is cleaned up
		// (the database dropped) when the round ends.
		s := be.open(b)
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if _, _, err := s.Hit(ctx, fmt.Sprint("bench:", i%4096), time.Hour); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
