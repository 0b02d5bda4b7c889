package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
)

// DefaultPrefix starts every key a Store writes when Options.Prefix is "".
const DefaultPrefix = "latch:"

// The bounds of a key's time to live; see Store.ttl.
const (
	minTTL = time.Hour
	maxTTL = 100 * 365 * 24 * time.Hour
)

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// Prefix starts every key the store writes. Default "latch:". Stores
	// with different prefixes share a server without seeing each other.
	// On Redis Cluster give it a hash tag, such as "{latch}:", so that the
	// keys one script touches live in one slot.
	Prefix string
	// Now is the clock used only to turn stored expiry times into Redis
	// time-to-live values. Default time.Now. It never decides whether a
	// session or token has expired: latch.Auth does.
	Now func() time.Time
}

// Store keeps sessions, single-use tokens, attempt counters and throttle
// counters in Redis. It implements latch.SessionStore and latch.TokenStore;
// users and keys belong in another store. It is safe for concurrent use,
// also by several processes sharing one server.
type Store struct {
	client goredis.UniversalClient
	prefix string
	now    func() time.Time
	owned  bool // the client was made by Open, so Close closes it
}

var (
	_ latch.SessionStore = (*Store)(nil)
	_ latch.TokenStore   = (*Store)(nil)
)

// Open connects to the server at url (redis://[user:password@]host:port/db,
// rediss:// for TLS, or unix://) and returns a Store that owns the client.
// Like sql.Open it does not contact the server; the first call does.
func Open(url string, opts Options) (*Store, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: open: %w", err)
	}
	s := New(goredis.NewClient(o), opts)
	s.owned = true
	return s, nil
}

// New returns a Store on a client the caller made (a *goredis.Client,
// *goredis.ClusterClient or failover client) and keeps owning: Close does
// not close it. client must not be nil.
func New(client goredis.UniversalClient, opts Options) *Store {
	s := &Store{client: client, prefix: opts.Prefix, now: opts.Now}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Close closes the client when the Store was made by Open; with New it
// does nothing, the client being the caller's.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// Client returns the underlying go-redis client.
func (s *Store) Client() goredis.UniversalClient { return s.client }

// Key layout. Every key is the prefix, a fixed type name ending in ':',
// then the variable parts. No type name is the start of another, and a
// variable part that is followed by another is length-prefixed (see
// field), so ids holding ':' or any other byte cannot make two keys meet.
// The Lua scripts in scripts.go build the same names; keep them in step.
func (s *Store) sessionKey(id string) string { return s.prefix + "session:" + id }
func (s *Store) sessionIndexKey(userID string) string {
	return s.prefix + "user_sessions:" + userID
}
func (s *Store) tokenKey(kind, id string) string { return s.prefix + "token:" + field(kind) + id }
func (s *Store) tokenIndexKey(userID, kind string) string {
	return s.prefix + "user_tokens:" + field(userID) + kind
}
func (s *Store) tokenKindsKey(userID string) string {
	return s.prefix + "user_token_kinds:" + userID
}
func (s *Store) attemptKey(kind, userID string) string {
	return s.prefix + "attempt:" + field(kind) + userID
}
func (s *Store) hitsKey(key string) string { return s.prefix + "hits:" + key }

// field length-prefixes a variable key part that another one follows:
// field("a:b") is "3:a:b:".
func field(v string) string { return strconv.Itoa(len(v)) + ":" + v + ":" }

// ttl returns the time to live, in milliseconds, of a key whose record
// expires at the given Unix millisecond: the time left by Options.Now, but
// at least minTTL and at most maxTTL.
//
// Why: latch.Auth judges expiry with its own clock (Config.Now), which tests
// move by days, and the contract is that stored values round-trip until
// the core, or a purge with an explicit now, removes them. Redis only
// reclaims memory here. A record already dead by the wall clock (or by a
// clock set in the past) therefore still lives minTTL, long enough for Auth
// to read, list or purge it; a record alive by the wall clock lives until
// its expiry (or longer, by minTTL). The TTL is relative (PEXPIRE, not
// PEXPIREAT) so that clock skew between this process and the server does
// not shorten it.
func (s *Store) ttl(expires int64) int64 {
	now := s.now().UnixMilli()
	lo, hi := minTTL.Milliseconds(), maxTTL.Milliseconds()
	switch {
	case expires <= now+lo:
		return lo
	case expires >= now+hi:
		return hi
	}
	return expires - now
}

// wrap names the operation, turns goredis.Nil into latch.ErrNotFound and
// marks a lost connection with latch.ErrStoreUnavailable.
func wrap(op string, err error) error {
	if errors.Is(err, goredis.Nil) {
		err = latch.ErrNotFound
	}
	return fmt.Errorf("redis: %s: %w", op, latch.Unavailable(err, connectionLost))
}

// connectionLost reports go-redis's own outage errors
// (latch.ErrStoreUnavailable): a closed client, a pool with no connection
// to give, or a server still loading its data set.
func connectionLost(err error) bool {
	return errors.Is(err, goredis.ErrClosed) || errors.Is(err, goredis.ErrPoolTimeout) ||
		errors.Is(err, goredis.ErrPoolExhausted) || goredis.IsLoadingError(err)
}

// scanBatch is the COUNT hint of SCAN: keys handed to fn at a time.
const scanBatch = 500

// scan calls fn with batches of the keys that match pattern, on every
// master of a cluster (concurrently) or on the one server. SCAN may return
// a key twice; fn must be idempotent.
func (s *Store) scan(ctx context.Context, pattern string, fn func(ctx context.Context, keys []string) error) error {
	one := func(ctx context.Context, c goredis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, scanBatch).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				if err := fn(ctx, keys); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return one(ctx, c) })
	}
	return one(ctx, s.client)
}

// sumScan runs script over every batch of keys matching pattern, with args,
// and adds up the integers it returns.
func (s *Store) sumScan(ctx context.Context, pattern string, script *goredis.Script, args ...any) (int64, error) {
	var total atomic.Int64
	err := s.scan(ctx, pattern, func(ctx context.Context, keys []string) error {
		n, err := script.Run(ctx, s.client, keys, args...).Int64()
		total.Add(n)
		return err
	})
	return total.Load(), err
}

// globEscape quotes the characters that SCAN MATCH patterns interpret, so
// that any prefix matches only itself.
func globEscape(v string) string {
	b := make([]byte, 0, len(v)+4)
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '*', '?', '[', ']', '\\':
			b = append(b, '\\')
		}
		b = append(b, v[i])
	}
	return string(b)
}

// parseMS reads a stored millisecond time.
func parseMS(v any) (int64, error) {
	str, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("corrupt record: missing time field")
	}
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("corrupt record: %w", err)
	}
	return n, nil
}
