package mysql

import (
	"context"
	"database/sql"

	"github.com/latchauth/latch"
)

// CreateKey stores a key: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateKey(ctx context.Context, key latch.KeyRecord) error {
	const op = "create key"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.createKey, key.ID, key.UserID, nullString(key.HashedPassword))
	return wrap(op, err)
}

// GetKey returns the key, or latch.ErrNotFound.
func (s *Store) GetKey(ctx context.Context, keyID string) (latch.KeyRecord, error) {
	const op = "get key"
	q, err := s.stmts(ctx)
	if err != nil {
		return latch.KeyRecord{}, wrap(op, err)
	}
	var (
		userID string
		hash   sql.NullString
	)
	if err := s.row(ctx, q.getKey, keyID).Scan(&userID, &hash); err != nil {
		return latch.KeyRecord{}, wrap(op, err)
	}
	return latch.KeyRecord{ID: keyID, UserID: userID, HashedPassword: stringPtr(hash)}, nil
}

// ListKeys returns the user's keys.
func (s *Store) ListKeys(ctx context.Context, userID string) ([]latch.KeyRecord, error) {
	const op = "list keys"
	q, err := s.stmts(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.query(ctx, q.listKeys, userID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var keys []latch.KeyRecord
	for rows.Next() {
		var (
			id   string
			hash sql.NullString
		)
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, wrap(op, err)
		}
		keys = append(keys, latch.KeyRecord{ID: id, UserID: userID, HashedPassword: stringPtr(hash)})
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return keys, nil
}

// UpdateKeyPassword sets or clears the key's password hash;
// latch.ErrNotFound when the key does not exist.
func (s *Store) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) error {
	const op = "update key password"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	n, err := s.exec(ctx, q.updateKeyPassword, nullString(hashedPassword), keyID)
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		// Without clientFoundRows (a pool given to New), an update that
		// changes nothing reports no row: look.
		ok, err := s.exists(ctx, q.keyExists, keyID)
		if err != nil {
			return wrap(op, err)
		}
		if !ok {
			return notFound(op)
		}
	}
	return nil
}

// DeleteKey removes one key. It succeeds whatever the input.
func (s *Store) DeleteKey(ctx context.Context, keyID string) error {
	const op = "delete key"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteKey, keyID)
	return wrap(op, err)
}

// DeleteKeysByUser removes all of the user's keys.
func (s *Store) DeleteKeysByUser(ctx context.Context, userID string) error {
	const op = "delete keys by user"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteUserKeys, userID)
	return wrap(op, err)
}
