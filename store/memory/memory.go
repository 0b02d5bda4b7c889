// Package memory is a latch.Store that keeps everything in the process's
// memory, for tests and single-process demos. Nothing is persisted: a
// restart forgets every user, key, session and token.
//
//	auth, err := latch.New(latch.Config{Store: memory.New()})
package memory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/latchauth/latch"
)

// Store keeps users, keys, sessions, tokens and attempt counters in maps
// behind one lock. It implements latch.Store and latch.SessionUserGetter
// and honours every storage contract, so that code tested against it
// behaves the same on a SQL store: ErrNotFound and ErrDuplicate where the
// contracts say, attributes validated and round-tripped like
// latch.MarshalAttributes does, cascades on DeleteUser. Records are copied
// on the way in and out, so callers never share the store's memory. The
// zero value is not usable; call New. A Store is safe for concurrent use.
type Store struct {
	mu       sync.RWMutex
	users    map[string]*user
	keys     map[string]*latch.KeyRecord
	sessions map[string]*latch.SessionRecord
	tokens   map[tokenKey]*latch.TokenRecord
	attempts map[string]map[string]attempt // user id → kind → counter
	activity activityLog                   // its own lock: it is not tied to the rest
	factors  map[string]*latch.FactorRecord
}

// user is a user with the indexes of what belongs to it, so that lists and
// deletes by user do not scan everything.
type user struct {
	attrs    latch.Attributes
	keys     map[string]struct{}
	sessions map[string]struct{}
	tokens   map[string]map[string]struct{} // kind → token ids
}

type tokenKey struct{ kind, id string }

type attempt struct {
	count   int
	expires int64
}

var (
	_ latch.Store             = (*Store)(nil)
	_ latch.SessionUserGetter = (*Store)(nil)
)

// New returns an empty Store.
func New() *Store {
	return &Store{
		users:    map[string]*user{},
		keys:     map[string]*latch.KeyRecord{},
		sessions: map[string]*latch.SessionRecord{},
		tokens:   map[tokenKey]*latch.TokenRecord{},
		attempts: map[string]map[string]attempt{},
		factors:  map[string]*latch.FactorRecord{},
	}
}

// The errors, made once: the hot paths return them without allocating.
var (
	errUserNotFound    = fmt.Errorf("memory: user: %w", latch.ErrNotFound)
	errKeyNotFound     = fmt.Errorf("memory: key: %w", latch.ErrNotFound)
	errSessionNotFound = fmt.Errorf("memory: session: %w", latch.ErrNotFound)
	errTokenNotFound   = fmt.Errorf("memory: token: %w", latch.ErrNotFound)
	errUserTaken       = fmt.Errorf("memory: user id: %w", latch.ErrDuplicate)
	errKeyTaken        = fmt.Errorf("memory: key id: %w", latch.ErrDuplicate)
	errSessionTaken    = fmt.Errorf("memory: session id: %w", latch.ErrDuplicate)
	errTokenTaken      = fmt.Errorf("memory: token: %w", latch.ErrDuplicate)
)

// ownAttributes validates attributes as a SQL store does (through
// latch.MarshalAttributes: names, types, sizes) and returns the copy the
// store keeps, with the types a SQL store would read back.
func ownAttributes(a latch.Attributes) (latch.Attributes, error) {
	if len(a) == 0 {
		return latch.Attributes{}, nil
	}
	data, err := latch.MarshalAttributes(a)
	if err != nil {
		return nil, err
	}
	return latch.UnmarshalAttributes(data)
}

// cloneAttributes copies attributes the store holds; their values (string,
// bool, int64, float64, time.Time, nil) are immutable.
func cloneAttributes(a latch.Attributes) latch.Attributes {
	if a == nil {
		return latch.Attributes{}
	}
	return maps.Clone(a)
}

func cloneString(p *string) *string {
	if p == nil {
		return nil
	}
	s := *p
	return &s
}

