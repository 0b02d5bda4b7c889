package postgres

import (
	"context"

	"github.com/latchauth/latch"
)

// CreateKey stores a key: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateKey(ctx context.Context, key latch.KeyRecord) error {
	if !storable(key.UserID) {
		return notFound("create key")
	}
	return wrap("create key", s.insert(ctx, insertKey, key.ID, key.UserID, key.HashedPassword))
}

// GetKey returns the key, or latch.ErrNotFound.
func (s *Store) GetKey(ctx context.Context, keyID string) (latch.KeyRecord, error) {
	if !storable(keyID) {
		return latch.KeyRecord{}, notFound("get key")
	}
	k := latch.KeyRecord{ID: keyID}
	if err := s.db(ctx).QueryRow(ctx, getKey, keyID).Scan(&k.UserID, &k.HashedPassword); err != nil {
		return latch.KeyRecord{}, wrap("get key", err)
	}
	return k, nil
}

// ListKeys returns the user's keys.
func (s *Store) ListKeys(ctx context.Context, userID string) ([]latch.KeyRecord, error) {
	if !storable(userID) {
		return nil, nil
	}
	rows, err := s.db(ctx).Query(ctx, listKeys, userID)
	if err != nil {
		return nil, wrap("list keys", err)
	}
	defer rows.Close()
	var keys []latch.KeyRecord
	for rows.Next() {
		k := latch.KeyRecord{UserID: userID}
		if err := rows.Scan(&k.ID, &k.HashedPassword); err != nil {
			return nil, wrap("list keys", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list keys", err)
	}
	return keys, nil
}

// UpdateKeyPassword sets or (with nil) clears the key's password hash;
// latch.ErrNotFound when the key does not exist.
func (s *Store) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) error {
	if !storable(keyID) {
		return notFound("update key password")
	}
	tag, err := s.db(ctx).Exec(ctx, updateKeyPassword, keyID, hashedPassword)
	if err != nil {
		return wrap("update key password", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("update key password")
	}
	return nil
}

// DeleteKey removes one key.
func (s *Store) DeleteKey(ctx context.Context, keyID string) error {
	if !storable(keyID) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, deleteKey, keyID)
	return wrap("delete key", err)
}

// DeleteKeysByUser removes all of the user's keys.
func (s *Store) DeleteKeysByUser(ctx context.Context, userID string) error {
	if !storable(userID) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, deleteUserKeys, userID)
	return wrap("delete keys by user", err)
}
