package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Hit, Peek and ResetHits are the throttle package's Store (UndoHit its
// HitUndoer), which this
// package does not import: a store depends only on latch and its driver.

// Hit counts one attempt against key in a fixed window: the first hit
// starts a window of the given length, and hits in it share one counter,
// whichever process makes them. It returns the count so far in the window
// (1 for the first) and the time until the window ends, the Retry-After of
// a refused request. Windows run on the server's clock, not Options.Now:
// throttling is about real time.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (count int64, retryAfter time.Duration, err error) {
	if window <= 0 {
		return 0, 0, fmt.Errorf("redis: hit: window %v is not positive", window)
	}
	ms := max(window.Milliseconds(), 1)
	res, err := hitScript.Run(ctx, s.client, []string{s.hitsKey(key)}, ms).Int64Slice()
	if err != nil {
		return 0, 0, wrap("hit", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("redis: hit: unexpected reply of %d values", len(res))
	}
	return res[0], time.Duration(max(res[1], 0)) * time.Millisecond, nil
}

// Peek returns key's count and the time left in its window without
// counting a hit: 0 and 0 when there is no live window. It is one script,
// so the two agree.
func (s *Store) Peek(ctx context.Context, key string) (count int64, ttl time.Duration, err error) {
	res, err := peekScript.Run(ctx, s.client, []string{s.hitsKey(key)}).Slice()
	if err != nil {
		return 0, 0, wrap("peek", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("redis: peek: unexpected reply of %d values", len(res))
	}
	str, ok := res[0].(string)
	left, _ := res[1].(int64)
	if !ok || left <= 0 {
		return 0, 0, nil
	}
	if count, err = strconv.ParseInt(str, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("redis: peek: corrupt counter: %w", err)
	}
	return count, time.Duration(left) * time.Millisecond, nil
}

// ResetHits removes key's counter, as after a successful sign-in; it
// succeeds whatever the input.
func (s *Store) ResetHits(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.hitsKey(key)).Err(); err != nil {
		return wrap("reset hits", err)
	}
	return nil
}

// UndoHit takes one hit off key's live counter, keeping its expiry, as when
// an attempt counted beforehand succeeds (throttle.Limiter.Refund).
func (s *Store) UndoHit(ctx context.Context, key string) error {
	if err := undoHitScript.Run(ctx, s.client, []string{s.hitsKey(key)}).Err(); err != nil {
		return wrap("undo hit", err)
	}
	return nil
}