// CreateUser stores the user and, when key is not nil, its first key; both
// or neither. The key's UserID must be the user's (or empty).
func (s *Store) CreateUser(ctx context.Context, u latch.UserRecord, key *latch.KeyRecord) error {
	attrs, err := ownAttributes(u.Attributes)
	if err != nil {
		return fmt.Errorf("memory: create user: %w", err)
	}
	if key != nil && key.UserID != "" && key.UserID != u.ID {
		return fmt.Errorf("memory: create user: the key belongs to another user id: %w", latch.ErrInvalidRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.users[u.ID]; taken {
		return errUserTaken
	}
	nu := &user{attrs: attrs}
	if key != nil {
		if _, taken := s.keys[key.ID]; taken {
			return errKeyTaken
		}
		s.keys[key.ID] = &latch.KeyRecord{ID: key.ID, UserID: u.ID, HashedPassword: cloneString(key.HashedPassword)}
		nu.keys = map[string]struct{}{key.ID: {}}
	}
	s.users[u.ID] = nu
	return nil
}

// GetUser returns the user, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, userID string) (latch.UserRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[userID]
	if !ok {
		return latch.UserRecord{}, errUserNotFound
	}
	return latch.UserRecord{ID: userID, Attributes: cloneAttributes(u.attrs)}, nil
}

// UpdateUserAttributes merges patch into the user's attributes. The merged
// attributes are checked as a whole: over latch.MaxAttributesSize they are
// refused with ErrInvalidAttributes and nothing changes.
func (s *Store) UpdateUserAttributes(ctx context.Context, userID string, patch latch.Attributes) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return errUserNotFound
	}
	merged, err := merge(u.attrs, patch)
	if err != nil {
		return fmt.Errorf("memory: update user: %w", err)
	}
	u.attrs = merged
	return nil
}

// merge returns attrs with patch applied, validated as a whole; attrs is
// not changed.
func merge(attrs, patch latch.Attributes) (latch.Attributes, error) {
	if len(patch) == 0 {
		return attrs, nil
	}
	m := cloneAttributes(attrs)
	for k, v := range patch {
		m[k] = v
	}
	return ownAttributes(m)
}

// DeleteUser removes the user with its keys, sessions, tokens and attempt
// counters.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok {
		for id := range u.keys {
			delete(s.keys, id)
		}
		for id := range u.sessions {
			delete(s.sessions, id)
		}
		for kind, set := range u.tokens {
			for id := range set {
				delete(s.tokens, tokenKey{kind, id})
			}
		}
		delete(s.users, userID)
	}
	for id, f := range s.factors {
		if f.UserID == userID {
			delete(s.factors, id)
		}
	}
	delete(s.attempts, userID)
	s.activity.mu.Lock()
	delete(s.activity.byUser, userID)
	s.activity.mu.Unlock()
	return nil
}

// CreateKey stores a key of an existing user.
func (s *Store) CreateKey(ctx context.Context, k latch.KeyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[k.UserID]
	if !ok {
		return errUserNotFound
	}
	if _, taken := s.keys[k.ID]; taken {
		return errKeyTaken
	}
	s.keys[k.ID] = &latch.KeyRecord{ID: k.ID, UserID: k.UserID, HashedPassword: cloneString(k.HashedPassword)}
	if u.keys == nil {
		u.keys = map[string]struct{}{}
	}
	u.keys[k.ID] = struct{}{}
	return nil
}

// GetKey returns the key, or ErrNotFound.
func (s *Store) GetKey(ctx context.Context, keyID string) (latch.KeyRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[keyID]
	if !ok {
		return latch.KeyRecord{}, errKeyNotFound
	}
	return latch.KeyRecord{ID: k.ID, UserID: k.UserID, HashedPassword: cloneString(k.HashedPassword)}, nil
}

// ListKeys returns the user's keys.
func (s *Store) ListKeys(ctx context.Context, userID string) ([]latch.KeyRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[userID]
	if !ok {
		return nil, nil
	}
	out := make([]latch.KeyRecord, 0, len(u.keys))
	for id := range u.keys {
		k := s.keys[id]
		out = append(out, latch.KeyRecord{ID: k.ID, UserID: k.UserID, HashedPassword: cloneString(k.HashedPassword)})
	}
	return out, nil
}

