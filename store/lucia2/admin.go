package lucia2

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// DisabledTable keeps which users are disabled (latch.DisabledAttribute):
// a Lucia user table gets no column for it. Migrate creates it; a row
// goes with its user (ON DELETE CASCADE), whoever deletes the user.
const DisabledTable = "latch_user_disabled"

var _ latch.UserLister = (*Store)(nil)

// disabledCol is the select expression of a user's disabled time (ms, or
// NULL), the user table being aliased alias.
func (s *Store) disabledCol(alias string) string {
	if s.noDisabled {
		return "NULL"
	}
	return "(SELECT d.disabled_at FROM " + DisabledTable + " AS d WHERE d.user_id = " + alias + ".id)"
}

// errNoDisabledTable is returned when a user is disabled or enabled on a
// database that Migrate has not brought up to date.
var errNoDisabledTable = errors.New("lucia2: the table " + DisabledTable + " does not exist: run Migrate (latchd migrate --schema lucia2) to disable users")

// withDisabled adds latch.DisabledAttribute to attrs when at is set.
func withDisabled(attrs latch.Attributes, at sql.NullInt64) latch.Attributes {
	if at.Valid {
		if attrs == nil {
			attrs = latch.Attributes{}
		}
		attrs[latch.DisabledAttribute] = time.UnixMilli(at.Int64).UTC()
	}
	return attrs
}

// byteOrder returns expr as compared and sorted byte for byte, whatever
// the column's collation: a Lucia table may have a case-insensitive
// (MySQL) or a locale (PostgreSQL) one, under which the pages' order and
// the prefix's range would not be the bytes'.
func (s *Store) byteOrder(expr string) string {
	switch s.d {
	case dPostgres:
		return expr + ` COLLATE "C"`
	case dMySQL:
		return "CAST(" + expr + " AS BINARY)"
	}
	return expr + " COLLATE BINARY"
}

// setDisabled writes the user's disabled flag: v nil clears it, a
// time.Time sets it. The user must exist (the caller checked).
func (s *Store) setDisabled(ctx context.Context, userID string, v any) error {
	if s.noDisabled {
		return errNoDisabledTable
	}
	if _, err := s.exec(ctx, s.q.enableUser, userID); err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	at, ok := v.(time.Time)
	if !ok {
		return attrError("attribute %q: want a time, not %T", latch.DisabledAttribute, v)
	}
	_, err := s.exec(ctx, s.q.disableUser, userID, at.UnixMilli())
	return err
}

// ListUsers returns up to limit users in order of id (byte order) after
// the id after.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]latch.UserRecord, error) {
	const op = "list users"
	if !s.storable([]any{after}) {
		return []latch.UserRecord{}, nil
	}
	rows, err := s.readRows(ctx, s.q.listUsers, after, limit)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	out := []latch.UserRecord{}
	for rows.Next() {
		var (
			id  string
			dis sql.NullInt64
		)
		dest, vals := scanTargets(len(s.users.attrs))
		if err := rows.Scan(append(append([]any{&id}, dest...), &dis)...); err != nil {
			return nil, s.wrap(op, err)
		}
		attrs, err := decode(s.users, vals)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, latch.UserRecord{ID: id, Attributes: withDisabled(attrs, dis)})
	}
	return out, s.wrap(op, rows.Err())
}

// ListKeyUsers returns up to limit keys starting with prefix, with their
// users, in order of key id (byte order) after the key id after.
func (s *Store) ListKeyUsers(ctx context.Context, prefix, after string, limit int) ([]latch.KeyUser, error) {
	const op = "list key users"
	if !s.storable([]any{prefix, after}) {
		return []latch.KeyUser{}, nil
	}
	rows, err := s.readRows(ctx, s.q.listKeyUsers, prefix, after, limit)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	out := []latch.KeyUser{}
	for rows.Next() {
		var (
			keyID, userID string
			dis           sql.NullInt64
		)
		dest, vals := scanTargets(len(s.users.attrs))
		if err := rows.Scan(append(append([]any{&keyID, &userID}, dest...), &dis)...); err != nil {
			return nil, s.wrap(op, err)
		}
		if !strings.HasPrefix(keyID, prefix) {
			break
		}
		attrs, err := decode(s.users, vals)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, latch.KeyUser{KeyID: keyID, User: latch.UserRecord{ID: userID, Attributes: withDisabled(attrs, dis)}})
	}
	return out, s.wrap(op, rows.Err())
}
