package lucia2

import (
	"context"

	"github.com/latchauth/latch"
)

// ActivityTable is Latch's table of the security activity record, which
// Migrate creates beside Lucia's tables (one row per event, removed with
// its user by ON DELETE CASCADE).
const ActivityTable = "latch_activity"

var _ latch.ActivityStore = (*Store)(nil)

// activityQueries are the statements of the activity record, bound for the
// store's dialect.
type activityQueries struct{ add, list, deleteUser, deleteBefore string }

func (s *Store) activityQueries() activityQueries {
	auser := s.eq(s.users, "id", "user_id") // user_id has the user id's type
	return activityQueries{
		add: s.bind("INSERT INTO " + ActivityTable + " (user_id, id, type, at, ip, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?, ?)"),
		list: s.bind("SELECT id, type, at, ip, user_agent, detail FROM " + ActivityTable + " WHERE " + auser +
			" AND (? = 0 OR at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC LIMIT ?"),
		deleteUser:   s.bind("DELETE FROM " + ActivityTable + " WHERE " + auser),
		deleteBefore: s.bind("DELETE FROM " + ActivityTable + " WHERE at < ?"),
	}
}

// AddActivity appends an event: latch.ErrDuplicate when (UserID, ID) is
// taken, latch.ErrNotFound when the user does not exist.
func (s *Store) AddActivity(ctx context.Context, e latch.ActivityEvent) error {
	const op = "add activity"
	if !s.storable([]any{e.UserID, e.ID}) {
		return notFound(op)
	}
	_, err := s.exec(ctx, s.activityQueries().add, e.UserID, e.ID, e.Type, e.At, e.IP, e.UserAgent, e.Detail)
	return s.wrap(op, err)
}

// ListActivity returns up to limit events of the user, newest first, older
// than (beforeAt, beforeID) when beforeAt is not 0.
func (s *Store) ListActivity(ctx context.Context, userID string, beforeAt int64, beforeID string, limit int) ([]latch.ActivityEvent, error) {
	const op = "list activity"
	out := []latch.ActivityEvent{}
	a := args(s.idArgs(userID), []any{beforeAt, beforeAt, beforeAt, beforeID, limit})
	if !s.storable(a) {
		return out, nil
	}
	rows, err := s.readRows(ctx, s.activityQueries().list, a...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		e := latch.ActivityEvent{UserID: userID}
		if err := rows.Scan(&e.ID, &e.Type, &e.At, &e.IP, &e.UserAgent, &e.Detail); err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// DeleteActivity removes the user's events; it succeeds whatever the input.
func (s *Store) DeleteActivity(ctx context.Context, userID string) error {
	a := s.idArgs(userID)
	if !s.storable(a) {
		return nil
	}
	_, err := s.exec(ctx, s.activityQueries().deleteUser, a...)
	return s.wrap("delete activity", err)
}

// DeleteActivityBefore removes the events older than before and returns
// how many it removed.
func (s *Store) DeleteActivityBefore(ctx context.Context, before int64) (int64, error) {
	n, err := s.exec(ctx, s.activityQueries().deleteBefore, before)
	if err != nil {
		return 0, s.wrap("delete activity", err)
	}
	return n, nil
}