// UpdateKeyPassword sets or clears the key's password hash.
func (s *Store) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[keyID]
	if !ok {
		return errKeyNotFound
	}
	k.HashedPassword = cloneString(hashedPassword)
	return nil
}

// DeleteKey removes one key.
func (s *Store) DeleteKey(ctx context.Context, keyID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[keyID]; ok {
		delete(s.users[k.UserID].keys, keyID)
		delete(s.keys, keyID)
	}
	return nil
}

// DeleteKeysByUser removes all of the user's keys.
func (s *Store) DeleteKeysByUser(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok {
		for id := range u.keys {
			delete(s.keys, id)
		}
		u.keys = nil
	}
	return nil
}

// CreateSession stores a session of an existing user.
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	attrs, err := ownAttributes(r.Attributes)
	if err != nil {
		return fmt.Errorf("memory: create session: %w", err)
	}
	r.Attributes = attrs
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[r.UserID]
	if !ok {
		return errUserNotFound
	}
	if _, taken := s.sessions[r.ID]; taken {
		return errSessionTaken
	}
	s.sessions[r.ID] = &r
	if u.sessions == nil {
		u.sessions = map[string]struct{}{}
	}
	u.sessions[r.ID] = struct{}{}
	return nil
}

func copySession(r *latch.SessionRecord) latch.SessionRecord {
	c := *r
	c.Attributes = cloneAttributes(r.Attributes)
	return c
}

// GetSession returns the session, or ErrNotFound.
func (s *Store) GetSession(ctx context.Context, sessionID string) (latch.SessionRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.sessions[sessionID]
	if !ok {
		return latch.SessionRecord{}, errSessionNotFound
	}
	return copySession(r), nil
}

// GetSessionAndUser returns the session and its user under one read lock.
func (s *Store) GetSessionAndUser(ctx context.Context, sessionID string) (latch.SessionRecord, latch.UserRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.sessions[sessionID]
	if !ok {
		return latch.SessionRecord{}, latch.UserRecord{}, errSessionNotFound
	}
	u, ok := s.users[r.UserID]
	if !ok { // cannot happen: DeleteUser removes the user's sessions
		return latch.SessionRecord{}, latch.UserRecord{}, errUserNotFound
	}
	return copySession(r), latch.UserRecord{ID: r.UserID, Attributes: cloneAttributes(u.attrs)}, nil
}

// ListSessions returns all of the user's sessions, dead or alive.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[userID]
	if !ok {
		return nil, nil
	}
	out := make([]latch.SessionRecord, 0, len(u.sessions))
	for id := range u.sessions {
		out = append(out, copySession(s.sessions[id]))
	}
	return out, nil
}

// UpdateSessionExpiry sets both expiries.
func (s *Store) UpdateSessionExpiry(ctx context.Context, sessionID string, activeExpires, idleExpires int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.sessions[sessionID]
	if !ok {
		return errSessionNotFound
	}
	r.ActiveExpires, r.IdleExpires = activeExpires, idleExpires
	return nil
}

// UpdateSessionAttributes merges patch into the session's attributes, like
// UpdateUserAttributes.
func (s *Store) UpdateSessionAttributes(ctx context.Context, sessionID string, patch latch.Attributes) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.sessions[sessionID]
	if !ok {
		return errSessionNotFound
	}
	merged, err := merge(r.Attributes, patch)
	if err != nil {
		return fmt.Errorf("memory: update session: %w", err)
	}
	r.Attributes = merged
	return nil
}

// DeleteSession removes one session.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteSession(sessionID)
	return nil
}

// deleteSession removes a session and its index entry; s.mu is held.
func (s *Store) deleteSession(id string) {
	if r, ok := s.sessions[id]; ok {
		delete(s.users[r.UserID].sessions, id)
		delete(s.sessions, id)
	}
}

// DeleteSessionsByUser removes all of the user's sessions.
func (s *Store) DeleteSessionsByUser(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok {
		for id := range u.sessions {
			delete(s.sessions, id)
		}
		u.sessions = nil
	}
	return nil
}

