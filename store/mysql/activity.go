package mysql

import (
	"context"

	"github.com/latchauth/latch"
)

var _ latch.ActivityStore = (*Store)(nil)

// AddActivity appends an event. ErrDuplicate when (UserID, ID) is taken,
// ErrNotFound when the user does not exist.
func (s *Store) AddActivity(ctx context.Context, e latch.ActivityEvent) error {
	const op = "add activity"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.addActivity, e.UserID, e.ID, e.Type, e.At, e.IP, e.UserAgent, e.Detail)
	return wrap(op, err)
}

// ListActivity returns up to limit events of the user, newest first, older
// than (beforeAt, beforeID) when beforeAt is not 0.
func (s *Store) ListActivity(ctx context.Context, userID string, beforeAt int64, beforeID string, limit int) ([]latch.ActivityEvent, error) {
	const op = "list activity"
	q, err := s.stmts(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.query(ctx, q.listActivity, userID, beforeAt, beforeAt, beforeAt, beforeID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []latch.ActivityEvent{}
	for rows.Next() {
		e := latch.ActivityEvent{UserID: userID}
		if err := rows.Scan(&e.ID, &e.Type, &e.At, &e.IP, &e.UserAgent, &e.Detail); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, e)
	}
	return out, wrap(op, rows.Err())
}

// DeleteActivity removes the user's events.
func (s *Store) DeleteActivity(ctx context.Context, userID string) error {
	const op = "delete activity"
	q, err := s.stmts(ctx)
	if err != nil {
		return wrap(op, err)
	}
	_, err = s.exec(ctx, q.deleteActivity, userID)
	return wrap(op, err)
}

// DeleteActivityBefore removes the events older than before.
func (s *Store) DeleteActivityBefore(ctx context.Context, before int64) (int64, error) {
	const op = "delete activity"
	q, err := s.stmts(ctx)
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := s.exec(ctx, q.deleteActivityBefore, before)
	return n, wrap(op, err)
}
