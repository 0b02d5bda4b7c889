package postgres

import (
	"context"
	"strings"

	"github.com/latchauth/latch"
)

var _ latch.UserLister = (*Store)(nil)

const (
	// Pages in byte order ("C" collation) of the primary key.
	listUsers = "SELECT id, attributes FROM latch_user WHERE id > $1 ORDER BY id LIMIT $2"
	// From the prefix on; the caller stops at the first id past it, so no
	// LIKE pattern (and no escaping of % and _) is needed.
	listKeyUsers = `SELECT k.id, u.id, u.attributes FROM latch_key AS k JOIN latch_user AS u ON u.id = k.user_id
		WHERE k.id >= $1 AND k.id > $2 ORDER BY k.id LIMIT $3`
)

// ListUsers returns up to limit users in order of id after the id after.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]latch.UserRecord, error) {
	out := []latch.UserRecord{}
	if !storable(after) {
		return out, nil
	}
	rows, err := s.db(ctx).Query(ctx, listUsers, after, limit)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id    string
			attrs attributes
		)
		if err := rows.Scan(&id, &attrs); err != nil {
			return nil, wrap("list users", err)
		}
		out = append(out, latch.UserRecord{ID: id, Attributes: attrs.a})
	}
	return out, wrap("list users", rows.Err())
}

// ListKeyUsers returns up to limit keys starting with prefix, with their
// users, in order of key id after the key id after.
func (s *Store) ListKeyUsers(ctx context.Context, prefix, after string, limit int) ([]latch.KeyUser, error) {
	out := []latch.KeyUser{}
	if !storable(prefix) || !storable(after) {
		return out, nil
	}
	rows, err := s.db(ctx).Query(ctx, listKeyUsers, prefix, after, limit)
	if err != nil {
		return nil, wrap("list key users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			keyID, userID string
			attrs         attributes
		)
		if err := rows.Scan(&keyID, &userID, &attrs); err != nil {
			return nil, wrap("list key users", err)
		}
		if !strings.HasPrefix(keyID, prefix) {
			break
		}
		out = append(out, latch.KeyUser{KeyID: keyID, User: latch.UserRecord{ID: userID, Attributes: attrs.a}})
	}
	return out, wrap("list key users", rows.Err())
}