// DeleteExpiredSessions removes sessions whose idle expiry is at or before
// now: the user's when userID is not "", everyone's otherwise (a scan of
// every session).
func (s *Store) DeleteExpiredSessions(ctx context.Context, userID string, now int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	if userID != "" {
		u, ok := s.users[userID]
		if !ok {
			return 0, nil
		}
		for id := range u.sessions {
			if s.sessions[id].IdleExpires <= now {
				s.deleteSession(id)
				n++
			}
		}
		return n, nil
	}
	for id, r := range s.sessions {
		if r.IdleExpires <= now {
			s.deleteSession(id)
			n++
		}
	}
	return n, nil
}

func copyToken(r *latch.TokenRecord) latch.TokenRecord {
	c := *r
	c.Data = bytes.Clone(r.Data)
	return c
}

// PutToken stores a token of an existing user.
func (s *Store) PutToken(ctx context.Context, t latch.TokenRecord) error {
	t.Data = bytes.Clone(t.Data)
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[t.UserID]
	if !ok {
		return errUserNotFound
	}
	k := tokenKey{t.Kind, t.ID}
	if _, taken := s.tokens[k]; taken {
		return errTokenTaken
	}
	s.tokens[k] = &t
	if u.tokens == nil {
		u.tokens = map[string]map[string]struct{}{}
	}
	set := u.tokens[t.Kind]
	if set == nil {
		set = map[string]struct{}{}
		u.tokens[t.Kind] = set
	}
	set[t.ID] = struct{}{}
	return nil
}

// TakeToken reads and deletes the token under the write lock, so that one
// caller alone gets it.
func (s *Store) TakeToken(ctx context.Context, kind, id, userID string) (latch.TokenRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenKey{kind, id}]
	if !ok || (userID != "" && t.UserID != userID) {
		return latch.TokenRecord{}, errTokenNotFound
	}
	s.deleteToken(t)
	return *t, nil // the record leaves the store: no copy needed
}

// deleteToken removes a token and its index entry; s.mu is held.
func (s *Store) deleteToken(t *latch.TokenRecord) {
	delete(s.tokens, tokenKey{t.Kind, t.ID})
	if u, ok := s.users[t.UserID]; ok {
		delete(u.tokens[t.Kind], t.ID)
		if len(u.tokens[t.Kind]) == 0 {
			delete(u.tokens, t.Kind)
		}
	}
}

// GetToken returns the token without consuming it.
func (s *Store) GetToken(ctx context.Context, kind, id string) (latch.TokenRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[tokenKey{kind, id}]
	if !ok {
		return latch.TokenRecord{}, errTokenNotFound
	}
	return copyToken(t), nil
}

// ListTokens returns the user's tokens of that kind, expired ones too.
func (s *Store) ListTokens(ctx context.Context, userID, kind string) ([]latch.TokenRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[userID]
	if !ok {
		return nil, nil
	}
	set := u.tokens[kind]
	out := make([]latch.TokenRecord, 0, len(set))
	for id := range set {
		out = append(out, copyToken(s.tokens[tokenKey{kind, id}]))
	}
	return out, nil
}

// DeleteToken removes one token.
func (s *Store) DeleteToken(ctx context.Context, kind, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[tokenKey{kind, id}]; ok {
		s.deleteToken(t)
	}
	return nil
}

// DeleteUserTokens removes the user's tokens of that kind, or of every kind
// when kind is "". Attempt counters stay.
func (s *Store) DeleteUserTokens(ctx context.Context, userID, kind string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return nil
	}
	for k, set := range u.tokens {
		if kind != "" && k != kind {
			continue
		}
		for id := range set {
			delete(s.tokens, tokenKey{k, id})
		}
		delete(u.tokens, k)
	}
	return nil
}

