package postgres

import (
	"context"

	"github.com/latchauth/latch"
)

var _ latch.ActivityStore = (*Store)(nil)

const (
	addActivity = `INSERT INTO latch_activity (user_id, id, type, at, ip, user_agent, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	listActivity = `SELECT id, type, at, ip, user_agent, detail FROM latch_activity
		WHERE user_id = $1 AND ($2::bigint = 0 OR at < $2 OR (at = $2 AND id < $3))
		ORDER BY at DESC, id DESC LIMIT $4`
	deleteActivity       = "DELETE FROM latch_activity WHERE user_id = $1"
	deleteActivityBefore = "DELETE FROM latch_activity WHERE at < $1"
)

// AddActivity appends an event. ErrDuplicate when (UserID, ID) is taken,
// ErrNotFound when the user does not exist.
func (s *Store) AddActivity(ctx context.Context, e latch.ActivityEvent) error {
	if !storable(e.UserID) || !storable(e.ID) {
		return notFound("add activity")
	}
	_, err := s.db(ctx).Exec(ctx, addActivity, e.UserID, e.ID, e.Type, e.At, e.IP, e.UserAgent, e.Detail)
	return wrap("add activity", err)
}

// ListActivity returns up to limit events of the user, newest first, older
// than (beforeAt, beforeID) when beforeAt is not 0.
func (s *Store) ListActivity(ctx context.Context, userID string, beforeAt int64, beforeID string, limit int) ([]latch.ActivityEvent, error) {
	out := []latch.ActivityEvent{}
	if !storable(userID) || !storable(beforeID) {
		return out, nil
	}
	rows, err := s.db(ctx).Query(ctx, listActivity, userID, beforeAt, beforeID, limit)
	if err != nil {
		return nil, wrap("list activity", err)
	}
	defer rows.Close()
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
	if !storable(userID) {
		return nil
	}
	_, err := s.db(ctx).Exec(ctx, deleteActivity, userID)
	return wrap("delete activity", err)
}

// DeleteActivityBefore removes the events older than before.
func (s *Store) DeleteActivityBefore(ctx context.Context, before int64) (int64, error) {
	tag, err := s.db(ctx).Exec(ctx, deleteActivityBefore, before)
	if err != nil {
		return 0, wrap("delete activity", err)
	}
	return tag.RowsAffected(), nil
}
