package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchauth/latch"
)

// PutToken stores a token: latch.ErrDuplicate when (Kind, ID) is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) PutToken(ctx context.Context, t latch.TokenRecord) error {
	_, err := s.q.putToken.exec(ctx, t.Kind, t.ID, t.UserID, t.Expires, t.SessionID, t.Data, t.Data != nil)
	return wrap("put token", err)
}

// TakeToken reads and deletes the token with one DELETE … RETURNING on the
// writer: of concurrent calls, exactly one gets the row.
func (s *Store) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	t, err := scanToken(s.q.takeToken.row(ctx, kind, id, userID))
	return t, wrap("take token", err)
}

// GetToken returns the token without consuming it, or latch.ErrNotFound.
func (s *Store) GetToken(ctx context.Context, kind, id string) (latch.TokenRecord, error) {
	t, err := scanToken(s.q.getToken.row(ctx, kind, id))
	return t, wrap("get token", err)
}

// ListTokens returns the user's tokens of that kind, expired ones too.
func (s *Store) ListTokens(ctx context.Context, userID, kind string) ([]latch.TokenRecord, error) {
	rows, err := s.q.listTokens.query(ctx, userID, kind)
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

// scanToken reads the tokenColumns.
func scanToken(row interface{ Scan(...any) error }) (latch.TokenRecord, error) {
	var (
		t       latch.TokenRecord
		hasData bool
	)
	if err := row.Scan(&t.Kind, &t.ID, &t.UserID, &t.Expires, &t.SessionID, &t.Data, &hasData); err != nil {
		return latch.TokenRecord{}, err
	}
	if hasData && t.Data == nil {
		t.Data = []byte{} // the driver reads an empty blob as NULL
	}
	return t, nil
}

// DeleteToken removes one token.
func (s *Store) DeleteToken(ctx context.Context, kind, id string) error {
	_, err := s.q.deleteToken.exec(ctx, kind, id)
	return wrap("delete token", err)
}

// DeleteUserTokens removes the user's tokens of that kind, or of every kind
// when kind is "".
func (s *Store) DeleteUserTokens(ctx context.Context, userID, kind string) error {
	var err error
	if kind == "" {
		_, err = s.q.deleteUserTokens.exec(ctx, userID)
	} else {
		_, err = s.q.deleteUserKind.exec(ctx, userID, kind)
	}
	return wrap("delete user tokens", err)
}

// DeleteExpiredTokens removes the tokens whose expiry is at or before now
// and the attempt counters whose window has ended, in one transaction, and
// returns how many tokens it removed.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now int64) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM latch_token WHERE expires <= ?", now)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM latch_token_attempt WHERE expires <= ?", now)
		return err
	})
	if err != nil {
		return 0, wrap("delete expired tokens", err)
	}
	return n, nil
}

// AddAttempt adds one to the (kind, userID) counter with one upsert and
// returns the new count; a counter whose window ended at or before now
// starts again at 1 with expiry expires. The writer runs one statement at a
// time, so concurrent calls each see a distinct count.
func (s *Store) AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error) {
	var n int
	if err := s.q.addAttempt.scan(ctx, []any{kind, userID, now, expires}, &n); err != nil {
		return 0, wrap("add attempt", err)
	}
	return n, nil
}

// Attempts returns the counter, 0 when absent or expired at now.
func (s *Store) Attempts(ctx context.Context, kind, userID string, now int64) (int, error) {
	var n int
	err := s.q.attempts.scan(ctx, []any{kind, userID, now}, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("attempts", err)
	}
	return n, nil
}

// ResetAttempts removes the counter.
func (s *Store) ResetAttempts(ctx context.Context, kind, userID string) error {
	_, err := s.q.resetAttempts.exec(ctx, kind, userID)
	return wrap("reset attempts", err)
}

var (
	_ latch.Store             = (*Store)(nil)
	_ latch.SessionUserGetter = (*Store)(nil)
)
