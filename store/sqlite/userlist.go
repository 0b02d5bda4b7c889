package sqlite

import (
	"context"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/attrcodec"
)

var _ latch.UserLister = (*Store)(nil)

// ListUsers returns up to limit users in order of id after the id after.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]latch.UserRecord, error) {
	rows, err := s.q.listUsers.query(ctx, after, limit)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	out := []latch.UserRecord{}
	for rows.Next() {
		var id, raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, wrap("list users", err)
		}
		attrs, err := attrcodec.Decode(raw)
		if err != nil {
			return nil, wrap("list users", err)
		}
		out = append(out, latch.UserRecord{ID: id, Attributes: attrs})
	}
	return out, wrap("list users", rows.Err())
}

// ListKeyUsers returns up to limit keys starting with prefix, with their
// users, in order of key id after the key id after. It reads the primary
// key's range from prefix on and stops at the first id past the prefix,
// so no LIKE (case-insensitive in SQLite) is needed.
func (s *Store) ListKeyUsers(ctx context.Context, prefix, after string, limit int) ([]latch.KeyUser, error) {
	rows, err := s.q.listKeyUsers.query(ctx, prefix, after, limit)
	if err != nil {
		return nil, wrap("list key users", err)
	}
	defer rows.Close()
	out := []latch.KeyUser{}
	for rows.Next() {
		var keyID, userID, raw string
		if err := rows.Scan(&keyID, &userID, &raw); err != nil {
			return nil, wrap("list key users", err)
		}
		if !strings.HasPrefix(keyID, prefix) {
			break
		}
		attrs, err := attrcodec.Decode(raw)
		if err != nil {
			return nil, wrap("list key users", err)
		}
		out = append(out, latch.KeyUser{KeyID: keyID, User: latch.UserRecord{ID: userID, Attributes: attrs}})
	}
	return out, wrap("list key users", rows.Err())
}
