package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latchauth/latch"
)

// CreateSession stores a session: latch.ErrDuplicate when the id is taken,
// latch.ErrNotFound when the user does not exist.
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	if !storable(r.UserID) {
		return notFound("create session")
	}
	attrs, err := latch.MarshalAttributes(r.Attributes)
	if err != nil {
		return wrap("create session", err)
	}
	return wrap("create session", s.insert(ctx, insertSession, r.ID, r.UserID, r.ActiveExpires, r.IdleExpires, attrs))
}

// GetSession returns the session, or latch.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, sessionID string) (latch.SessionRecord, error) {
	if !storable(sessionID) {
		return latch.SessionRecord{}, notFound("get session")
	}
	r := latch.SessionRecord{ID: sessionID}
	var attrs attributes
	if err := s.db(ctx).QueryRow(ctx, getSession, sessionID).Scan(&r.UserID, &r.ActiveExpires, &r.IdleExpires, &attrs); err != nil {
		return latch.SessionRecord{}, wrap("get session", err)
	}
	r.Attributes = attrs.a
	return r, nil
}

// GetSessionAndUser returns the session and its user with one query (a
// join), or latch.ErrNotFound.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionID string) (latch.SessionRecord, latch.UserRecord, error) {
	if !storable(sessionID) {
		return latch.SessionRecord{}, latch.UserRecord{}, notFound("get session and user")
	}
	r := latch.SessionRecord{ID: sessionID}
	var sattrs, uattrs attributes
	err := s.db(ctx).QueryRow(ctx, getSessionAndUser, sessionID).Scan(&r.UserID, &r.ActiveExpires, &r.IdleExpires, &sattrs, &uattrs)
	if err != nil {
		return latch.SessionRecord{}, latch.UserRecord{}, wrap("get session and user", err)
	}
	r.Attributes = sattrs.a
	return r, latch.UserRecord{ID: r.UserID, Attributes: uattrs.a}, nil
}

// ListSessions returns all of the user's sessions, dead or alive.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	if !storable(userID) {
		return nil, nil
	}
	rows, err := s.db(ctx).Query(ctx, listSessions, userID)
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	defer rows.Close()
	var out []latch.SessionRecord
	for rows.Next() {
		var (
			r     latch.SessionRecord
			attrs attributes
		)
		if err := rows.Scan(&r.ID, &r.UserID, &r.ActiveExpires, &r.IdleExpires, &attrs); err != nil {
			return nil, wrap("list sessions", err)
		}
		r.Attributes = attrs.a
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list sessions", err)
	}
	return out, nil
}

// UpdateSessionExpiry sets both expiries; latch.ErrNotFound when the
// session does not exist.
func (s *Store) UpdateSessionExpiry(ctx context.Context, sessionID string, activeExpires, idleExpires int64) error {
	if !storable(sessionID) {
		return notFound("update session expiry")
	}
	tag, err := s.db(ctx).Exec(ctx, updateSessionExpiry, sessionID, activeExpires, idleExpires)
	if err != nil {
		return wrap("update session expiry", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("update session expiry")
	}
	return nil
}

// UpdateSessionAttributes merges patch into the session's attributes in
// one transaction, like UpdateUserAttributes: latch.ErrInvalidAttributes
// when the merged attributes are refused, latch.ErrNotFound when the
// session does not exist.
func (s *Store) UpdateSessionAttributes(ctx context.Context, sessionID string, patch latch.Attributes) error {
	return wrap("update session attributes", s.mergeAttributes(ctx, lockSessionAttributes, updateSessionAttributes, sessionID, patch))
}

// DeleteSession removes one session.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	if !storable(sessionID) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, deleteSession, sessionID)
	return wrap("delete session", err)
}

// DeleteSessionsByUser removes all of the user's sessions.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID string) error {
	if !storable(userID) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, deleteUserSessions, userID)
	return wrap("delete sessions by user", err)
}

// DeleteExpiredSessions removes the sessions whose idle expiry is at or
// before now, the user's or (userID "") everyone's, and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, userID string, now int64) (int64, error) {
	if !storable(userID) {
		return 0, nil
	}
	var (
		tag pgconn.CommandTag
		err error
	)
	if userID == "" {
		tag, err = s.db(ctx).Exec(ctx, deleteExpiredSessions, now)
	} else {
		tag, err = s.db(ctx).Exec(ctx, deleteExpiredUserSessions, userID, now)
	}
	if err != nil {
		return 0, wrap("delete expired sessions", err)
	}
	return tag.RowsAffected(), nil
}
