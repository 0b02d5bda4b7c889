package mysql

import (
	"context"
	"database/sql"

	"github.com/latchauth/latch"
)

// CreateUser stores the user and, when key is not nil, its first key, in
// one transaction: latch.ErrDuplicate when the user id or the key id is
// taken, latch.ErrNotFound when the key belongs to another, missing user.
func (s *Store) CreateUser(ctx context.Context, user latch.UserRecord, key *latch.KeyRecord) error {
	const op = "create user"
	attrs, err := latch.MarshalAttributes(user.Attributes)
	if err != nil {
		return wrap(op, err)
	}
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	if key == nil {
		_, err := s.exec(ctx, q.createUser, user.ID, attrs)
		return wrap(op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, q.createUser).ExecContext(ctx, user.ID, attrs); err != nil {
			return err
		}
		_, err := tx.StmtContext(ctx, q.createKey).ExecContext(ctx, key.ID, key.UserID, nullString(key.HashedPassword))
		return err
	})
	return wrap(op, err)
}

// GetUser returns the user, or latch.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, userID string) (latch.UserRecord, error) {
	const op = "get user"
	q, err := s.stmts(ctx)
	if err != nil {
		return latch.UserRecord{}, wrap(op, err)
	}
	var raw []byte
	if err := s.row(ctx, q.getUser, userID).Scan(&raw); err != nil {
		return latch.UserRecord{}, wrap(op, err)
	}
	attrs, err := decodeAttributes(raw)
	if err != nil {
		return latch.UserRecord{}, wrap(op, err)
	}
	return latch.UserRecord{ID: userID, Attributes: attrs}, nil
}

// UpdateUserAttributes merges patch into the user's attributes in one
// transaction that locks the user's row (SELECT … FOR UPDATE), so that
// concurrent merges all land. latch.ErrNotFound when the user does not
// exist; latch.ErrInvalidAttributes when the merged attributes are invalid
// or encode to more than latch.MaxAttributesSize bytes.
func (s *Store) UpdateUserAttributes(ctx context.Context, userID string, patch latch.Attributes) error {
	const op = "update user attributes"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	return wrap(op, s.mergeAttributes(ctx, q.lockUser, q.setUserAttributes, userID, patch))
}

// DeleteUser removes the user; its keys, sessions, tokens and attempt
// counters go with it (ON DELETE CASCADE). It succeeds whatever the input.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	const op = "delete user"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteUser, userID)
	return wrap(op, err)
}

// mergeAttributes locks the row by id with lock (a SELECT attributes …
// FOR UPDATE), merges patch into its attributes and writes them back with
// set (an UPDATE … SET attributes = ? WHERE id = ?), in one transaction.
// The merge is done in Go: JSON_MERGE_PATCH would drop the keys that patch
// sets to nil, which the contract keeps.
func (s *Store) mergeAttributes(ctx context.Context, lock, set *sql.Stmt, id string, patch latch.Attributes) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var raw []byte
		if err := tx.StmtContext(ctx, lock).QueryRowContext(ctx, id).Scan(&raw); err != nil {
			return err
		}
		if len(patch) == 0 {
			return nil
		}
		attrs, err := decodeAttributes(raw)
		if err != nil {
			return err
		}
		for k, v := range patch {
			attrs[k] = v
		}
		enc, err := latch.MarshalAttributes(attrs)
		if err != nil {
			return err
		}
		_, err = tx.StmtContext(ctx, set).ExecContext(ctx, enc, id)
		return err
	})
}
