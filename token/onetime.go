package token

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/latchauth/latch"
)

// OneTimeTokenOptions configure OneTimeTokens.
type OneTimeTokenOptions struct {
	// ExpiresIn is how long a token stays valid. Default 3 minutes.
	ExpiresIn time.Duration
	// Length is the number of characters of a generated value. Default 32
	// (about 190 bits from a-zA-Z0-9).
	Length int
	// Generate makes a value for the session; default latch.RandomString
	// of Length characters of latch.AlphabetAlphanumeric. The value is the
	// key to the session's secret (see OneTimeTokens): it must be
	// unguessable.
	Generate func(session latch.Session) (string, error)
	// Storage is Hashed (the default), Plain or CustomHash.
	Storage Storage
}

// OneTimeTokens hands a signed-in session over to another client or domain:
// Generate binds a short-lived single-use token to a session, and Verify
// exchanges it for that session, token included (to set as a cookie
// there). It is safe for concurrent use.
//
// The stored row keeps the session's id and its secret token sealed with
// AES-256-GCM under a key derived from the one-time value
// (SHA-256("latch one-time token\x00" + value)): whoever holds the value
// can recover the session token, whoever reads the table cannot, even with
// Plain storage. A session that has expired or been revoked since is never
// handed out: Verify reads it again and returns ErrInvalidToken.
type OneTimeTokens struct {
	h      handler
	length int
	gen    func(latch.Session) (string, error)
}

// NewOneTimeTokens returns the handler of one-time tokens named name. A
// second handler with the same name on the same Auth is an error.
func NewOneTimeTokens(auth *latch.Auth, name string, opts OneTimeTokenOptions) (*OneTimeTokens, error) {
	c := config{ctor: "NewOneTimeTokens", opts: "OneTimeTokenOptions", name: name}
	if opts.ExpiresIn == 0 {
		opts.ExpiresIn = 3 * time.Minute
	}
	h, err := newHandler(auth, c, opts.ExpiresIn, opts.Storage)
	if err != nil {
		return nil, err
	}
	length, err := checkLength(c, opts.Storage, opts.Length, 32)
	if err != nil {
		return nil, err
	}
	o := &OneTimeTokens{h: h, length: length, gen: opts.Generate}
	if o.gen == nil {
		o.gen = func(latch.Session) (string, error) { return latch.RandomString(o.length, latch.AlphabetAlphanumeric) }
	}
	if err := o.h.register(c); err != nil {
		return nil, err
	}
	return o, nil
}

// Name returns the handler's name, the Kind of its tokens.
func (o *OneTimeTokens) Name() string { return o.h.kind }

// InvalidateAllUserTokens deletes the user's open one-time tokens. It
// succeeds whatever the user id.
func (o *OneTimeTokens) InvalidateAllUserTokens(ctx context.Context, userID string) error {
	return o.h.invalidateAll(ctx, userID)
}

// Generate returns a new token bound to the session. The session must
// carry its Token (the secret, as returned by CreateSession or
// ValidateSession) and still be alive; otherwise the error matches
// latch.ErrInvalidSessionID.
func (o *OneTimeTokens) Generate(ctx context.Context, session latch.Session) (Token, error) {
	const op = "generate"
	if session.Token == "" {
		return Token{}, o.h.wrap(op, fmt.Errorf("the session has no Token (use the session returned by CreateSession or ValidateSession): %w", latch.ErrInvalidSessionID))
	}
	// Read the session by its token: this checks that it is alive and that
	// the token is its secret, not just any string beside its id.
	live, err := o.h.auth.GetSession(ctx, session.Token)
	if err != nil {
		return Token{}, o.h.wrap(op, err)
	}
	if session.ID != "" && live.ID != session.ID {
		return Token{}, o.h.wrap(op, fmt.Errorf("the session's Token does not belong to its ID: %w", latch.ErrInvalidSessionID))
	}
	gen := func() (string, error) { return o.gen(session) }
	seal := func(value string) ([]byte, error) { return sealSession(value, live.Token, o.h.kind, live.ID) }
	return o.h.put(ctx, op, live.UserID, live.ID, gen, seal)
}

// Verify consumes the token and returns the session it was bound to, with
// its User and Token, as GetSession returns it (not renewed). An unknown or
// used value, or a session that has expired or been revoked, is
// ErrInvalidToken; an expired token is ErrExpiredToken.
func (o *OneTimeTokens) Verify(ctx context.Context, value string) (latch.Session, error) {
	const op = "verify"
	rec, expired, err := o.h.take(ctx, op, value, "")
	if err != nil {
		return latch.Session{}, err
	}
	if expired {
		return latch.Session{}, o.h.wrap(op, ErrExpiredToken)
	}
	secret, ok := openSession(value, rec.Data, o.h.kind, rec.SessionID)
	if !ok {
		return latch.Session{}, o.h.wrap(op, ErrInvalidToken)
	}
	s, err := o.h.auth.GetSession(ctx, secret)
	switch {
	case errors.Is(err, latch.ErrInvalidSessionID):
		return latch.Session{}, o.h.wrap(op, ErrInvalidToken)
	case err != nil:
		return latch.Session{}, o.h.wrap(op, err)
	case s.ID != rec.SessionID || s.UserID != rec.UserID:
		return latch.Session{}, o.h.wrap(op, ErrInvalidToken)
	}
	return s, nil
}

// sealVersion is the first byte of a sealed session token, for a future
// change of format.
const sealVersion = 1

// sealKey derives the AES-256 key from a one-time value. The label keeps it
// apart from the stored digest of the same value (latch.HashToken).
func sealKey(value string) [32]byte {
	return sha256.Sum256([]byte("latch one-time token\x00" + value))
}

// sealAEAD returns AES-256-GCM with random nonces (prepended by Seal, read
// back by Open). A key is meant for one value, but a custom generator may
// repeat values: random nonces keep a repeated key safe.
func sealAEAD(value string) (cipher.AEAD, error) {
	key := sealKey(value)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// sealAD binds the sealed secret to the row it belongs in.
func sealAD(kind, sessionID string) []byte { return []byte(kind + "\x00" + sessionID) }

func sealSession(value, sessionToken, kind, sessionID string) ([]byte, error) {
	aead, err := sealAEAD(value)
	if err != nil {
		return nil, fmt.Errorf("sealing the session token: %w", err)
	}
	return aead.Seal([]byte{sealVersion}, nil, []byte(sessionToken), sealAD(kind, sessionID)), nil
}

func openSession(value string, data []byte, kind, sessionID string) (string, bool) {
	if len(data) < 1 || data[0] != sealVersion {
		return "", false
	}
	aead, err := sealAEAD(value)
	if err != nil {
		return "", false
	}
	plain, err := aead.Open(nil, nil, data[1:], sealAD(kind, sessionID))
	if err != nil {
		return "", false
	}
	return string(plain), true
}
