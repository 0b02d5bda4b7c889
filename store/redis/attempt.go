package redis

import (
	"context"
	"fmt"
	"strconv"
)

// AddAttempt adds one to the (kind, userID) counter in one script and
// returns the new count. A counter whose expiry is at or before now starts
// again at 1 with the given expiry.
func (s *Store) AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error) {
	n, err := addAttemptScript.Run(ctx, s.client, []string{s.attemptKey(kind, userID)}, now, expires, s.ttl(expires)).Int64()
	if err != nil {
		return 0, wrap("add attempt", err)
	}
	return int(n), nil
}

// Attempts returns the counter, 0 when absent or expired at now.
func (s *Store) Attempts(ctx context.Context, kind, userID string, now int64) (int, error) {
	f, err := s.client.HMGet(ctx, s.attemptKey(kind, userID), "c", "e").Result()
	if err != nil {
		return 0, wrap("attempts", err)
	}
	c, cok := f[0].(string)
	e, eok := f[1].(string)
	if !cok || !eok {
		return 0, nil
	}
	expires, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redis: attempts: corrupt counter: %w", err)
	}
	if expires <= now {
		return 0, nil
	}
	count, err := strconv.Atoi(c)
	if err != nil {
		return 0, fmt.Errorf("redis: attempts: corrupt counter: %w", err)
	}
	return count, nil
}

// ResetAttempts removes the counter; it succeeds whatever the input.
func (s *Store) ResetAttempts(ctx context.Context, kind, userID string) error {
	if err := s.client.Del(ctx, s.attemptKey(kind, userID)).Err(); err != nil {
		return wrap("reset attempts", err)
	}
	return nil
}
