package main

import (
	"errors"
	"sync"

	"github.com/latchauth/latch"
)

// plainMaps is the limit of the memory store in the growth rows: the same
// sessions and tokens in plain Go maps behind one RWMutex, looked up with
// nothing else (no copies, no attribute checks, no per-user indexes). Its
// growth from the small to the big size is what the machine's caches and
// Go's maps and garbage collector cost at that size, whatever the store.
type plainMaps struct {
	mu       sync.RWMutex
	users    map[string]latch.Attributes
	sessions map[string]plainSession
	tokens   map[string]plainToken // by kind + "\x00" + id
}

type plainSession struct {
	userID       string
	active, idle int64
	attrs        latch.Attributes
}

type plainToken struct {
	userID  string
	expires int64
}

func newPlainMaps(users []string) *plainMaps {
	p := &plainMaps{
		users:    make(map[string]latch.Attributes, len(users)),
		sessions: map[string]plainSession{},
		tokens:   map[string]plainToken{},
	}
	for _, u := range users {
		p.users[u] = latch.Attributes{"email": u + "@example.com"}
	}
	return p
}

func (p *plainMaps) addSessions(rows []sessionRow) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rows {
		p.sessions[r.id] = plainSession{userID: r.userID, active: r.active, idle: r.idle, attrs: sessionAttrs}
	}
}

func (p *plainMaps) addTokens(rows []tokenRow) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rows {
		p.tokens[r.kind+"\x00"+r.id] = plainToken{userID: r.userID, expires: r.expires}
	}
}

var errPlainMissing = errors.New("plain map: no such row")

// getSessionAndUser reads the session and its user, as validation does.
func (p *plainMaps) getSessionAndUser(id string, now int64) error {
	p.mu.RLock()
	s, ok := p.sessions[id]
	var u latch.Attributes
	if ok {
		u, ok = p.users[s.userID]
	}
	p.mu.RUnlock()
	if !ok || now >= s.idle || u == nil || s.attrs == nil {
		return errPlainMissing
	}
	return nil
}

// takeToken reads and deletes a token.
func (p *plainMaps) takeToken(kind, id string, now int64) error {
	k := kind + "\x00" + id
	p.mu.Lock()
	t, ok := p.tokens[k]
	delete(p.tokens, k)
	p.mu.Unlock()
	if !ok || t.userID == "" || now >= t.expires {
		return errPlainMissing
	}
	return nil
}
