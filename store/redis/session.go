package redis

import (
	"context"
	"fmt"
	"maps"

	"github.com/latchauth/latch"
)

// CreateSession stores a session with its id in the user's index, in one
// script. ErrDuplicate when the id is taken. It cannot tell whether the user
// exists (users live in another store), so it does not check.
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	attrs, err := latch.MarshalAttributes(r.Attributes)
	if err != nil {
		return fmt.Errorf("redis: create session: %w", err)
	}
	n, err := createSessionScript.Run(ctx, s.client,
		[]string{s.sessionKey(r.ID), s.sessionIndexKey(r.UserID)},
		s.prefix, r.ID, r.UserID, r.ActiveExpires, r.IdleExpires, attrs, s.ttl(r.IdleExpires),
	).Int64()
	if err != nil {
		return wrap("create session", err)
	}
	if n == 0 {
		return fmt.Errorf("redis: create session: %w", latch.ErrDuplicate)
	}
	return nil
}

// GetSession returns the session, or ErrNotFound. It is one HMGET.
func (s *Store) GetSession(ctx context.Context, sessionID string) (latch.SessionRecord, error) {
	f, err := s.client.HMGet(ctx, s.sessionKey(sessionID), "u", "a", "i", "t").Result()
	if err != nil {
		return latch.SessionRecord{}, wrap("get session", err)
	}
	user, ok := f[0].(string)
	if !ok {
		return latch.SessionRecord{}, fmt.Errorf("redis: get session: %w", latch.ErrNotFound)
	}
	r, err := decodeSession(sessionID, user, f[1:])
	if err != nil {
		return latch.SessionRecord{}, fmt.Errorf("redis: get session: %w", err)
	}
	return r, nil
}

// decodeSession builds a record from the active expiry, idle expiry and
// attributes fields.
func decodeSession(id, user string, f []any) (latch.SessionRecord, error) {
	active, err := parseMS(f[0])
	if err != nil {
		return latch.SessionRecord{}, err
	}
	idle, err := parseMS(f[1])
	if err != nil {
		return latch.SessionRecord{}, err
	}
	raw, _ := f[2].(string)
	attrs, err := latch.UnmarshalAttributes([]byte(raw))
	if err != nil {
		return latch.SessionRecord{}, err
	}
	return latch.SessionRecord{ID: id, UserID: user, ActiveExpires: active, IdleExpires: idle, Attributes: attrs}, nil
}

// ListSessions returns all of the user's sessions, dead or alive, and drops
// from the index the ids of sessions Redis has already expired.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	rows, err := listSessionsScript.Run(ctx, s.client, []string{s.sessionIndexKey(userID)}, s.prefix, userID).Slice()
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	out := make([]latch.SessionRecord, 0, len(rows))
	for _, row := range rows {
		f, ok := row.([]any)
		if !ok || len(f) != 4 {
			return nil, fmt.Errorf("redis: list sessions: unexpected reply %T", row)
		}
		id, _ := f[0].(string)
		r, err := decodeSession(id, userID, f[1:])
		if err != nil {
			return nil, fmt.Errorf("redis: list sessions: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// UpdateSessionExpiry sets both expiries and the key's time to live.
// ErrNotFound when the session no longer exists: a deleted session is never
// brought back.
func (s *Store) UpdateSessionExpiry(ctx context.Context, sessionID string, activeExpires, idleExpires int64) error {
	n, err := updateSessionExpiryScript.Run(ctx, s.client, []string{s.sessionKey(sessionID)},
		s.prefix, sessionID, activeExpires, idleExpires, s.ttl(idleExpires)).Int64()
	if err != nil {
		return wrap("update session expiry", err)
	}
	if n == 0 {
		return fmt.Errorf("redis: update session expiry: %w", latch.ErrNotFound)
	}
	return nil
}

// UpdateSessionAttributes merges patch into the session's attributes. The
// merge of typed attributes happens here, in Go, and is written back with a
// compare-and-set script; when another writer changed them in between, the
// script returns what is there now and the patch is merged into that, so
// concurrent patches all land. ErrNotFound when the session does not exist.
func (s *Store) UpdateSessionAttributes(ctx context.Context, sessionID string, patch latch.Attributes) error {
	key := s.sessionKey(sessionID)
	old, err := s.client.HGet(ctx, key, "t").Result()
	if err != nil {
		return wrap("update session attributes", err)
	}
	for {
		next, err := mergeAttributes(old, patch)
		if err != nil {
			return fmt.Errorf("redis: update session attributes: %w", err)
		}
		cur, err := swapSessionAttributesScript.Run(ctx, s.client, []string{key}, old, next).Text()
		if err != nil { // goredis.Nil when the session is gone
			return wrap("update session attributes", err)
		}
		if cur == "" {
			return nil
		}
		// Another patch landed first (each lost race means one did, so
		// this ends): merge into what is there now.
		old = cur
	}
}

// mergeAttributes returns the encoded attributes with patch applied.
func mergeAttributes(encoded string, patch latch.Attributes) ([]byte, error) {
	attrs, err := latch.UnmarshalAttributes([]byte(encoded))
	if err != nil {
		return nil, err
	}
	maps.Copy(attrs, patch)
	return latch.MarshalAttributes(attrs)
}

// DeleteSession removes one session and its index entry; it succeeds
// whatever the input.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	if err := deleteSessionScript.Run(ctx, s.client, []string{s.sessionKey(sessionID)}, s.prefix, sessionID).Err(); err != nil {
		return wrap("delete session", err)
	}
	return nil
}

// DeleteSessionsByUser removes all of the user's sessions and the index,
// in one script.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID string) error {
	if err := deleteUserSessionsScript.Run(ctx, s.client, []string{s.sessionIndexKey(userID)}, s.prefix, userID).Err(); err != nil {
		return wrap("delete user sessions", err)
	}
	return nil
}

// DeleteExpiredSessions removes the sessions whose idle expiry is at or
// before now (the given now, not the server's clock): the user's, or with
// userID "" everyone's, found by scanning the per-user indexes. Each index
// is purged atomically; the scan as a whole is not a snapshot.
func (s *Store) DeleteExpiredSessions(ctx context.Context, userID string, now int64) (int64, error) {
	if userID != "" {
		n, err := purgeSessionsScript.Run(ctx, s.client, []string{s.sessionIndexKey(userID)}, s.prefix, now).Int64()
		if err != nil {
			return 0, wrap("delete expired sessions", err)
		}
		return n, nil
	}
	n, err := s.sumScan(ctx, globEscape(s.prefix)+"user_sessions:*", purgeSessionsScript, s.prefix, now)
	if err != nil {
		return n, wrap("delete expired sessions", err)
	}
	return n, nil
}
