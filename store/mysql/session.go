package mysql

import (
	"context"

	"github.com/latchauth/latch"
)

// CreateSession stores a session: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	const op = "create session"
	attrs, err := latch.MarshalAttributes(r.Attributes)
	if err != nil {
		return wrap(op, err)
	}
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.createSession, r.ID, r.UserID, r.ActiveExpires, r.IdleExpires, attrs)
	return wrap(op, err)
}

// GetSession returns the session, or latch.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, sessionID string) (latch.SessionRecord, error) {
	const op = "get session"
	q, err := s.stmts(ctx)
	if err != nil {
		return latch.SessionRecord{}, wrap(op, err)
	}
	r := latch.SessionRecord{ID: sessionID}
	var raw []byte
	if err := s.row(ctx, q.getSession, sessionID).Scan(&r.UserID, &r.ActiveExpires, &r.IdleExpires, &raw); err != nil {
		return latch.SessionRecord{}, wrap(op, err)
	}
	if r.Attributes, err = decodeAttributes(raw); err != nil {
		return latch.SessionRecord{}, wrap(op, err)
	}
	return r, nil
}

// GetSessionAndUser returns the session and its user with one query (a
// join), or latch.ErrNotFound.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionID string) (latch.SessionRecord, latch.UserRecord, error) {
	const op = "get session and user"
	q, err := s.stmts(ctx)
	if err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap(op, err)
	}
	r := latch.SessionRecord{ID: sessionID}
	var sraw, uraw []byte
	err = s.row(ctx, q.getSessionAndUser, sessionID).Scan(&r.UserID, &r.ActiveExpires, &r.IdleExpires, &sraw, &uraw)
	if err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap(op, err)
	}
	u := latch.UserRecord{ID: r.UserID}
	if r.Attributes, err = decodeAttributes(sraw); err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap(op, err)
	}
	if u.Attributes, err = decodeAttributes(uraw); err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap(op, err)
	}
	return r, u, nil
}

// ListSessions returns all of the user's sessions, dead or alive.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	const op = "list sessions"
	q, err := s.stmts(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.query(ctx, q.listSessions, userID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []latch.SessionRecord
	for rows.Next() {
		r := latch.SessionRecord{UserID: userID}
		var raw []byte
		if err := rows.Scan(&r.ID, &r.ActiveExpires, &r.IdleExpires, &raw); err != nil {
			return nil, wrap(op, err)
		}
		if r.Attributes, err = decodeAttributes(raw); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// UpdateSessionExpiry sets both expiries; latch.ErrNotFound when the
// session does not exist.
func (s *Store) UpdateSessionExpiry(ctx context.Context, sessionID string, activeExpires, idleExpires int64) error {
	const op = "update session expiry"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	n, err := s.exec(ctx, q.updateSessionExpiry, activeExpires, idleExpires, sessionID)
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		// Without clientFoundRows (a pool given to New), an update that
		// changes nothing reports no row: look.
		ok, err := s.exists(ctx, q.sessionExists, sessionID)
		if err != nil {
			return wrap(op, err)
		}
		if !ok {
			return notFound(op)
		}
	}
	return nil
}

// UpdateSessionAttributes merges patch into the session's attributes in
// one transaction that locks the session's row, like UpdateUserAttributes.
// latch.ErrNotFound when the session does not exist.
func (s *Store) UpdateSessionAttributes(ctx context.Context, sessionID string, patch latch.Attributes) error {
	const op = "update session attributes"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	return wrap(op, s.mergeAttributes(ctx, q.lockSession, q.setSessionAttributes, sessionID, patch))
}

// DeleteSession removes one session. It succeeds whatever the input.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	const op = "delete session"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteSession, sessionID)
	return wrap(op, err)
}

// DeleteSessionsByUser removes all of the user's sessions.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID string) error {
	const op = "delete sessions by user"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteUserSessions, userID)
	return wrap(op, err)
}

// DeleteExpiredSessions removes the sessions whose idle expiry is at or
// before now, the user's or (userID "") everyone's, and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, userID string, now int64) (int64, error) {
	const op = "delete expired sessions"
	q, err := s.stmts(ctx)
	if err != nil {
		return 0, wrap(op, err)
	}
	var n int64
	if userID == "" {
		n, err = s.exec(ctx, q.deleteExpiredSessions, now)
	} else {
		n, err = s.exec(ctx, q.deleteExpiredUserSessions, userID, now)
	}
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}
