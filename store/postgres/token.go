package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/latchauth/latch"
)

// PutToken stores a token: latch.ErrDuplicate when (Kind, ID) is taken,
// latch.ErrNotFound when the user does not exist. Data is kept as given: nil
// as NULL, an empty payload as an empty bytea.
func (s *Store) PutToken(ctx context.Context, t latch.TokenRecord) error {
	if !storable(t.UserID) {
		return notFound("put token")
	}
	return wrap("put token", s.insert(ctx, insertToken, t.Kind, t.ID, t.UserID, t.Expires, t.SessionID, t.Data))
}

// TakeToken reads and deletes the token with one DELETE … RETURNING: of
// concurrent calls, exactly one gets the row. With userID not "", only that
// user's token matches; another user's is left in place.
func (s *Store) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	if !storable(kind) || !storable(id) || !storable(userID) {
		return latch.TokenRecord{}, notFound("take token")
	}
	var row pgx.Row
	if userID == "" {
		row = s.db(ctx).QueryRow(ctx, takeToken, kind, id)
	} else {
		row = s.db(ctx).QueryRow(ctx, takeUserToken, kind, id, userID)
	}
	t, err := scanToken(row)
	if err != nil {
		return latch.TokenRecord{}, wrap("take token", err)
	}
	return t, nil
}

// GetToken returns the token without consuming it, or latch.ErrNotFound.
func (s *Store) GetToken(ctx context.Context, kind, id string) (latch.TokenRecord, error) {
	if !storable(kind) || !storable(id) {
		return latch.TokenRecord{}, notFound("get token")
	}
	t, err := scanToken(s.db(ctx).QueryRow(ctx, getToken, kind, id))
	if err != nil {
		return latch.TokenRecord{}, wrap("get token", err)
	}
	return t, nil
}

// ListTokens returns the user's tokens of that kind, expired ones too.
func (s *Store) ListTokens(ctx context.Context, userID, kind string) ([]latch.TokenRecord, error) {
	if !storable(userID) || !storable(kind) {
		return nil, nil
	}
	rows, err := s.db(ctx).Query(ctx, listTokens, userID, kind)
	if err != nil {
		return nil, wrap("list tokens", err)
	}
	defer rows.Close()
	var out []latch.TokenRecord
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, wrap("list tokens", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list tokens", err)
	}
	return out, nil
}

// scanToken reads the tokenColumns. pgx reads NULL data as nil and an
// empty bytea as an empty, non-nil slice.
func scanToken(row pgx.Row) (latch.TokenRecord, error) {
	var t latch.TokenRecord
	err := row.Scan(&t.Kind, &t.ID, &t.UserID, &t.Expires, &t.SessionID, &t.Data)
	return t, err
}

// DeleteToken removes one token.
func (s *Store) DeleteToken(ctx context.Context, kind, id string) error {
	if !storable(kind) || !storable(id) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, deleteToken, kind, id)
	return wrap("delete token", err)
}

// DeleteUserTokens removes the user's tokens of that kind, or of every kind
// when kind is "". Attempt counters stay, so that issuing a new code does
// not lift an attempt limit.
func (s *Store) DeleteUserTokens(ctx context.Context, userID, kind string) error {
	if !storable(userID) || !storable(kind) {
		return nil
	}
	var err error
	if kind != "" {
		_, err = s.db(ctx).Exec(ctx, deleteUserKindTokens, userID, kind)
	} else {
		_, err = s.db(ctx).Exec(ctx, deleteUserTokens, userID)
	}
	return wrap("delete user tokens", err)
}

// DeleteExpiredTokens removes the tokens whose expiry is at or before now
// and the attempt counters whose window has ended, together in one round
// trip, and returns how many tokens it removed.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now int64) (int64, error) {
	b := &pgx.Batch{}
	b.Queue(deleteExpiredTokens, now)
	b.Queue(deleteExpiredAttempts, now)
	var n int64
	err := s.batch(ctx, b, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, wrap("delete expired tokens", err)
	}
	return n, nil
}

// AddAttempt adds one to the (kind, userID) counter with one upsert and
// returns the new count; a counter whose window ended at or before now
// starts again at 1 with expiry expires. Concurrent calls queue on the
// counter's row lock, so each sees a distinct count. A missing user is
// latch.ErrNotFound.
func (s *Store) AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error) {
	if !storable(userID) {
		return 0, notFound("add attempt")
	}
	var n int
	var err error
	if s.txFrom(ctx) == nil {
		err = s.pool.QueryRow(ctx, addAttempt, kind, userID, now, expires).Scan(&n)
	} else {
		b := &pgx.Batch{}
		b.Queue(addAttempt, kind, userID, now, expires)
		err = s.batch(ctx, b, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&n) })
	}
	if err != nil {
		return 0, wrap("add attempt", err)
	}
	return n, nil
}

// Attempts returns the counter, 0 when absent or expired at now.
func (s *Store) Attempts(ctx context.Context, kind, userID string, now int64) (int, error) {
	if !storable(kind) || !storable(userID) {
		return 0, nil
	}
	var n int
	err := s.db(ctx).QueryRow(ctx, attempts, kind, userID, now).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("attempts", err)
	}
	return n, nil
}

// ResetAttempts removes the counter.
func (s *Store) ResetAttempts(ctx context.Context, kind, userID string) error {
	if !storable(kind) || !storable(userID) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, resetAttempts, kind, userID)
	return wrap("reset attempts", err)
}
