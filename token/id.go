package token

import (
	"context"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// IDTokenOptions configure IDTokens.
type IDTokenOptions struct {
	// ExpiresIn is how long a token stays valid. Required, at least 1s.
	ExpiresIn time.Duration
	// Length is the number of characters of a generated value. Default 43
	// (about 256 bits from a-zA-Z0-9). There are no attempt limits on id
	// tokens: keep values long enough that guessing is hopeless.
	Length int
	// Generate makes a value of the given length; default
	// latch.RandomString with latch.AlphabetAlphanumeric. It must return 1
	// to MaxLength bytes of printable ASCII.
	Generate func(length int) (string, error)
	// Storage is Hashed (the default), Plain or CustomHash.
	Storage Storage
}

// IDTokens issues and validates single-use tokens that identify their user
// by themselves: email verification links, magic links, reset links. It is
// safe for concurrent use.
type IDTokens struct {
	h      handler
	length int
	gen    func(length int) (string, error)
}

// NewIDTokens returns the handler of id tokens named name (the Kind of its
// tokens). A second handler with the same name on the same Auth is an
// error, as is an Auth without a token store.
func NewIDTokens(auth *latch.Auth, name string, opts IDTokenOptions) (*IDTokens, error) {
	c := config{ctor: "NewIDTokens", opts: "IDTokenOptions", name: name}
	h, err := newHandler(auth, c, opts.ExpiresIn, opts.Storage)
	if err != nil {
		return nil, err
	}
	length, err := checkLength(c, opts.Storage, opts.Length, 43)
	if err != nil {
		return nil, err
	}
	t := newIDTokens(h, length, opts.Generate)
	if err := h.register(c); err != nil {
		return nil, err
	}
	return t, nil
}

func newIDTokens(h handler, length int, gen func(int) (string, error)) *IDTokens {
	if gen == nil {
		gen = func(n int) (string, error) { return latch.RandomString(n, latch.AlphabetAlphanumeric) }
	}
	return &IDTokens{h: h, length: length, gen: gen}
}

// Name returns the handler's name, the Kind of its tokens.
func (t *IDTokens) Name() string { return t.h.kind }

// Issue creates a token for the user. An unknown user is
// latch.ErrInvalidUserID. When the store reports the generated value as
// taken, Issue tries new values, up to four in all, then returns
// ErrDuplicateToken.
func (t *IDTokens) Issue(ctx context.Context, userID string) (Token, error) {
	if err := t.h.checkUserBeforePut(ctx, "issue", userID); err != nil {
		return Token{}, err
	}
	return t.put(ctx, userID)
}

// put is Issue after the user check.
func (t *IDTokens) put(ctx context.Context, userID string) (Token, error) {
	return t.h.put(ctx, "issue", userID, "", func() (string, error) { return t.gen(t.length) }, nil)
}

// Validate consumes the token: it is read and deleted in one atomic step,
// so of concurrent calls with the same value exactly one succeeds. An
// unknown, used or malformed value is ErrInvalidToken; an expired token is
// ErrExpiredToken, and it is gone too.
func (t *IDTokens) Validate(ctx context.Context, value string) (Token, error) {
	return t.h.validate(ctx, "validate", value, "")
}

// Peek returns the token without consuming it, for a check that must
// leave the token usable when it fails (a link that asks for a password
// first). The errors are Validate's; an expired token stays in place.
func (t *IDTokens) Peek(ctx context.Context, value string) (Token, error) {
	return t.h.peek(ctx, "peek", value)
}

// Invalidate deletes the token. It succeeds whatever the value.
func (t *IDTokens) Invalidate(ctx context.Context, value string) error {
	return t.h.invalidate(ctx, value)
}

// InvalidateAllUserTokens deletes the user's tokens of this name. It
// succeeds whatever the user id.
func (t *IDTokens) InvalidateAllUserTokens(ctx context.Context, userID string) error {
	return t.h.invalidateAll(ctx, userID)
}

// GetAllUserTokens returns the user's tokens of this name, valid and
// expired, earliest expiry first. With Hashed or CustomHash storage the
// tokens carry no value (String returns ""): only its digest is stored. An
// unknown user is latch.ErrInvalidUserID.
func (t *IDTokens) GetAllUserTokens(ctx context.Context, userID string) ([]Token, error) {
	return t.h.list(ctx, userID)
}

// IssueWithData is Issue with a payload kept beside the token, in plain
// form (never put a secret in it), and returned by ValidateWithData. An
// email change keeps the new address this way.
func (t *IDTokens) IssueWithData(ctx context.Context, userID string, data []byte) (Token, error) {
	if err := t.h.checkUserBeforePut(ctx, "issue", userID); err != nil {
		return Token{}, err
	}
	payload := func(string) ([]byte, error) { return append([]byte(nil), data...), nil }
	return t.h.put(ctx, "issue", userID, "", func() (string, error) { return t.gen(t.length) }, payload)
}

// ValidateWithData is Validate that also returns the payload the token
// was issued with (nil for none).
func (t *IDTokens) ValidateWithData(ctx context.Context, value string) (Token, []byte, error) {
	const op = "validate"
	rec, expired, err := t.h.take(ctx, op, value, "")
	if err != nil {
		return Token{}, nil, err
	}
	if expired {
		return Token{}, nil, t.h.wrap(op, ErrExpiredToken)
	}
	return Token{Kind: t.h.kind, UserID: rec.UserID, ExpiresAt: msTime(rec.Expires), value: value}, rec.Data, nil
}

// PeekWithData is Peek that also returns the payload the token was issued
// with: for a check that reads what the token stands for before deciding
// to consume it (a pending sign-in that waits for a second factor).
func (t *IDTokens) PeekWithData(ctx context.Context, value string) (Token, []byte, error) {
	const op = "peek"
	if !validValue(value) {
		return Token{}, nil, t.h.wrap(op, ErrInvalidToken)
	}
	id, err := t.h.storage.id(value)
	if err != nil {
		return Token{}, nil, t.h.wrap(op, err)
	}
	rec, err := t.h.store.GetToken(ctx, t.h.kind, id)
	if errors.Is(err, latch.ErrNotFound) {
		return Token{}, nil, t.h.wrap(op, ErrInvalidToken)
	}
	if err != nil {
		return Token{}, nil, t.h.wrap(op, err)
	}
	if t.h.auth.Now().UnixMilli() >= rec.Expires {
		return Token{}, nil, t.h.wrap(op, ErrExpiredToken)
	}
	return Token{Kind: t.h.kind, UserID: rec.UserID, ExpiresAt: msTime(rec.Expires), value: value}, rec.Data, nil
}
