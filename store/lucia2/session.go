package lucia2

import (
	"context"
	"database/sql"

	"github.com/latchauth/latch"
)

// CreateSession stores a session: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist,
// latch.ErrInvalidAttributes for an attribute without a column.
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	const op = "create session"
	cols, vals, err := s.encode(s.sessions, r.Attributes)
	if err != nil {
		return s.wrap(op, err)
	}
	insert := s.insertSQL(s.sessions, []string{"id", "user_id", "active_expires", "idle_expires"}, cols)
	_, err = s.exec(ctx, insert, args([]any{r.ID, r.UserID, r.ActiveExpires, r.IdleExpires}, vals)...)
	return s.wrap(op, err)
}

// GetSession returns the session, or latch.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, sessionID string) (latch.SessionRecord, error) {
	r, err := scanSession(s.sessions, s.readRow(ctx, s.q.getSession, s.idArgs(sessionID)...), nil)
	if err == nil && r.ID != sessionID {
		err = sql.ErrNoRows
	}
	if err != nil {
		return latch.SessionRecord{}, s.wrap("get session", err)
	}
	return r, nil
}

// GetSessionAndUser returns the session and its user with one query (a
// join), or latch.ErrNotFound.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionID string) (latch.SessionRecord, latch.UserRecord, error) {
	var (
		u   latch.UserRecord
		dis sql.NullInt64
	)
	more, uval := scanTargets(len(s.users.attrs))
	more = append(append([]any{&u.ID}, more...), &dis)
	r, err := scanSession(s.sessions, s.readRow(ctx, s.q.getSessionAndUser, s.idArgs(sessionID)...), more)
	if err == nil && r.ID != sessionID {
		err = sql.ErrNoRows
	}
	if err == nil {
		u.Attributes, err = decode(s.users, uval)
		u.Attributes = withDisabled(u.Attributes, dis)
	}
	if err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, s.wrap("get session and user", err)
	}
	return r, u, nil
}

// scanSession reads a session's columns, then more.
func scanSession(t *table, row rowScanner, more []any) (latch.SessionRecord, error) {
	var r latch.SessionRecord
	dest, vals := scanTargets(len(t.attrs))
	all := append(append([]any{&r.ID, &r.UserID, &r.ActiveExpires, &r.IdleExpires}, dest...), more...)
	if err := row.Scan(all...); err != nil {
		return latch.SessionRecord{}, err
	}
	var err error
	if r.Attributes, err = decode(t, vals); err != nil {
		return latch.SessionRecord{}, err
	}
	return r, nil
}

// ListSessions returns all of the user's sessions, dead or alive.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	const op = "list sessions"
	ids := s.idArgs(userID)
	if !s.storable(ids) {
		return nil, nil
	}
	rows, err := s.readRows(ctx, s.q.listSessions, ids...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []latch.SessionRecord
	for rows.Next() {
		r, err := scanSession(s.sessions, rows, nil)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// UpdateSessionExpiry sets both expiries; latch.ErrNotFound when the session
// does not exist.
func (s *Store) UpdateSessionExpiry(ctx context.Context, sessionID string, activeExpires, idleExpires int64) error {
	const op = "update session expiry"
	ids := s.idArgs(sessionID)
	if !s.storable(ids) {
		return notFound(op)
	}
	n, err := s.exec(ctx, s.q.updateSessionExpiry, args([]any{activeExpires, idleExpires}, ids)...)
	if err != nil {
		return s.wrap(op, err)
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// UpdateSessionAttributes writes the patch's attributes into their columns
// (nil stores NULL) in one transaction, like UpdateUserAttributes.
func (s *Store) UpdateSessionAttributes(ctx context.Context, sessionID string, patch latch.Attributes) error {
	return s.updateAttributes(ctx, "update session attributes", s.sessions, sessionID, patch, s.q.getSession, 4)
}

// DeleteSession removes one session. It succeeds whatever the input.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	return s.deleteBy(ctx, "delete session", s.q.deleteSession, sessionID)
}

// DeleteSessionsByUser removes all of the user's sessions.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID string) error {
	return s.deleteBy(ctx, "delete sessions by user", s.q.deleteSessionsByUser, userID)
}

// DeleteExpiredSessions removes the sessions whose idle expiry is at or
// before now, the user's or (userID "") everyone's, and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, userID string, now int64) (int64, error) {
	const op = "delete expired sessions"
	var (
		n   int64
		err error
	)
	if userID == "" {
		n, err = s.exec(ctx, s.q.deleteExpiredSessions, now)
	} else {
		ids := s.idArgs(userID)
		if !s.storable(ids) {
			return 0, nil
		}
		n, err = s.exec(ctx, s.q.deleteExpiredUserSessions, args(ids, []any{now})...)
	}
	if err != nil {
		return 0, s.wrap(op, err)
	}
	return n, nil
}
