package lucia2

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchauth/latch"
)

// Tokens and attempt counters live in Latch's own tables, which Migrate
// creates.

// PutToken stores a token: latch.ErrDuplicate when (Kind, ID) is taken,
// latch.ErrNotFound when the user does not exist. Data nil is stored as
// NULL and read back as nil; an empty non-nil Data reads back empty.
func (s *Store) PutToken(ctx context.Context, t latch.TokenRecord) error {
	_, err := s.exec(ctx, s.q.putToken, t.Kind, t.ID, t.UserID, t.Expires, t.SessionID, t.Data != nil, t.Data)
	return s.wrap("put token", err)
}

// TakeToken reads and deletes the token in one atomic step: with one
// DELETE … RETURNING on SQLite and PostgreSQL (whichever runs first gets
// the row), and on MySQL in a transaction that locks the row (SELECT … FOR
// UPDATE) before deleting it, so that concurrent takers wait and then find
// nothing. When userID is not "" and the token is another user's, it is
// left in place and the result is latch.ErrNotFound.
func (s *Store) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	const op = "take token"
	if !s.storable([]any{kind, id, userID}) {
		return latch.TokenRecord{}, notFound(op)
	}
	var t latch.TokenRecord
	var err error
	if s.d == dMySQL {
		err = s.atomic(ctx, func(q querier) error {
			var err error
			t, err = scanToken(q.QueryRowContext(ctx, s.q.lockToken, kind, id))
			if err != nil {
				return err
			}
			if userID != "" && t.UserID != userID {
				return sql.ErrNoRows
			}
			_, err = q.ExecContext(ctx, s.q.deleteToken, kind, id)
			return err
		})
	} else {
		err = s.single(ctx, func(q querier) error {
			var err error
			t, err = scanToken(q.QueryRowContext(ctx, s.q.takeToken, kind, id, userID, userID))
			return err
		})
	}
	if err != nil {
		return latch.TokenRecord{}, s.wrap(op, err)
	}
	return t, nil
}

// GetToken returns the token without consuming it, or latch.ErrNotFound.
func (s *Store) GetToken(ctx context.Context, kind, id string) (latch.TokenRecord, error) {
	t, err := scanToken(s.readRow(ctx, s.q.getToken, kind, id))
	if err != nil {
		return latch.TokenRecord{}, s.wrap("get token", err)
	}
	return t, nil
}

// ListTokens returns the user's tokens of that kind, expired ones too.
func (s *Store) ListTokens(ctx context.Context, userID, kind string) ([]latch.TokenRecord, error) {
	const op = "list tokens"
	a := args(s.idArgs(userID), []any{kind})
	if !s.storable(a) {
		return nil, nil
	}
	rows, err := s.readRows(ctx, s.q.listTokens, a...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []latch.TokenRecord
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// scanToken reads the tokenColumns.
func scanToken(row rowScanner) (latch.TokenRecord, error) {
	var (
		t       latch.TokenRecord
		hasData bool
	)
	if err := row.Scan(&t.Kind, &t.ID, &t.UserID, &t.Expires, &t.SessionID, &t.Data, &hasData); err != nil {
		return latch.TokenRecord{}, err
	}
	if hasData && t.Data == nil {
		t.Data = []byte{} // drivers read an empty blob as nil
	}
	if !hasData {
		t.Data = nil
	}
	return t, nil
}

// DeleteToken removes one token. It succeeds whatever the input.
func (s *Store) DeleteToken(ctx context.Context, kind, id string) error {
	if !s.storable([]any{kind, id}) {
		return nil
	}
	_, err := s.exec(ctx, s.q.deleteToken, kind, id)
	return s.wrap("delete token", err)
}

// DeleteUserTokens removes the user's tokens of that kind, or of every kind
// when kind is "". Attempt counters stay.
func (s *Store) DeleteUserTokens(ctx context.Context, userID, kind string) error {
	const op = "delete user tokens"
	a := s.idArgs(userID)
	query := s.q.deleteUserTokens
	if kind != "" {
		a, query = args(a, []any{kind}), s.q.deleteUserKind
	}
	if !s.storable(a) {
		return nil
	}
	_, err := s.exec(ctx, query, a...)
	return s.wrap(op, err)
}

// DeleteExpiredTokens removes the tokens whose expiry is at or before now
// and the attempt counters whose window has ended, in one transaction, and
// returns how many tokens it removed.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now int64) (int64, error) {
	var n int64
	err := s.atomic(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, s.q.deleteExpiredTokens, now)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, s.q.deleteExpiredAttempts, now)
		return err
	})
	if err != nil {
		return 0, s.wrap("delete expired tokens", err)
	}
	return n, nil
}

// AddAttempt adds one to the (kind, userID) counter and returns the new
// count; a counter whose window ended at or before now starts again at 1
// with expiry expires. One upsert (INSERT … ON CONFLICT … RETURNING) on
// SQLite and PostgreSQL; on MySQL an upsert and a read of the count in one
// transaction, holding the row's lock between them. Concurrent calls each
// see a distinct count. latch.ErrNotFound when the user does not exist.
func (s *Store) AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error) {
	const op = "add attempt"
	if !s.storable([]any{kind, userID}) {
		return 0, notFound(op)
	}
	var n int
	var err error
	if s.d == dMySQL {
		err = s.atomic(ctx, func(q querier) error {
			if _, err := q.ExecContext(ctx, s.q.addAttempt, kind, userID, expires, now, now, expires); err != nil {
				return err
			}
			return q.QueryRowContext(ctx, s.q.readAttempt, args([]any{kind}, s.idArgs(userID))...).Scan(&n)
		})
	} else {
		err = s.single(ctx, func(q querier) error {
			return q.QueryRowContext(ctx, s.q.addAttempt, kind, userID, expires, now, now, expires).Scan(&n)
		})
	}
	if err != nil {
		return 0, s.wrap(op, err)
	}
	return n, nil
}

// Attempts returns the counter, 0 when absent or expired at now.
func (s *Store) Attempts(ctx context.Context, kind, userID string, now int64) (int, error) {
	var n int
	err := s.readRow(ctx, s.q.attempts, args([]any{kind}, s.idArgs(userID), []any{now})...).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.wrap("attempts", err)
	}
	return n, nil
}

// ResetAttempts removes the counter. It succeeds whatever the input.
func (s *Store) ResetAttempts(ctx context.Context, kind, userID string) error {
	a := args([]any{kind}, s.idArgs(userID))
	if !s.storable(a) {
		return nil
	}
	_, err := s.exec(ctx, s.q.resetAttempts, a...)
	return s.wrap("reset attempts", err)
}
