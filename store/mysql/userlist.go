package mysql

import (
	"bytes"
	"context"

	"github.com/latchauth/latch"
)

var _ latch.UserLister = (*Store)(nil)

// ListUsers returns up to limit users in order of id after the id after.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]latch.UserRecord, error) {
	const op = "list users"
	q, err := s.stmts(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.query(ctx, q.listUsers, after, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []latch.UserRecord{}
	for rows.Next() {
		var id, raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, wrap(op, err)
		}
		attrs, err := decodeAttributes(raw)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, latch.UserRecord{ID: string(id), Attributes: attrs})
	}
	return out, wrap(op, rows.Err())
}

// ListKeyUsers returns up to limit keys starting with prefix, with their
// users, in order of key id after the key id after.
func (s *Store) ListKeyUsers(ctx context.Context, prefix, after string, limit int) ([]latch.KeyUser, error) {
	const op = "list key users"
	q, err := s.stmts(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.query(ctx, q.listKeyUsers, prefix, after, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []latch.KeyUser{}
	for rows.Next() {
		var keyID, userID, raw []byte
		if err := rows.Scan(&keyID, &userID, &raw); err != nil {
			return nil, wrap(op, err)
		}
		if !bytes.HasPrefix(keyID, []byte(prefix)) {
			break
		}
		attrs, err := decodeAttributes(raw)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, latch.KeyUser{KeyID: string(keyID), User: latch.UserRecord{ID: string(userID), Attributes: attrs}})
	}
	return out, wrap(op, rows.Err())
}
