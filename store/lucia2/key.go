package lucia2

import (
	"context"
	"database/sql"

	"github.com/latchauth/latch"
)

// CreateKey stores a key: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateKey(ctx context.Context, key latch.KeyRecord) error {
	_, err := s.exec(ctx, s.q.createKey, key.ID, key.UserID, nullString(key.HashedPassword))
	return s.wrap("create key", err)
}

// GetKey returns the key, or latch.ErrNotFound.
func (s *Store) GetKey(ctx context.Context, keyID string) (latch.KeyRecord, error) {
	var (
		k    latch.KeyRecord
		hash sql.NullString
	)
	err := s.readRow(ctx, s.q.getKey, s.idArgs(keyID)...).Scan(&k.ID, &k.UserID, &hash)
	if err == nil && k.ID != keyID {
		err = sql.ErrNoRows
	}
	if err != nil {
		return latch.KeyRecord{}, s.wrap("get key", err)
	}
	k.HashedPassword = stringPtr(hash)
	return k, nil
}

// ListKeys returns the user's keys.
func (s *Store) ListKeys(ctx context.Context, userID string) ([]latch.KeyRecord, error) {
	const op = "list keys"
	ids := s.idArgs(userID)
	if !s.storable(ids) {
		return nil, nil
	}
	rows, err := s.readRows(ctx, s.q.listKeys, ids...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []latch.KeyRecord
	for rows.Next() {
		var (
			k    latch.KeyRecord
			hash sql.NullString
		)
		if err := rows.Scan(&k.ID, &k.UserID, &hash); err != nil {
			return nil, s.wrap(op, err)
		}
		k.HashedPassword = stringPtr(hash)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// UpdateKeyPassword sets or clears the key's password hash;
// latch.ErrNotFound when the key does not exist.
func (s *Store) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) error {
	const op = "update key password"
	ids := s.idArgs(keyID)
	if !s.storable(ids) {
		return notFound(op)
	}
	n, err := s.exec(ctx, s.q.updateKeyPassword, args([]any{nullString(hashedPassword)}, ids)...)
	if err != nil {
		return s.wrap(op, err)
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// DeleteKey removes one key. It succeeds whatever the input.
func (s *Store) DeleteKey(ctx context.Context, keyID string) error {
	return s.deleteBy(ctx, "delete key", s.q.deleteKey, keyID)
}

// DeleteKeysByUser removes all of the user's keys.
func (s *Store) DeleteKeysByUser(ctx context.Context, userID string) error {
	return s.deleteBy(ctx, "delete keys by user", s.q.deleteKeysByUser, userID)
}

// deleteBy runs a DELETE whose one predicate is an eq on id.
func (s *Store) deleteBy(ctx context.Context, op, query, id string) error {
	ids := s.idArgs(id)
	if !s.storable(ids) {
		return nil
	}
	_, err := s.exec(ctx, query, ids...)
	return s.wrap(op, err)
}
