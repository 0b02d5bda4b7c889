package main

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/scrypt"

	"github.com/latchauth/latch"
)

// The store operations, in table order. key is what the Lucia peer calls
// the same operation.
var storeOps = []struct {
	key, title string
}{
	{"validate", "validate session"},
	{"create", "create session"},
	{"token", "token issue+consume"},
	{"key", "use key, no password"},
	{"key_argon2id", "use key + password (Argon2id)"},
	{"key_s2", "use key + password (s2 scrypt)"},
}

// pair is one operation through Latch and, where a driver is involved,
// the same commands sent directly (nil for the memory store).
type pair struct {
	latch, limit op
	limitNote    string
}

// limitID returns a unique id of 64 characters, the length of the SHA-256
// hex ids Latch stores, without the cost of making a random one.
func limitID(prefix string, i int) string {
	n := strconv.Itoa(i)
	return prefix + strings.Repeat("0", max(64-len(prefix)-len(n), 0)) + n
}

// pairs builds the operations of the store section on a seeded env.
func (e *env) pairs(h hashes) (map[string]pair, error) {
	n, pw := len(e.users), min(len(e.users), passwordUsers)
	if n == 0 || len(e.sessionTokens) != n {
		return nil, errors.New("env is not seeded")
	}
	now := time.Now()
	active := now.Add(24 * time.Hour).UnixMilli()
	idle := now.Add(15 * 24 * time.Hour).UnixMilli()
	tokenExp := now.Add(2 * time.Hour).UnixMilli()
	newAttrs, err := latch.MarshalAttributes(newSessionAttrs)
	if err != nil {
		return nil, err
	}
	password := benchPassword
	argon, err := parseArgon2id(h.argon2id)
	if err != nil {
		return nil, err
	}
	s2, err := parseS2(h.s2)
	if err != nil {
		return nil, err
	}

	p := map[string]pair{
		"validate": {latch: func(ctx context.Context, i int) error {
			s, err := e.auth.ValidateSession(ctx, e.sessionTokens[i%n])
			if err == nil && s.Fresh {
				err = errors.New("an active session was renewed")
			}
			return err
		}},
		"create": {latch: func(ctx context.Context, i int) error {
			_, err := e.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: e.users[i%n], Attributes: newSessionAttrs})
			return err
		}},
		"token": {latch: func(ctx context.Context, i int) error {
			t, err := e.ids.Issue(ctx, e.users[i%n])
			if err != nil {
				return err
			}
			_, err = e.ids.Validate(ctx, t.String())
			return err
		}},
		"key": {latch: func(ctx context.Context, i int) error {
			_, err := e.auth.UseKey(ctx, "email", e.emails[i%n], nil)
			return err
		}},
		"key_argon2id": {latch: func(ctx context.Context, i int) error {
			_, err := e.auth.UseKey(ctx, "pwa", e.emails[i%pw], &password)
			return err
		}},
		"key_s2": {latch: func(ctx context.Context, i int) error {
			_, err := e.authS2.UseKey(ctx, "pws", e.emails[i%pw], &password)
			return err
		}},
	}
	if e.sql == nil {
		return p, nil
	}
	d := e.sql
	set := func(k string, o op, note string) {
		x := p[k]
		x.limit, x.limitNote = o, note
		p[k] = x
	}
	keyPassword := func(provider string, verify func(hash string) error) op {
		return func(ctx context.Context, i int) error {
			hash, err := d.getKey(ctx, latch.KeyID(provider, e.emails[i%pw]))
			if err != nil {
				return err
			}
			return verify(hash)
		}
	}
	set("key", func(ctx context.Context, i int) error {
		_, err := d.getKey(ctx, latch.KeyID("email", e.emails[i%n]))
		return err
	}, "SELECT key")
	set("key_argon2id", keyPassword("pwa", func(hash string) error { return argon.verify(hash, password) }),
		"SELECT key + argon2.IDKey")
	set("key_s2", keyPassword("pws", func(hash string) error { return s2.verify(hash, password) }),
		"SELECT key + scrypt.Key")
	if e.redis == nil {
		set("validate", func(ctx context.Context, i int) error {
			return d.getSessionAndUser(ctx, e.sessionIDs[i%n])
		}, "session⋈user SELECT")
		set("create", func(ctx context.Context, i int) error {
			u := e.users[i%n]
			if err := d.getUser(ctx, u); err != nil {
				return err
			}
			return d.insertSession(ctx, sessionRow{id: limitID("lc", i), userID: u, active: active, idle: idle, attrs: newAttrs})
		}, "SELECT user + INSERT")
		takeNote := "INSERT + DELETE…RETURNING"
		if e.name == "mysql" {
			takeNote = "INSERT + tx(SELECT…FOR UPDATE, DELETE)"
		}
		set("token", func(ctx context.Context, i int) error {
			id := limitID("lt", i)
			if err := d.putToken(ctx, tokenRow{kind: tokenKind, id: id, userID: e.users[i%n], expires: tokenExp}); err != nil {
				return err
			}
			return d.takeToken(ctx, tokenKind, id)
		}, takeNote)
		return p, nil
	}
	r := e.redis
	sessionTTL, tokenTTL := idle-now.UnixMilli(), tokenExp-now.UnixMilli()
	set("validate", func(ctx context.Context, i int) error {
		if err := r.getSession(ctx, e.sessionIDs[i%n]); err != nil {
			return err
		}
		return d.getUser(ctx, e.users[i%n])
	}, "HMGET + SELECT user")
	set("create", func(ctx context.Context, i int) error {
		u := e.users[i%n]
		if err := d.getUser(ctx, u); err != nil {
			return err
		}
		return r.createSession(ctx, sessionRow{id: limitID("lc", i), userID: u, active: active, idle: idle, attrs: newAttrs}, sessionTTL)
	}, "SELECT user + EVALSHA")
	set("token", func(ctx context.Context, i int) error {
		u := e.users[i%n]
		if err := d.getUser(ctx, u); err != nil {
			return err
		}
		id := limitID("lt", i)
		if err := r.putToken(ctx, tokenRow{kind: tokenKind, id: id, userID: u, expires: tokenExp}, tokenTTL); err != nil {
			return err
		}
		return r.takeToken(ctx, tokenKind, id, u)
	}, "SELECT user + 2 EVALSHA")
	return p, nil
}

