package throttle

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Store counts hits per key in fixed windows. store/redis and the SQL
// stores' ThrottleStore (store/postgres, store/mysql, store/sqlite)
// implement it for a service of several processes; MemoryStore for one.
type Store interface {
	// Hit counts one hit against key. The first hit on a key (or the first
	// after its window ended) starts a window of the given length; later
	// hits share its counter and do not extend it. Hit returns the count so
	// far in the window (1 for the first) and the time left in the window.
	Hit(ctx context.Context, key string, window time.Duration) (count int64, retryAfter time.Duration, err error)
	// Peek returns key's count and the time left in its window without
	// counting a hit: 0 and 0 when there is no live window.
	Peek(ctx context.Context, key string) (count int64, ttl time.Duration, err error)
	// ResetHits forgets key's counter; it succeeds whatever the input.
	ResetHits(ctx context.Context, key string) error
}

// sweepBatch is how many entries one Hit on a MemoryStore examines for
// expiry: enough to keep up with one new key per hit, bounded so that a hit
// stays cheap however large the map is.
const sweepBatch = 16

// MemoryStore is a Store in process memory, for a single process and for
// tests. Expired windows are dropped when read and by a small bounded sweep
// on every Hit, so keys that are never seen again do not stay forever. It
// is safe for concurrent use.
type MemoryStore struct {
	now func() time.Time

	mu      sync.Mutex
	windows map[string]window
}

type window struct {
	count int64
	ends  time.Time
}

var (
	_ Store     = (*MemoryStore)(nil)
	_ HitUndoer = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty MemoryStore that reads time from now
// (time.Now when nil). Tests pass their own clock and move it.
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, windows: map[string]window{}}
}

// Hit implements Store.
func (s *MemoryStore) Hit(ctx context.Context, key string, d time.Duration) (int64, time.Duration, error) {
	if d <= 0 {
		return 0, 0, fmt.Errorf("throttle: hit: window %v is not positive", d)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	w, ok := s.windows[key]
	if !ok || !now.Before(w.ends) {
		w = window{ends: now.Add(d)}
	}
	w.count++
	s.windows[key] = w
	return w.count, w.ends.Sub(now), nil
}

// Peek implements Store.
func (s *MemoryStore) Peek(ctx context.Context, key string) (int64, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.windows[key]
	if !ok {
		return 0, 0, nil
	}
	if !now.Before(w.ends) {
		delete(s.windows, key)
		return 0, 0, nil
	}
	return w.count, w.ends.Sub(now), nil
}

// ResetHits implements Store.
func (s *MemoryStore) ResetHits(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.windows, key)
	s.mu.Unlock()
	return nil
}

// UndoHit implements HitUndoer.
func (s *MemoryStore) UndoHit(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.windows[key]; ok && now.Before(w.ends) && w.count > 0 {
		w.count--
		s.windows[key] = w
	}
	return nil
}

// Len returns how many windows the store holds, live or not yet swept.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.windows)
}

// sweep drops expired windows among a few entries; map iteration starts at
// a random place, so repeated sweeps cover the whole map. s.mu is held.
func (s *MemoryStore) sweep(now time.Time) {
	n := 0
	for k, w := range s.windows {
		if !now.Before(w.ends) {
			delete(s.windows, k)
		}
		if n++; n == sweepBatch {
			return
		}
	}
}
