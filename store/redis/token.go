package redis

import (
	"context"
	"fmt"

	"github.com/latchauth/latch"
)

// PutToken stores a token with its id in the user's index for its kind, in
// one script. ErrDuplicate when (Kind, ID) is taken. It cannot tell whether
// the user exists, so it does not check.
func (s *Store) PutToken(ctx context.Context, t latch.TokenRecord) error {
	hasData := "0"
	if t.Data != nil {
		hasData = "1"
	}
	n, err := putTokenScript.Run(ctx, s.client,
		[]string{s.tokenKey(t.Kind, t.ID), s.tokenIndexKey(t.UserID, t.Kind), s.tokenKindsKey(t.UserID)},
		s.prefix, t.ID, t.Kind, t.UserID, t.Expires, t.SessionID, hasData, t.Data, s.ttl(t.Expires),
	).Int64()
	if err != nil {
		return wrap("put token", err)
	}
	if n == 0 {
		return fmt.Errorf("redis: put token: %w", latch.ErrDuplicate)
	}
	return nil
}

// TakeToken reads and deletes the token in one script, so that of any
// number of concurrent takers exactly one gets it. With userID not "",
// another user's token is left in place and ErrNotFound returned. An expired
// token is returned (and deleted) like any other.
func (s *Store) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	f, err := takeTokenScript.Run(ctx, s.client, []string{s.tokenKey(kind, id)}, s.prefix, kind, id, userID).Slice()
	if err != nil {
		return latch.TokenRecord{}, wrap("take token", err)
	}
	t, err := decodeToken(kind, id, f)
	if err != nil {
		return latch.TokenRecord{}, fmt.Errorf("redis: take token: %w", err)
	}
	return t, nil
}

// GetToken returns the token without consuming it, or ErrNotFound.
func (s *Store) GetToken(ctx context.Context, kind, id string) (latch.TokenRecord, error) {
	f, err := s.client.HMGet(ctx, s.tokenKey(kind, id), "u", "e", "s", "d").Result()
	if err != nil {
		return latch.TokenRecord{}, wrap("get token", err)
	}
	if f[0] == nil {
		return latch.TokenRecord{}, fmt.Errorf("redis: get token: %w", latch.ErrNotFound)
	}
	t, err := decodeToken(kind, id, f)
	if err != nil {
		return latch.TokenRecord{}, fmt.Errorf("redis: get token: %w", err)
	}
	return t, nil
}

// decodeToken builds a record from the user, expiry, session and data
// fields. A missing session field is ""; a missing data field is nil.
func decodeToken(kind, id string, f []any) (latch.TokenRecord, error) {
	if len(f) != 4 {
		return latch.TokenRecord{}, fmt.Errorf("unexpected reply of %d fields", len(f))
	}
	user, ok := f[0].(string)
	if !ok {
		return latch.TokenRecord{}, fmt.Errorf("corrupt record: missing user")
	}
	expires, err := parseMS(f[1])
	if err != nil {
		return latch.TokenRecord{}, err
	}
	t := latch.TokenRecord{ID: id, Kind: kind, UserID: user, Expires: expires}
	t.SessionID, _ = f[2].(string)
	if d, ok := f[3].(string); ok {
		t.Data = []byte(d)
	}
	return t, nil
}

// ListTokens returns the user's tokens of that kind, expired ones too, and
// drops from the index the ids of tokens Redis has already expired.
func (s *Store) ListTokens(ctx context.Context, userID, kind string) ([]latch.TokenRecord, error) {
	rows, err := listTokensScript.Run(ctx, s.client, []string{s.tokenIndexKey(userID, kind)}, s.prefix, userID, kind).Slice()
	if err != nil {
		return nil, wrap("list tokens", err)
	}
	out := make([]latch.TokenRecord, 0, len(rows))
	for _, row := range rows {
		f, ok := row.([]any)
		if !ok || len(f) != 4 {
			return nil, fmt.Errorf("redis: list tokens: unexpected reply %T", row)
		}
		id, _ := f[0].(string)
		f[0] = userID
		t, err := decodeToken(kind, id, f)
		if err != nil {
			return nil, fmt.Errorf("redis: list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// DeleteToken removes one token; it succeeds whatever the input.
func (s *Store) DeleteToken(ctx context.Context, kind, id string) error {
	if err := deleteTokenScript.Run(ctx, s.client, []string{s.tokenKey(kind, id)}, s.prefix, kind, id).Err(); err != nil {
		return wrap("delete token", err)
	}
	return nil
}

// DeleteUserTokens removes the user's tokens of that kind, or of every kind
// when kind is "", in one script. Attempt counters stay: they expire with
// their window, and a new token must not reset them.
func (s *Store) DeleteUserTokens(ctx context.Context, userID, kind string) error {
	if err := deleteUserTokensScript.Run(ctx, s.client, []string{s.tokenKindsKey(userID)}, s.prefix, userID, kind).Err(); err != nil {
		return wrap("delete user tokens", err)
	}
	return nil
}

// DeleteExpiredTokens removes the tokens whose expiry is at or before now,
// and the attempt counters whose window has ended, by scanning the prefix's
// keys. Each batch is removed atomically; the scan as a whole is not a
// snapshot. It returns how many tokens it removed.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now int64) (int64, error) {
	n, err := s.sumScan(ctx, globEscape(s.prefix)+"token:*", purgeTokensScript, s.prefix, now)
	if err != nil {
		return n, wrap("delete expired tokens", err)
	}
	if _, err := s.sumScan(ctx, globEscape(s.prefix)+"attempt:*", purgeAttemptsScript, now); err != nil {
		return n, wrap("delete expired tokens: attempt counters", err)
	}
	return n, nil
}
