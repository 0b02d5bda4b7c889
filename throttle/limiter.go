package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ErrLocked is returned by Attempt when the key has used up
// Options.LockAfter attempts: it stays locked until Reset or until its
// window ends, however long it waits.
var ErrLocked = errors.New("throttle: locked after too many failures")

// Options configure a Limiter. A zero field takes its default in New.
type Options struct {
	// Free is how many failures cost nothing. Default 5; a negative value
	// means none: the first failure already locks the key for Base.
	Free int
	// Base is the lock after the first failure past Free; each further
	// failure doubles it. Default 1 s.
	Base time.Duration
	// Max caps the lock. Default 15 minutes.
	Max time.Duration
	// Window is how long failures are remembered: the count starts with a
	// key's first failure and is forgotten Window later (a fixed window, as
	// the Redis store keeps it). Default 15 minutes.
	Window time.Duration
	// Now is the clock of the MemoryStore that New makes when it is given
	// no Store. Default time.Now.
	Now func() time.Time
	// Prefix is put before every key in the Store, so that limiters sharing
	// one Store do not count each other's failures ("signin:", "code:").
	Prefix string
	// LockAfter, when positive, is how many attempts a key may make in its
	// Window: Attempt refuses every later one with ErrLocked until Reset
	// (a success, or another way of proving who one is) or until the
	// window ends, whatever the back-off would allow. Default 0: no lock.
	LockAfter int
}

// Limiter applies exponential backoff per key. It is safe for concurrent
// use, and several processes share their counts through a shared Store.
type Limiter struct {
	store  Store
	free   int64
	base   time.Duration
	max    time.Duration
	window time.Duration
	prefix string
	lock   int64
}

// New returns a Limiter counting in store; with a nil store it counts in a
// new MemoryStore on opts.Now.
func New(store Store, opts Options) (*Limiter, error) {
	l := &Limiter{store: store, free: int64(opts.Free), base: opts.Base, max: opts.Max, window: opts.Window, prefix: opts.Prefix, lock: int64(opts.LockAfter)}
	switch {
	case l.free == 0:
		l.free = 5
	case l.free < 0:
		l.free = 0
	}
	if l.base == 0 {
		l.base = time.Second
	}
	if l.max == 0 {
		l.max = 15 * time.Minute
	}
	if l.window == 0 {
		l.window = 15 * time.Minute
	}
	switch {
	case l.base < time.Millisecond:
		return nil, fmt.Errorf("throttle: Options.Base %v: want at least 1ms", opts.Base)
	case l.max < l.base:
		return nil, fmt.Errorf("throttle: Options.Max %v is less than Base %v", l.max, l.base)
	case l.window < time.Millisecond:
		return nil, fmt.Errorf("throttle: Options.Window %v: want at least 1ms", opts.Window)
	case l.lock < 0:
		return nil, fmt.Errorf("throttle: Options.LockAfter %d: want 0 (no lock) or more", opts.LockAfter)
	}
	if l.store == nil {
		l.store = NewMemoryStore(opts.Now)
	}
	return l, nil
}

// Delay returns how long a key is locked after its n-th failure: 0 while
// n ≤ Free, then Base·2^(n−Free−1), at most Max.
func (l *Limiter) Delay(n int64) time.Duration {
	if n <= l.free {
		return 0
	}
	d := l.base
	for i := n - l.free - 1; i > 0; i-- {
		if d > l.max/2 { // doubling would pass Max (or overflow)
			return l.max
		}
		d *= 2
	}
	return min(d, l.max)
}

// Check returns how long the key must wait before its next attempt; 0
// means it may try now. A Store error is returned as it is: whether to let
// the attempt through is the caller's choice.
func (l *Limiter) Check(ctx context.Context, key string) (retryAfter time.Duration, err error) {
	n, ttl, err := l.store.Peek(ctx, l.key("lock:", key))
	if err != nil {
		return 0, fmt.Errorf("throttle: check: %w", err)
	}
	if n == 0 || ttl <= 0 {
		return 0, nil
	}
	return ttl, nil
}

