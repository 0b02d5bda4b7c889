package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchauth/latch"
)

// PutToken stores a token: latch.ErrDuplicate when (Kind, ID) is taken,
// latch.ErrNotFound when the user does not exist. Data nil is stored as
// NULL and read back as nil; an empty non-nil Data reads back empty.
func (s *Store) PutToken(ctx context.Context, t latch.TokenRecord) error {
	const op = "put token"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.putToken, t.Kind, t.ID, t.UserID, t.Expires, t.SessionID, t.Data)
	return wrap(op, err)
}

// TakeToken reads and deletes the token in one transaction: it locks the
// row (SELECT … FOR UPDATE), checks the user, and deletes it. Concurrent
// takers wait for the row's lock and then find no row, so exactly one
// gets the token. When userID is not "" and the token is another user's,
// it is left in place and the result is latch.ErrNotFound.
func (s *Store) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	const op = "take token"
	q, err := s.stmts(ctx)
	if err != nil {
		return latch.TokenRecord{}, wrap(op, err)
	}
	var t latch.TokenRecord
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		t = latch.TokenRecord{Kind: kind, ID: id}
		err := tx.StmtContext(ctx, q.lockToken).QueryRowContext(ctx, kind, id).Scan(&t.UserID, &t.Expires, &t.SessionID, &t.Data)
		if err != nil {
			return err
		}
		if userID != "" && t.UserID != userID {
			return sql.ErrNoRows
		}
		_, err = tx.StmtContext(ctx, q.deleteToken).ExecContext(ctx, kind, id)
		return err
	})
	if err != nil {
		return latch.TokenRecord{}, wrap(op, err)
	}
	return t, nil
}

// GetToken returns the token without consuming it, or latch.ErrNotFound.
func (s *Store) GetToken(ctx context.Context, kind, id string) (latch.TokenRecord, error) {
	const op = "get token"
	q, err := s.stmts(ctx)
	if err != nil {
		return latch.TokenRecord{}, wrap(op, err)
	}
	t := latch.TokenRecord{Kind: kind, ID: id}
	if err := s.row(ctx, q.getToken, kind, id).Scan(&t.UserID, &t.Expires, &t.SessionID, &t.Data); err != nil {
		return latch.TokenRecord{}, wrap(op, err)
	}
	return t, nil
}

// ListTokens returns the user's tokens of that kind, expired ones too.
func (s *Store) ListTokens(ctx context.Context, userID, kind string) ([]latch.TokenRecord, error) {
	const op = "list tokens"
	q, err := s.stmts(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.query(ctx, q.listTokens, userID, kind)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []latch.TokenRecord
	for rows.Next() {
		t := latch.TokenRecord{Kind: kind, UserID: userID}
		if err := rows.Scan(&t.ID, &t.Expires, &t.SessionID, &t.Data); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// DeleteToken removes one token. It succeeds whatever the input.
func (s *Store) DeleteToken(ctx context.Context, kind, id string) error {
	const op = "delete token"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteToken, kind, id)
	return wrap(op, err)
}

// DeleteUserTokens removes the user's tokens of that kind, or of every kind
// when kind is "". Attempt counters stay, so that issuing a new code does
// not lift an attempt limit.
func (s *Store) DeleteUserTokens(ctx context.Context, userID, kind string) error {
	const op = "delete user tokens"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	if kind != "" {
		_, err = s.exec(ctx, q.deleteUserKind, userID, kind)
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteUserTokens, userID)
	return wrap(op, err)
}

// DeleteExpiredTokens removes the tokens whose expiry is at or before now,
// then the attempt counters whose window has ended, and returns how many
// tokens it removed.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now int64) (int64, error) {
	const op = "delete expired tokens"
	q, err := s.stmts(ctx)
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := s.exec(ctx, q.deleteExpiredTokens, now)
	if err != nil {
		return 0, wrap(op, err)
	}
	if _, err := s.exec(ctx, q.deleteExpiredAttempts, now); err != nil {
		return n, wrap(op+": attempt counters", err)
	}
	return n, nil
}

// AddAttempt adds one to the (kind, userID) counter and returns the new
// count; a counter whose window ended at or before now starts again at 1
// with expiry expires. It upserts (INSERT … ON DUPLICATE KEY UPDATE) and
// reads the count back in one transaction, holding the row's lock between
// the two, so concurrent calls each see a distinct count.
// latch.ErrNotFound when the user does not exist.
func (s *Store) AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error) {
	const op = "add attempt"
	q, err := s.stmts(ctx)
	if err != nil {
		return 0, wrap(op, err)
	}
	var n int
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, q.addAttempt).ExecContext(ctx, kind, userID, expires, now, now, expires); err != nil {
			return err
		}
		return tx.StmtContext(ctx, q.readAttempt).QueryRowContext(ctx, kind, userID).Scan(&n)
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// Attempts returns the counter, 0 when absent or expired at now.
func (s *Store) Attempts(ctx context.Context, kind, userID string, now int64) (int, error) {
	const op = "attempts"
	q, err := s.stmts(ctx)
	if err != nil {
		return 0, wrap(op, err)
	}
	var n int
	err = s.row(ctx, q.attempts, kind, userID, now).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// ResetAttempts removes the counter. It succeeds whatever the input.
func (s *Store) ResetAttempts(ctx context.Context, kind, userID string) error {
	const op = "reset attempts"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.resetAttempts, kind, userID)
	return wrap(op, err)
}