// DeleteExpiredTokens removes tokens whose expiry is at or before now, and
// attempt counters whose window has ended; it returns how many tokens it
// removed. It scans every token and counter.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, t := range s.tokens {
		if t.Expires <= now {
			s.deleteToken(t)
			n++
		}
	}
	for userID, kinds := range s.attempts {
		for kind, a := range kinds {
			if a.expires <= now {
				delete(kinds, kind)
			}
		}
		if len(kinds) == 0 {
			delete(s.attempts, userID)
		}
	}
	return n, nil
}

// AddAttempt adds one to the (kind, userID) counter under the write lock
// and returns the new count; a counter whose window has ended starts again.
func (s *Store) AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kinds := s.attempts[userID]
	if kinds == nil {
		kinds = map[string]attempt{}
		s.attempts[userID] = kinds
	}
	a, ok := kinds[kind]
	if !ok || a.expires <= now {
		a = attempt{expires: expires}
	}
	a.count++
	kinds[kind] = a
	return a.count, nil
}

// Attempts returns the counter, 0 when absent or expired at now.
func (s *Store) Attempts(ctx context.Context, kind, userID string, now int64) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.attempts[userID][kind]
	if !ok || a.expires <= now {
		return 0, nil
	}
	return a.count, nil
}

// ResetAttempts removes the counter.
func (s *Store) ResetAttempts(ctx context.Context, kind, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kinds, ok := s.attempts[userID]; ok {
		delete(kinds, kind)
		if len(kinds) == 0 {
			delete(s.attempts, userID)
		}
	}
	return nil
}

// activityLog is the memory store's activity record: per user, in the order
// added.
type activityLog struct {
	mu     sync.Mutex
	byUser map[string][]latch.ActivityEvent
}

var _ latch.ActivityStore = (*Store)(nil)

// AddActivity appends an event; ErrDuplicate when (UserID, ID) is taken,
// ErrNotFound when the user does not exist.
func (s *Store) AddActivity(ctx context.Context, e latch.ActivityEvent) error {
	s.mu.RLock()
	_, ok := s.users[e.UserID]
	s.mu.RUnlock()
	if !ok {
		return errUserNotFound
	}
	s.activity.mu.Lock()
	defer s.activity.mu.Unlock()
	if s.activity.byUser == nil {
		s.activity.byUser = map[string][]latch.ActivityEvent{}
	}
	for _, o := range s.activity.byUser[e.UserID] {
		if o.ID == e.ID {
			return fmt.Errorf("memory: activity: %w", latch.ErrDuplicate)
		}
	}
	s.activity.byUser[e.UserID] = append(s.activity.byUser[e.UserID], e)
	return nil
}

