package token

import (
	"context"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// PasswordTokenOptions configure PasswordTokens.
type PasswordTokenOptions struct {
	// ExpiresIn is how long a code stays valid. Required, at least 1s. It is
	// also the window of the attempt counter.
	ExpiresIn time.Duration
	// Length is the number of digits of a generated code. Default 8.
	Length int
	// Generate makes a code of the given length; default latch.RandomString
	// with latch.AlphabetDigits.
	Generate func(length int) (string, error)
	// Storage is Hashed (the default), Plain or CustomHash.
	Storage Storage
	// MaxAttempts is how many codes a user may try between two issues.
	// Default 5.
	MaxAttempts int
}

// PasswordTokens issues and validates short numeric codes that the user
// types in (email verification codes, sign-in codes). A code belongs to
// its user: Validate takes the user id, and a code of user A never
// validates for user B, nor does B's try consume it. It is safe for
// concurrent use.
//
// A code of 8 digits is guessable, so tries are counted per user: each
// Validate counts one before it looks the code up, and after MaxAttempts
// wrong codes every open code of this name for the user is invalidated and
// ErrTooManyAttempts returned until a new code is issued (or ExpiresIn
// after the first counted try, when every code it guarded has expired
// anyway). Counting first, with the store's atomic counter, is what holds
// under concurrency: 50 simultaneous guesses get 50 distinct counts, and
// only those counted 1 to MaxAttempts reach the store's lookup; the rest
// are refused unseen. A code is looked up whole, by its digest by default,
// never compared digit by digit, so a wrong code tells nothing about which
// digits were right (and with MaxAttempts lookups per issued code there is
// no room to measure timings either).
//
// Issue replaces the user's open codes of this name and resets the
// counter, so the user has one code and MaxAttempts tries at a time.
// Rate-limit whatever lets a client trigger Issue: each issue restores the
// tries.
type PasswordTokens struct {
	h           handler
	length      int
	gen         func(length int) (string, error)
	maxAttempts int
}

// NewPasswordTokens returns the handler of codes named name (the Kind of
// its tokens, and of its attempt counters). A second handler with the same
// name on the same Auth is an error.
func NewPasswordTokens(auth *latch.Auth, name string, opts PasswordTokenOptions) (*PasswordTokens, error) {
	c := config{ctor: "NewPasswordTokens", opts: "PasswordTokenOptions", name: name}
	h, err := newHandler(auth, c, opts.ExpiresIn, opts.Storage)
	if err != nil {
		return nil, err
	}
	length, err := checkLength(c, opts.Storage, opts.Length, 8)
	if err != nil {
		return nil, err
	}
	p := &PasswordTokens{h: h, length: length, gen: opts.Generate, maxAttempts: opts.MaxAttempts}
	if p.gen == nil {
		p.gen = func(n int) (string, error) { return latch.RandomString(n, latch.AlphabetDigits) }
	}
	switch {
	case p.maxAttempts == 0:
		p.maxAttempts = 5
	case p.maxAttempts < 0:
		return nil, c.errorf("MaxAttempts", "is %d: want 1 or more", p.maxAttempts)
	}
	if err := p.h.register(c); err != nil {
		return nil, err
	}
	return p, nil
}

// Name returns the handler's name, the Kind of its tokens.
func (p *PasswordTokens) Name() string { return p.h.kind }

// Issue creates a code for the user, replacing the user's open codes of
// this name, and resets the user's attempt counter. An unknown user is
// latch.ErrInvalidUserID. Codes are unique per name across users: when a
// generated code is taken, Issue tries new ones, up to four in all, then
// returns ErrDuplicateToken.
func (p *PasswordTokens) Issue(ctx context.Context, userID string) (Token, error) {
	return p.IssueWithData(ctx, userID, nil)
}

// IssueWithData is Issue with a payload kept beside the code, in plain
// form (never put a secret in it), and returned by ValidateWithData: what
// the code was made for (a step-up code keeps its session and action).
func (p *PasswordTokens) IssueWithData(ctx context.Context, userID string, data []byte) (Token, error) {
	const op = "issue"
	if err := p.h.checkUserBeforePut(ctx, op, userID); err != nil {
		return Token{}, err
	}
	if err := p.h.store.DeleteUserTokens(ctx, userID, p.h.kind); err != nil {
		return Token{}, p.h.wrap(op, err)
	}
	if err := p.h.store.ResetAttempts(ctx, p.h.kind, userID); err != nil {
		return Token{}, p.h.wrap(op, err)
	}
	var payload func(string) ([]byte, error)
	if data != nil {
		payload = func(string) ([]byte, error) { return append([]byte(nil), data...), nil }
	}
	return p.h.put(ctx, op, userID, "", func() (string, error) { return p.gen(p.length) }, payload)
}

// Validate consumes the user's code. A wrong, used or malformed code is
// ErrInvalidToken and counts as an attempt (malformed ones do not: they
// cannot match); an expired one is ErrExpiredToken and is gone. The
// MaxAttempts-th wrong code invalidates the user's open codes and returns
// ErrTooManyAttempts, as does every try after it until the next Issue.
func (p *PasswordTokens) Validate(ctx context.Context, value, userID string) (Token, error) {
	t, _, err := p.ValidateWithData(ctx, value, userID)
	return t, err
}

// ValidateWithData is Validate that also returns the payload the code was
// issued with (nil for none).
func (p *PasswordTokens) ValidateWithData(ctx context.Context, value, userID string) (Token, []byte, error) {
	const op = "validate"
	if !p.h.validValue(value) || !validUserID(userID) {
		p.h.observe(latch.OutcomeInvalid)
		return Token{}, nil, p.h.wrap(op, ErrInvalidToken)
	}
	now := p.h.auth.Now()
	n, err := p.h.store.AddAttempt(ctx, p.h.kind, userID, now.UnixMilli(), now.Add(p.h.expiresIn).UnixMilli())
	if err != nil {
		if errors.Is(err, latch.ErrNotFound) { // no such user: no code of theirs
			p.h.observe(latch.OutcomeInvalid)
			return Token{}, nil, p.h.wrap(op, ErrInvalidToken)
		}
		return Token{}, nil, p.h.wrap(op, err)
	}
	if n > p.maxAttempts {
		p.h.observe(latch.OutcomeTooManyAttempts)
		return Token{}, nil, p.h.wrap(op, ErrTooManyAttempts)
	}
	rec, expired, err := p.h.take(ctx, op, value, userID)
	if err == nil && expired {
		err = p.h.wrap(op, ErrExpiredToken)
	}
	switch {
	case err == nil:
		// The code is consumed: the validation stands even if the counter
		// cannot be reset now (the next Issue resets it).
		_ = p.h.store.ResetAttempts(ctx, p.h.kind, userID)
		return Token{Kind: p.h.kind, UserID: rec.UserID, ExpiresAt: msTime(rec.Expires), value: value}, rec.Data, nil
	case !errors.Is(err, ErrInvalidToken):
		return Token{}, nil, err
	case n == p.maxAttempts:
		if err := p.h.store.DeleteUserTokens(ctx, userID, p.h.kind); err != nil {
			return Token{}, nil, p.h.wrap(op, err)
		}
		// The take above counted this wrong code as invalid; the limit it
		// reached is counted too.
		p.h.observe(latch.OutcomeTooManyAttempts)
		return Token{}, nil, p.h.wrap(op, ErrTooManyAttempts)
	}
	return Token{}, nil, &WrongCodeError{AttemptsLeft: p.maxAttempts - n, err: err}
}

// WrongCodeError is the error of a wrong code that still leaves tries:
// it matches ErrInvalidToken with errors.Is, and says how many tries are
// left (errors.As), so a page can tell the person.
type WrongCodeError struct {
	AttemptsLeft int
	err          error
}

// Error is the ErrInvalidToken error's text: the count is for pages.
func (e *WrongCodeError) Error() string { return e.err.Error() }

// Unwrap returns the ErrInvalidToken error.
func (e *WrongCodeError) Unwrap() error { return e.err }

// Invalidate deletes the user's code. It succeeds whatever the input, and
// never touches another user's code.
func (p *PasswordTokens) Invalidate(ctx context.Context, value, userID string) error {
	if !p.h.validValue(value) || !validUserID(userID) {
		return nil
	}
	// The store deletes by (kind, id) alone; TakeToken is its delete that
	// checks the user.
	if _, _, err := p.h.takeQuiet(ctx, "invalidate", value, userID); err != nil && !errors.Is(err, ErrInvalidToken) {
		return err
	}
	return nil
}

// InvalidateAllUserTokens deletes the user's codes of this name. It
// succeeds whatever the user id.
func (p *PasswordTokens) InvalidateAllUserTokens(ctx context.Context, userID string) error {
	return p.h.invalidateAll(ctx, userID)
}

// GetAllUserTokens returns the user's codes of this name, valid and
// expired. With Hashed or CustomHash storage they carry no value (String
// returns ""). An unknown user is latch.ErrInvalidUserID.
func (p *PasswordTokens) GetAllUserTokens(ctx context.Context, userID string) ([]Token, error) {
	return p.h.list(ctx, userID)
}