// argon2Params is a parsed Argon2id PHC string, for the limit side: the
// hash function itself, called directly.
type argon2Params struct {
	raw       string
	m, t      uint32
	p         uint8
	salt, key []byte
}

func parseArgon2id(h string) (argon2Params, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return argon2Params{}, fmt.Errorf("not an Argon2id hash: %q", h)
	}
	a := argon2Params{raw: h}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &a.m, &a.t, &a.p); err != nil {
		return argon2Params{}, err
	}
	var err error
	if a.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return argon2Params{}, err
	}
	if a.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil {
		return argon2Params{}, err
	}
	return a, nil
}

var (
	errMismatch       = errors.New("password does not match")
	errUnexpectedHash = errors.New("the stored hash is not the one seeded")
)

// verify checks password against the stored hash, which must be the one
// parsed (parsing is cheap; the key derivation is the work).
func (a argon2Params) verify(hash, password string) error {
	if hash != a.raw {
		return errUnexpectedHash
	}
	k := argon2.IDKey([]byte(password), a.salt, a.t, a.m, a.p, uint32(len(a.key)))
	if subtle.ConstantTimeCompare(k, a.key) != 1 {
		return errMismatch
	}
	return nil
}

// s2Params is a parsed "s2:<salt>:<hex key>" hash (Lucia v2's scrypt).
type s2Params struct {
	raw       string
	salt, key []byte
}

func parseS2(h string) (s2Params, error) {
	parts := strings.Split(h, ":")
	if len(parts) != 3 || parts[0] != "s2" {
		return s2Params{}, fmt.Errorf("not an s2 hash: %q", h)
	}
	key, err := hex.DecodeString(parts[2])
	if err != nil {
		return s2Params{}, err
	}
	return s2Params{raw: h, salt: []byte(parts[1]), key: key}, nil
}

func (s s2Params) verify(hash, password string) error {
	if hash != s.raw {
		return errUnexpectedHash
	}
	k, err := scrypt.Key([]byte(password), s.salt, 16384, 16, 1, len(s.key))
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(k, s.key) != 1 {
		return errMismatch
	}
	return nil
}
