package redis

import (
	"context"
	"encoding/json"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
)

var _ latch.ActivityStore = (*Store)(nil)

// ActivityCap is how many activity events the store keeps per user: past
// it, adding an event drops the oldest. The record is capped so that a
// flood of failed sign-ins cannot grow one user's keys without bound.
const ActivityCap = 1000

// A user's activity is a sorted set of event ids scored by time (ids of
// one millisecond sort by id, as the contract wants) beside a hash of the
// events by id.
func (s *Store) activityKey(userID string) string { return s.prefix + "activity:" + userID }
func (s *Store) activityEventsKey(userID string) string {
	return s.prefix + "activity_events:" + userID
}

// activityBody is an event as stored in the hash; the id and user are the
// field and the key.
type activityBody struct {
	Type      string `json:"t"`
	At        int64  `json:"a"`
	IP        string `json:"i,omitempty"`
	UserAgent string `json:"u,omitempty"`
	Detail    string `json:"d,omitempty"`
}

// addActivityScript adds the id (NX: a taken id is 0) and the event, then
// drops the oldest past the cap. KEYS: set, hash; ARGV: id, at, body, cap.
var addActivityScript = script(`
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if over > 0 then
	local old = redis.call('ZRANGE', KEYS[1], 0, over - 1)
	redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
	redis.call('HDEL', KEYS[2], unpack(old))
end
return 1
`)

// purgeActivityScript removes the events of one user's set older than
// ARGV[2] (ARGV[1] is the prefix; the hash key is derived from the set's).
var purgeActivityScript = script(`
local n = 0
for _, set in ipairs(KEYS) do
	local old = redis.call('ZRANGEBYSCORE', set, '-inf', '(' .. ARGV[2])
	if #old > 0 then
		local user = string.sub(set, string.len(ARGV[1]) + string.len('activity:') + 1)
		redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. ARGV[2])
		redis.call('HDEL', ARGV[1] .. 'activity_events:' .. user, unpack(old))
		n = n + #old
	end
end
return n
`)

// AddActivity appends an event; ErrDuplicate when (UserID, ID) is taken.
// Redis does not keep users, so it cannot tell a missing one.
func (s *Store) AddActivity(ctx context.Context, e latch.ActivityEvent) error {
	body, err := json.Marshal(activityBody{Type: e.Type, At: e.At, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail})
	if err != nil {
		return wrap("add activity", err)
	}
	n, err := addActivityScript.Run(ctx, s.client, []string{s.activityKey(e.UserID), s.activityEventsKey(e.UserID)},
		e.ID, e.At, body, ActivityCap).Int()
	if err != nil {
		return wrap("add activity", err)
	}
	if n == 0 {
		return wrap("add activity", latch.ErrDuplicate)
	}
	return nil
}

// ListActivity returns up to limit events of the user, newest first, older
// than (beforeAt, beforeID) when beforeAt is not 0.
func (s *Store) ListActivity(ctx context.Context, userID string, beforeAt int64, beforeID string, limit int) ([]latch.ActivityEvent, error) {
	key := s.activityKey(userID)
	var ids []string
	max := "+inf"
	if beforeAt != 0 {
		// The events of the cursor's millisecond with a lower id, then
		// the older ones.
		same, err := s.client.ZRevRangeByScore(ctx, key, &goredis.ZRangeBy{
			Min: strconv.FormatInt(beforeAt, 10), Max: strconv.FormatInt(beforeAt, 10),
		}).Result()
		if err != nil {
			return nil, wrap("list activity", err)
		}
		for _, id := range same {
			if id < beforeID && len(ids) < limit {
				ids = append(ids, id)
			}
		}
		max = "(" + strconv.FormatInt(beforeAt, 10)
	}
	if len(ids) < limit {
		more, err := s.client.ZRevRangeByScore(ctx, key, &goredis.ZRangeBy{
			Min: "-inf", Max: max, Count: int64(limit - len(ids)),
		}).Result()
		if err != nil {
			return nil, wrap("list activity", err)
		}
		ids = append(ids, more...)
	}
	out := []latch.ActivityEvent{}
	if len(ids) == 0 {
		return out, nil
	}
	bodies, err := s.client.HMGet(ctx, s.activityEventsKey(userID), ids...).Result()
	if err != nil {
		return nil, wrap("list activity", err)
	}
	for i, raw := range bodies {
		str, ok := raw.(string)
		if !ok {
			continue // dropped by the cap or a purge meanwhile
		}
		var b activityBody
		if err := json.Unmarshal([]byte(str), &b); err != nil {
			return nil, wrap("list activity", err)
		}
		out = append(out, latch.ActivityEvent{ID: ids[i], UserID: userID, Type: b.Type, At: b.At,
			IP: b.IP, UserAgent: b.UserAgent, Detail: b.Detail})
	}
	return out, nil
}

// DeleteActivity removes the user's events.
func (s *Store) DeleteActivity(ctx context.Context, userID string) error {
	if err := s.client.Del(ctx, s.activityKey(userID), s.activityEventsKey(userID)).Err(); err != nil {
		return wrap("delete activity", err)
	}
	return nil
}

// DeleteActivityBefore removes the events older than before, scanning
// every user's set.
func (s *Store) DeleteActivityBefore(ctx context.Context, before int64) (int64, error) {
	n, err := s.sumScan(ctx, globEscape(s.prefix)+"activity:*", purgeActivityScript, s.prefix, before)
	if err != nil {
		return n, wrap("delete activity", err)
	}
	return n, nil
}
