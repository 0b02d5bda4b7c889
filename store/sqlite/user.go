package sqlite

import (
	"context"
	"database/sql"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/attrcodec"
)

// CreateUser stores the user and, when key is not nil, its first key, in
// one transaction.
func (s *Store) CreateUser(ctx context.Context, user latch.UserRecord, key *latch.KeyRecord) error {
	attrs, err := latch.MarshalAttributes(user.Attributes)
	if err != nil {
		return wrap("create user", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO latch_user (id, attributes) VALUES (?, ?)", user.ID, string(attrs)); err != nil {
			return err
		}
		if key == nil {
			return nil
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO latch_key (id, user_id, hashed_password) VALUES (?, ?, ?)",
			key.ID, key.UserID, nullString(key.HashedPassword))
		return err
	})
	return wrap("create user", err)
}

// GetUser returns the user, or latch.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, userID string) (latch.UserRecord, error) {
	var attrs string
	if err := s.q.getUser.scan(ctx, []any{userID}, &attrs); err != nil {
		return latch.UserRecord{}, wrap("get user", err)
	}
	a, err := attrcodec.Decode(attrs)
	if err != nil {
		return latch.UserRecord{}, wrap("get user", err)
	}
	return latch.UserRecord{ID: userID, Attributes: a}, nil
}

// UpdateUserAttributes merges patch into the user's attributes in one write
// transaction.
func (s *Store) UpdateUserAttributes(ctx context.Context, userID string, patch latch.Attributes) error {
	return wrap("update user attributes", s.mergeAttributes(ctx, "latch_user", userID, patch))
}

// DeleteUser removes the user; its keys, sessions, tokens and attempt
// counters go with it (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	_, err := s.q.deleteUser.exec(ctx, userID)
	return wrap("delete user", err)
}

// mergeAttributes reads, merges and writes back the attributes of the row
// of table with that id, in one transaction. The merge is done in Go rather
// than with json_patch, which would drop keys set to null (the contract
// keeps them, with a nil value).
func (s *Store) mergeAttributes(ctx context.Context, table, id string, patch latch.Attributes) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var raw string
		// table is one of two constants, never input.
		if err := tx.QueryRowContext(ctx, "SELECT attributes FROM "+table+" WHERE id = ?", id).Scan(&raw); err != nil {
			return err
		}
		attrs, err := attrcodec.Decode(raw)
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
		_, err = tx.ExecContext(ctx, "UPDATE "+table+" SET attributes = ? WHERE id = ?", string(enc), id)
		return err
	})
}

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

func stringPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	return &ns.String
}
