// Package throttle slows down guessing: exponential backoff for sign-in and
// code attempts, counted per key (an email address, a client IP).
//
// A Limiter answers two questions: may this key try now (Check), and this
// attempt failed (Fail). The first Options.Free failures cost nothing; each
// one after that locks the key for twice as long as the one before, from
// Options.Base up to Options.Max, counted from the last failure. A success
// calls Reset.
//
// The counts live in a Store. NewMemoryStore keeps them in process memory;
// store/redis keeps them in Redis so that every process of a service shares
// them, which is what makes the limit hold behind a load balancer.
package throttle
