package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/latchauth/latch"
)

// CreateUser stores the user and, when key is not nil, its first key, both
// in one round trip as one (implicit) transaction: latch.ErrDuplicate when
// either id is taken, and then neither is stored.
func (s *Store) CreateUser(ctx context.Context, user latch.UserRecord, key *latch.KeyRecord) error {
	attrs, err := latch.MarshalAttributes(user.Attributes)
	if err != nil {
		return wrap("create user", err)
	}
	if key == nil {
		return wrap("create user", s.insert(ctx, insertUser, user.ID, attrs))
	}
	b := &pgx.Batch{}
	b.Queue(insertUser, user.ID, attrs)
	b.Queue(insertKey, key.ID, key.UserID, key.HashedPassword)
	return wrap("create user", s.batch(ctx, b, nil))
}

// GetUser returns the user, or latch.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, userID string) (latch.UserRecord, error) {
	if !storable(userID) {
		return latch.UserRecord{}, notFound("get user")
	}
	var attrs attributes
	if err := s.db(ctx).QueryRow(ctx, getUser, userID).Scan(&attrs); err != nil {
		return latch.UserRecord{}, wrap("get user", err)
	}
	return latch.UserRecord{ID: userID, Attributes: attrs.a}, nil
}

// UpdateUserAttributes merges patch into the user's attributes: it reads
// them with SELECT … FOR UPDATE, merges in Go and writes them back, in one
// transaction, so concurrent merges never lose each other's keys. Merged
// attributes that latch.MarshalAttributes refuses (over
// latch.MaxAttributesSize, say) are latch.ErrInvalidAttributes, and nothing
// is written; a missing user is latch.ErrNotFound.
func (s *Store) UpdateUserAttributes(ctx context.Context, userID string, patch latch.Attributes) error {
	return wrap("update user attributes", s.mergeAttributes(ctx, lockUserAttributes, updateUserAttributes, userID, patch))
}

// DeleteUser removes the user; its keys, sessions, tokens and attempt
// counters go with it (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	if !storable(userID) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, deleteUser, userID)
	return wrap("delete user", err)
}

// mergeAttributes reads the attributes of the row id with lock (a SELECT …
// FOR UPDATE), merges patch into them and writes them back with update, in
// a transaction: the ctx's one of InTx, or its own. The merge is done in Go
// rather than with jsonb's ||, which would reorder keys and rewrite numbers
// (2.0 and 1e-300 must come back as written).
func (s *Store) mergeAttributes(ctx context.Context, lock, update, id string, patch latch.Attributes) error {
	if !storable(id) {
		return latch.ErrNotFound
	}
	if tx := s.txFrom(ctx); tx != nil {
		return merge(ctx, tx, lock, update, id, patch)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) // after Commit, a no-op
	if err := merge(ctx, tx, lock, update, id, patch); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// merge is mergeAttributes' work, on tx.
func merge(ctx context.Context, tx pgx.Tx, lock, update, id string, patch latch.Attributes) error {
	var cur attributes
	if err := tx.QueryRow(ctx, lock, id).Scan(&cur); err != nil {
		return err
	}
	for k, v := range patch {
		cur.a[k] = v
	}
	enc, err := latch.MarshalAttributes(cur.a)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, update, id, enc)
	return err
}
