package sqlite

import (
	"context"

	"github.com/latchauth/latch"
)

var _ latch.ActivityStore = (*Store)(nil)

// AddActivity appends an event. ErrDuplicate when (UserID, ID) is taken,
// ErrNotFound when the user does not exist.
func (s *Store) AddActivity(ctx context.Context, e latch.ActivityEvent) error {
	_, err := s.q.addActivity.exec(ctx, e.UserID, e.ID, e.Type, e.At, e.IP, e.UserAgent, e.Detail)
	return wrap("add activity", err)
}

// ListActivity returns up to limit events of the user, newest first, older
// than (beforeAt, beforeID) when beforeAt is not 0.
func (s *Store) ListActivity(ctx context.Context, userID string, beforeAt int64, beforeID string, limit int) ([]latch.ActivityEvent, error) {
	rows, err := s.q.listActivity.query(ctx, userID, beforeAt, beforeID, limit)
	if err != nil {
		return nil, wrap("list activity", err)
	}
	defer rows.Close()
	out := []latch.ActivityEvent{}
	for rows.Next() {
		e := latch.ActivityEvent{UserID: userID}
		if err := rows.Scan(&e.ID, &e.Type, &e.At, &e.IP, &e.UserAgent, &e.Detail); err != nil {
			return nil, wrap("list activity", err)
		}
		out = append(out, e)
	}
	return out, wrap("list activity", rows.Err())
}

// DeleteActivity removes the user's events.
func (s *Store) DeleteActivity(ctx context.Context, userID string) error {
	_, err := s.q.deleteActivity.exec(ctx, userID)
	return wrap("delete activity", err)
}

// DeleteActivityBefore removes the events older than before.
func (s *Store) DeleteActivityBefore(ctx context.Context, before int64) (int64, error) {
	n, err := s.q.deleteActivityBefore.exec(ctx, before)
	return n, wrap("delete activity", err)
}