// Fail counts a failed attempt and, past the free ones, locks the key for
// Delay(count) from now.
func (l *Limiter) Fail(ctx context.Context, key string) error {
	n, _, err := l.store.Hit(ctx, l.key("fail:", key), l.window)
	if err != nil {
		return fmt.Errorf("throttle: fail: %w", err)
	}
	d := l.Delay(n)
	if d == 0 {
		return nil
	}
	// The lock is a window of its own whose length is the delay; starting
	// it afresh makes the delay count from this failure.
	lock := l.key("lock:", key)
	if err := l.store.ResetHits(ctx, lock); err != nil {
		return fmt.Errorf("throttle: fail: %w", err)
	}
	if _, _, err := l.store.Hit(ctx, lock, d); err != nil {
		return fmt.Errorf("throttle: fail: %w", err)
	}
	return nil
}

// Attempt starts an attempt that may fail, such as a password check, and
// returns how long the key must wait first (0: go ahead). Unlike Check
// followed by Fail, it holds under concurrency: the attempt is counted as a
// failure before it is made (a success then calls Reset), and past the
// free ones an attempt goes ahead only if it takes the key's lock, which
// one attempt at a time can. So a burst of simultaneous guesses gets Free
// attempts plus one, as many as the same guesses made one after another,
// and not one per request. A key that is locked is refused without
// counting (one that loses the race for the lock is counted). A failed
// attempt needs no further call; a success that should not use up the
// allowance (many people behind one IP address) calls Refund.
//
// With Options.LockAfter, the attempts past it are refused with ErrLocked
// and, as retryAfter, the time left in the key's window; the count is
// atomic, so a burst cannot pass the limit either.
func (l *Limiter) Attempt(ctx context.Context, key string) (retryAfter time.Duration, err error) {
	if l.lock > 0 {
		// A locked key says so at once, not after its last back-off.
		if n, ttl, err := l.store.Peek(ctx, l.key("fail:", key)); err != nil {
			return 0, fmt.Errorf("throttle: attempt: %w", err)
		} else if n >= l.lock && ttl > 0 {
			return ttl, ErrLocked
		}
	}
	lock := l.key("lock:", key)
	if n, ttl, err := l.store.Peek(ctx, lock); err != nil {
		return 0, fmt.Errorf("throttle: attempt: %w", err)
	} else if n > 0 && ttl > 0 {
		return ttl, nil
	}
	n, left, err := l.store.Hit(ctx, l.key("fail:", key), l.window)
	if err != nil {
		return 0, fmt.Errorf("throttle: attempt: %w", err)
	}
	if l.lock > 0 && n > l.lock {
		return max(left, time.Millisecond), ErrLocked
	}
	d := l.Delay(n)
	if d == 0 {
		return 0, nil
	}
	// The lock's window starts with the first hit after the last one
	// ended: the attempt that makes that hit holds it for d; any other
	// attempt meanwhile waits out what is left.
	held, ttl, err := l.store.Hit(ctx, lock, d)
	if err != nil {
		return 0, fmt.Errorf("throttle: attempt: %w", err)
	}
	if held > 1 {
		return ttl, nil
	}
	return 0, nil
}

// HitUndoer is a Store that can take back one hit, which Refund needs.
// MemoryStore, store/redis and the SQL stores' ThrottleStore are.
type HitUndoer interface {
	// UndoHit takes one hit off key's live window, if it has one with a
	// count above zero; the window keeps its end. It succeeds whatever the
	// input.
	UndoHit(ctx context.Context, key string) error
}

// Refund takes back one attempt counted by Attempt that turned out not to
// be a failure, without forgetting the key's other failures as Reset
// does. With a Store that is no HitUndoer it does nothing, and successes
// count against the allowance.
func (l *Limiter) Refund(ctx context.Context, key string) error {
	u, ok := l.store.(HitUndoer)
	if !ok {
		return nil
	}
	if err := u.UndoHit(ctx, l.key("fail:", key)); err != nil {
		return fmt.Errorf("throttle: refund: %w", err)
	}
	return nil
}

// Reset forgets the key's failures and lifts its lock, as after a
// successful sign-in.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	for _, k := range []string{l.key("fail:", key), l.key("lock:", key)} {
		if err := l.store.ResetHits(ctx, k); err != nil {
			return fmt.Errorf("throttle: reset: %w", err)
		}
	}
	return nil
}

// maxKeyLength is the longest key kept as it is; longer ones (a client can
// choose the email it signs in with) are stored as their SHA-256.
const maxKeyLength = 128

func (l *Limiter) key(kind, key string) string {
	if len(key) > maxKeyLength {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	return l.prefix + kind + key
}
