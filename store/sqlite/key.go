package sqlite

import (
	"context"
	"database/sql"

	"github.com/latchauth/latch"
)

// CreateKey stores a key: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateKey(ctx context.Context, key latch.KeyRecord) error {
	_, err := s.q.createKey.exec(ctx, key.ID, key.UserID, nullString(key.HashedPassword))
	return wrap("create key", err)
}

// GetKey returns the key, or latch.ErrNotFound.
func (s *Store) GetKey(ctx context.Context, keyID string) (latch.KeyRecord, error) {
	var (
		userID string
		hash   sql.NullString
	)
	if err := s.q.getKey.scan(ctx, []any{keyID}, &userID, &hash); err != nil {
		return latch.KeyRecord{}, wrap("get key", err)
	}
	return latch.KeyRecord{ID: keyID, UserID: userID, HashedPassword: stringPtr(hash)}, nil
}

// ListKeys returns the user's keys.
func (s *Store) ListKeys(ctx context.Context, userID string) ([]latch.KeyRecord, error) {
	rows, err := s.q.listKeys.query(ctx, userID)
	if err != nil {
		return nil, wrap("list keys", err)
	}
	defer rows.Close()
	var keys []latch.KeyRecord
	for rows.Next() {
		var (
			id   string
			hash sql.NullString
		)
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, wrap("list keys", err)
		}
		keys = append(keys, latch.KeyRecord{ID: id, UserID: userID, HashedPassword: stringPtr(hash)})
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list keys", err)
	}
	return keys, nil
}

// UpdateKeyPassword sets or clears the key's password hash;
// latch.ErrNotFound when the key does not exist.
func (s *Store) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) error {
	n, err := s.q.updateKeyPassword.exec(ctx, nullString(hashedPassword), keyID)
	if err != nil {
		return wrap("update key password", err)
	}
	if n == 0 {
		return notFound("update key password")
	}
	return nil
}

// DeleteKey removes one key.
func (s *Store) DeleteKey(ctx context.Context, keyID string) error {
	_, err := s.q.deleteKey.exec(ctx, keyID)
	return wrap("delete key", err)
}

// DeleteKeysByUser removes all of the user's keys.
func (s *Store) DeleteKeysByUser(ctx context.Context, userID string) error {
	_, err := s.q.deleteKeysByUser.exec(ctx, userID)
	return wrap("delete keys by user", err)
}
