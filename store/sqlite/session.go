package sqlite

import (
	"context"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/attrcodec"
)

// CreateSession stores a session: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	attrs, err := latch.MarshalAttributes(r.Attributes)
	if err != nil {
		return wrap("create session", err)
	}
	_, err = s.q.createSession.exec(ctx, r.ID, r.UserID, r.ActiveExpires, r.IdleExpires, string(attrs))
	return wrap("create session", err)
}

// GetSession returns the session, or latch.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, sessionID string) (latch.SessionRecord, error) {
	r := latch.SessionRecord{ID: sessionID}
	var attrs string
	if err := s.q.getSession.scan(ctx, []any{sessionID}, &r.UserID, &r.ActiveExpires, &r.IdleExpires, &attrs); err != nil {
		return latch.SessionRecord{}, wrap("get session", err)
	}
	var err error
	if r.Attributes, err = attrcodec.Decode(attrs); err != nil {
		return latch.SessionRecord{}, wrap("get session", err)
	}
	return r, nil
}

// GetSessionAndUser returns the session and its user with one query (a
// join), or latch.ErrNotFound.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionID string) (latch.SessionRecord, latch.UserRecord, error) {
	r := latch.SessionRecord{ID: sessionID}
	var sattrs, uattrs string
	err := s.q.getSessionAndUser.scan(ctx, []any{sessionID}, &r.UserID, &r.ActiveExpires, &r.IdleExpires, &sattrs, &uattrs)
	if err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap("get session and user", err)
	}
	u := latch.UserRecord{ID: r.UserID}
	if r.Attributes, err = attrcodec.Decode(sattrs); err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap("get session and user", err)
	}
	if u.Attributes, err = attrcodec.Decode(uattrs); err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap("get session and user", err)
	}
	return r, u, nil
}

// ListSessions returns all of the user's sessions, dead or alive.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	rows, err := s.q.listSessions.query(ctx, userID)
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	defer rows.Close()
	var out []latch.SessionRecord
	for rows.Next() {
		var (
			r     latch.SessionRecord
			attrs string
		)
		if err := rows.Scan(&r.ID, &r.UserID, &r.ActiveExpires, &r.IdleExpires, &attrs); err != nil {
			return nil, wrap("list sessions", err)
		}
		if r.Attributes, err = attrcodec.Decode(attrs); err != nil {
			return nil, wrap("list sessions", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list sessions", err)
	}
	return out, nil
}

// UpdateSessionExpiry sets both expiries; latch.ErrNotFound when the session
// does not exist.
func (s *Store) UpdateSessionExpiry(ctx context.Context, sessionID string, activeExpires, idleExpires int64) error {
	n, err := s.q.updateSessionExpiry.exec(ctx, activeExpires, idleExpires, sessionID)
	if err != nil {
		return wrap("update session expiry", err)
	}
	if n == 0 {
		return notFound("update session expiry")
	}
	return nil
}

// UpdateSessionAttributes merges patch into the session's attributes in one
// write transaction.
func (s *Store) UpdateSessionAttributes(ctx context.Context, sessionID string, patch latch.Attributes) error {
	return wrap("update session attributes", s.mergeAttributes(ctx, "latch_session", sessionID, patch))
}

// DeleteSession removes one session.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	_, err := s.q.deleteSession.exec(ctx, sessionID)
	return wrap("delete session", err)
}

// DeleteSessionsByUser removes all of the user's sessions.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID string) error {
	_, err := s.q.deleteUserSessions.exec(ctx, userID)
	return wrap("delete sessions by user", err)
}

// DeleteExpiredSessions removes the sessions whose idle expiry is at or
// before now, the user's or (userID "") everyone's, and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, userID string, now int64) (int64, error) {
	var (
		n   int64
		err error
	)
	if userID == "" {
		n, err = s.q.deleteExpiredSessions.exec(ctx, now)
	} else {
		n, err = s.q.deleteExpiredUserSessions.exec(ctx, userID, now)
	}
	if err != nil {
		return 0, wrap("delete expired sessions", err)
	}
	return n, nil
}