// ListActivity returns up to limit events of the user, newest first,
// older than (beforeAt, beforeID) when beforeAt is not 0.
func (s *Store) ListActivity(ctx context.Context, userID string, beforeAt int64, beforeID string, limit int) ([]latch.ActivityEvent, error) {
	s.activity.mu.Lock()
	evs := slices.Clone(s.activity.byUser[userID])
	s.activity.mu.Unlock()
	slices.SortFunc(evs, func(a, b latch.ActivityEvent) int {
		if c := cmp.Compare(b.At, a.At); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	out := []latch.ActivityEvent{}
	for _, e := range evs {
		if beforeAt != 0 && (e.At > beforeAt || e.At == beforeAt && e.ID >= beforeID) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, e)
	}
	return out, nil
}

// DeleteActivity removes the user's events.
func (s *Store) DeleteActivity(ctx context.Context, userID string) error {
	s.activity.mu.Lock()
	defer s.activity.mu.Unlock()
	delete(s.activity.byUser, userID)
	return nil
}

// DeleteActivityBefore removes the events older than before.
func (s *Store) DeleteActivityBefore(ctx context.Context, before int64) (int64, error) {
	s.activity.mu.Lock()
	defer s.activity.mu.Unlock()
	var n int64
	for u, evs := range s.activity.byUser {
		kept := evs[:0]
		for _, e := range evs {
			if e.At < before {
				n++
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) == 0 {
			delete(s.activity.byUser, u)
		} else {
			s.activity.byUser[u] = kept
		}
	}
	return n, nil
}

var (
	_ latch.FactorStore   = (*Store)(nil)
	_ latch.FactorScanner = (*Store)(nil)
)

// CreateFactor stores a factor of an existing user.
func (s *Store) CreateFactor(ctx context.Context, f latch.FactorRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[f.UserID]; !ok {
		return fmt.Errorf("memory: create factor: %w", latch.ErrNotFound)
	}
	if _, ok := s.factors[f.ID]; ok {
		return fmt.Errorf("memory: create factor: %w", latch.ErrDuplicate)
	}
	f.Data = slices.Clone(f.Data)
	s.factors[f.ID] = &f
	return nil
}

// GetFactor returns a factor, or ErrNotFound.
func (s *Store) GetFactor(ctx context.Context, id string) (latch.FactorRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.factors[id]
	if !ok {
		return latch.FactorRecord{}, fmt.Errorf("memory: get factor: %w", latch.ErrNotFound)
	}
	out := *f
	out.Data = slices.Clone(f.Data)
	return out, nil
}

// ScanFactors returns up to limit factors of the kind whose id is after
// afterID, in id order (latch.FactorScanner).
func (s *Store) ScanFactors(ctx context.Context, kind, afterID string, limit int) ([]latch.FactorRecord, error) {
	s.mu.RLock()
	var out []latch.FactorRecord
	for _, f := range s.factors {
		if f.Kind == kind && f.ID > afterID {
			c := *f
			c.Data = slices.Clone(f.Data)
			out = append(out, c)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b latch.FactorRecord) int { return strings.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out, nil
}

// ListFactors returns the user's factors, oldest first.
func (s *Store) ListFactors(ctx context.Context, userID string) ([]latch.FactorRecord, error) {
	s.mu.RLock()
	out := []latch.FactorRecord{}
	for _, f := range s.factors {
		if f.UserID == userID {
			c := *f
			c.Data = slices.Clone(f.Data)
			out = append(out, c)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b latch.FactorRecord) int {
		if a.CreatedAt != b.CreatedAt {
			return cmp.Compare(a.CreatedAt, b.CreatedAt)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// UpdateFactor replaces a factor's name, data and last use.
func (s *Store) UpdateFactor(ctx context.Context, f latch.FactorRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.factors[f.ID]
	if !ok {
		return fmt.Errorf("memory: update factor: %w", latch.ErrNotFound)
	}
	cur.Name, cur.Data, cur.LastUsedAt = f.Name, slices.Clone(f.Data), f.LastUsedAt
	return nil
}

// DeleteFactor removes one factor.
func (s *Store) DeleteFactor(ctx context.Context, id string) error {
	s.mu.Lock()
	delete(s.factors, id)
	s.mu.Unlock()
	return nil
}

// DeleteFactorsByUser removes the user's factors.
func (s *Store) DeleteFactorsByUser(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, f := range s.factors {
		if f.UserID == userID {
			delete(s.factors, id)
		}
	}
	return nil
}

var _ latch.UserLister = (*Store)(nil)

// ListUsers returns up to limit users in order of id after the id after.
// It sorts every id: fine for the tests and small setups it is made for.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]latch.UserRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:max(limit, 0)]
	}
	out := make([]latch.UserRecord, 0, len(ids))
	for _, id := range ids {
		out = append(out, latch.UserRecord{ID: id, Attributes: cloneAttributes(s.users[id].attrs)})
	}
	return out, nil
}

// ListKeyUsers returns up to limit keys starting with prefix, with their
// users, in order of key id after the key id after.
func (s *Store) ListKeyUsers(ctx context.Context, prefix, after string, limit int) ([]latch.KeyUser, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := []string{}
	for id := range s.keys {
		if id > after && strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:max(limit, 0)]
	}
	out := make([]latch.KeyUser, 0, len(ids))
	for _, id := range ids {
		uid := s.keys[id].UserID
		out = append(out, latch.KeyUser{KeyID: id, User: latch.UserRecord{ID: uid, Attributes: cloneAttributes(s.users[uid].attrs)}})
	}
	return out, nil
}
