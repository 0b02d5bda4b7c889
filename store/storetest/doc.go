// Package storetest is the conformance suite that every Latch store runs:
// one set of behaviour tests for the contracts in latch's store.go, so that
// the memory, SQLite, PostgreSQL, MySQL and Redis stores behave alike.
//
// A store package runs it from an ordinary test. A store that keeps
// everything passes one latch.Store:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunStore(t, func(t *testing.T) latch.Store {
//			s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			if err := s.Migrate(t.Context()); err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// A store that keeps only part of the data is paired with another for the
// rest; Tokens may be nil for a backend without tokens:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Stores {
//			users := memory.New()
//			sessions := openRedis(t) // sessions and tokens in Redis
//			return storetest.Stores{Users: users, Keys: users, Sessions: sessions, Tokens: sessions}
//		})
//	}
//
// Open is called once by every subtest, and subtests run in parallel. It may
// return a new store each time, or the same instances every time (a store on
// a server usually does): every subtest uses fresh random ids, so subtests
// never see each other's rows.
//
// What a store must allow for:
//   - Users and Keys are one backend: UserStore.CreateUser writes the first
//     key, which KeyStore must then see.
//   - Checks that need two kinds of rows in one backend (a session of a
//     missing user is ErrNotFound, DeleteUser removes sessions, tokens and
//     attempt counters, GetSessionAndUser) run only when the interface
//     values are the same (Sessions == Users, say); otherwise latch.Auth's
//     behaviour across stores is checked instead.
//   - The purge subtests (DeleteExpiredSessions and DeleteExpiredTokens for
//     everyone) use expiry times below 1e9 ms (January 1970), which no other
//     subtest writes, so that the counts they check are exact even on a
//     shared store. Do not run the suite against a store holding real rows
//     with expiries that old: the purge subtests would remove them and their
//     counts would be off.
//   - Concurrency subtests start up to 200 goroutines on one store at once.
//   - One run of the suite at a time per store: two runs at once on the same
//     store (two parallel top-level tests sharing it) would see each
//     other's rows in the purge subtests. Sequential runs may share a store.
//
// Subtests are named by group ("users/", "attributes/", "keys/",
// "sessions/", "tokens/", "concurrency/", "auth/"), so one group or one case
// can be run alone, e.g. go test -run 'Conformance/tokens/take' ./store/sqlite.
//
// The "auth/" group drives latch.Auth over the stores with an injected
// clock (nothing sleeps) and a cheap password hasher that still checks the
// password.
package storetest
