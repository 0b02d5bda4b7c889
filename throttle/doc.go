// Package throttle slows down guessing: exponential backoff for sign-in and
// code attempts, counted per key (an email address, a client IP).
//
// A Limiter answers two questions: may this key try now (Check), and this
// attempt failed (Fail). The first Options.Free failures cost nothing; each
// one after that locks the key for twice as long as the one before, from
// Options.Base up to Options.Max, counted from the last failure. A success
// calls Reset.
//
// Attempt does both at once for attempts that run concurrently: it counts
// the attempt before it is made, so a burst of simultaneous guesses gets
// no more tries than guesses made one by one; Refund gives back the
// attempt of a success that should not count. Options.LockAfter locks a
// key for the rest of its window after that many attempts (ErrLocked).
//
// The counts live in a Store. NewMemoryStore keeps them in process memory;
// store/redis keeps them in Redis, and the SQL stores' ThrottleStore in
// their database's latch_throttle table, so that every process of a
// service shares them, which is what makes the limit hold behind a load
// balancer.
package throttle
