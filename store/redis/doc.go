// Package redis keeps Latch's sessions and single-use tokens in Redis, for
// deployments where several latchd processes share them, next to a SQL
// store that keeps users and keys. It also keeps the attempt counters of
// numeric codes, and fixed-window counters (Hit, Peek, ResetHits) that make
// a Store a throttle.Store shared by every process.
//
//	sessions, err := redis.Open("redis://127.0.0.1:6379/0", redis.Options{})
//	...
//	auth, err := latch.New(latch.Config{
//		Users: db, Keys: db, // a SQL store
//		Sessions: sessions, Tokens: sessions,
//	})
//
// # Layout
//
// Every key starts with Options.Prefix ("latch:" by default):
//
//	session:<id>                        hash u (user), a, i (expiries, ms), t (attributes JSON)
//	user_sessions:<user>                set of the user's session ids
//	token:<len(kind)>:<kind>:<id>       hash u, e (expiry, ms), s (session id), d (data)
//	user_tokens:<len(user)>:<user>:<kind>  set of the user's token ids of that kind
//	user_token_kinds:<user>             set of the kinds the user has tokens of
//	attempt:<len(kind)>:<kind>:<user>   hash c (count), e (expiry, ms)
//	hits:<key>                          throttle counter
//
// A variable part followed by another is length-prefixed, so ids may hold
// ':' or any other byte without two keys meeting.
//
// # Atomicity
//
// Every write that touches a record and its index is one Lua script:
// creating a session or token (refused with latch.ErrDuplicate when the id
// is taken), deleting one, deleting a user's, renewing a session (which
// fails with latch.ErrNotFound, rather than recreating it, once the session
// is gone) and taking a token, so that of any number of concurrent takers
// exactly one gets it. Attribute patches are merged in Go and written with
// a compare-and-set script, retried when another patch landed first.
//
// # Expiry
//
// latch.Auth decides what has expired, with its own clock; this store
// keeps what it is given until it is deleted or purged with an explicit
// now (DeleteExpiredSessions, DeleteExpiredTokens). Redis time-to-live
// only reclaims memory: a key lives until its record's expiry by
// Options.Now, and at least an hour, so a record that is already dead by
// the wall clock (or written by a test clock set in the past) can still be
// read, listed and purged. Indexes live as long as their longest record.
// A session's key therefore disappears on its own about when the session
// dies, whether or not anything purges.
//
// # Redis Cluster
//
// Scripts reach keys named after stored data (a session's user index),
// so on a cluster every key must hash to one slot: give the prefix a hash
// tag, such as "{latch}:".
package redis
