package token

import (
	"context"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// PasswordResetOptions configure PasswordResets. Zero fields take their
// defaults.
type PasswordResetOptions struct {
	// Name is the handler's name. Default "password-reset".
	Name string
	// ExpiresIn is how long a reset link stays valid. Default 2 hours.
	ExpiresIn time.Duration
	// IssueLimit is how many links may be requested for one user within
	// IssueWindow. Default 3.
	IssueLimit int
	// IssueWindow is the window of IssueLimit, counted from the first
	// request. Default 15 minutes.
	IssueWindow time.Duration
	// Storage is Hashed (the default), Plain or CustomHash. With Plain,
	// Issue hands out again a link that still has more than half its life.
	Storage Storage
	// Length is the number of characters of a value. Default 43.
	Length int
}

// PasswordResets issues and validates password-reset links, as in Lucia's
// password-reset guide, with a per-user issue limit so that nobody can
// flood a mailbox. It is safe for concurrent use.
type PasswordResets struct {
	t           *IDTokens
	issueKind   string // the attempt counter of issue requests
	issueLimit  int
	issueWindow time.Duration
}

// NewPasswordResets returns the handler of reset links. A second handler
// with the same name on the same Auth is an error.
func NewPasswordResets(auth *latch.Auth, opts PasswordResetOptions) (*PasswordResets, error) {
	if opts.Name == "" {
		opts.Name = "password-reset"
	}
	c := config{ctor: "NewPasswordResets", opts: "PasswordResetOptions", name: opts.Name}
	if opts.ExpiresIn == 0 {
		opts.ExpiresIn = 2 * time.Hour
	}
	r := &PasswordResets{issueKind: opts.Name + ":issue", issueLimit: opts.IssueLimit, issueWindow: opts.IssueWindow}
	if r.issueLimit == 0 {
		r.issueLimit = 3
	}
	if r.issueWindow == 0 {
		r.issueWindow = 15 * time.Minute
	}
	switch {
	case r.issueLimit < 0:
		return nil, c.errorf("IssueLimit", "is %d: want 1 or more", r.issueLimit)
	case r.issueWindow < time.Second:
		return nil, c.errorf("IssueWindow", "is %v: want at least 1s", r.issueWindow)
	}
	h, err := newHandler(auth, c, opts.ExpiresIn, opts.Storage)
	if err != nil {
		return nil, err
	}
	length, err := checkLength(c, opts.Storage, opts.Length, 43)
	if err != nil {
		return nil, err
	}
	r.t = newIDTokens(h, length, nil)
	if err := h.register(c); err != nil {
		return nil, err
	}
	return r, nil
}

// Name returns the handler's name, the Kind of its tokens.
func (r *PasswordResets) Name() string { return r.t.h.kind }

// Issue returns a reset link token for the user. An unknown user is
// latch.ErrInvalidUserID. Every call counts against the user's issue
// limit; over it, Issue returns ErrTooManyRequests and creates nothing. With
// Plain storage, a token of the user with more than half its life left is
// returned again instead of a new one; with Hashed or CustomHash storage the
// value of an earlier token is not known, and a new one is issued.
func (r *PasswordResets) Issue(ctx context.Context, userID string) (Token, error) {
	const op = "issue"
	h := &r.t.h
	if err := h.checkUser(ctx, op, userID); err != nil {
		return Token{}, err
	}
	now := h.auth.Now()
	n, err := h.store.AddAttempt(ctx, r.issueKind, userID, now.UnixMilli(), now.Add(r.issueWindow).UnixMilli())
	if err != nil {
		if errors.Is(err, latch.ErrNotFound) {
			return Token{}, h.wrap(op, latch.ErrInvalidUserID)
		}
		return Token{}, h.wrap(op, err)
	}
	if n > r.issueLimit {
		return Token{}, h.wrap(op, ErrTooManyRequests)
	}
	if h.storage.keepsValue() {
		recs, err := h.store.ListTokens(ctx, userID, h.kind)
		if err != nil {
			return Token{}, h.wrap(op, err)
		}
		var best *latch.TokenRecord
		half := now.UnixMilli() + h.expiresIn.Milliseconds()/2
		for i := range recs {
			if rec := &recs[i]; rec.Expires > half && (best == nil || rec.Expires > best.Expires) {
				best = rec
			}
		}
		if best != nil {
			return Token{Kind: h.kind, UserID: userID, ExpiresAt: msTime(best.Expires), value: best.ID}, nil
		}
	}
	return r.t.put(ctx, userID)
}

// Validate consumes the reset token: ErrInvalidToken when unknown or used,
// ErrExpiredToken when expired (and gone). See IDTokens.Validate.
func (r *PasswordResets) Validate(ctx context.Context, value string) (Token, error) {
	return r.t.Validate(ctx, value)
}

// Invalidate deletes the token. It succeeds whatever the value.
func (r *PasswordResets) Invalidate(ctx context.Context, value string) error {
	return r.t.Invalidate(ctx, value)
}

// InvalidateAllUserTokens deletes the user's reset tokens, as after a
// successful reset. It succeeds whatever the user id.
func (r *PasswordResets) InvalidateAllUserTokens(ctx context.Context, userID string) error {
	return r.t.InvalidateAllUserTokens(ctx, userID)
}

// GetAllUserTokens returns the user's reset tokens; see
// IDTokens.GetAllUserTokens.
func (r *PasswordResets) GetAllUserTokens(ctx context.Context, userID string) ([]Token, error) {
	return r.t.GetAllUserTokens(ctx, userID)
}

// Peek checks the reset token without consuming it: ErrInvalidToken when
// unknown or used, ErrExpiredToken when expired. A reset on a split setup
// peeks, commits the new password with the token's use recorded beside it
// in the users' store, and only then takes the token (see IssuedAt).
func (r *PasswordResets) Peek(ctx context.Context, value string) (Token, error) {
	return r.t.h.peek(ctx, "peek", value)
}

// IssuedAt returns when the token was issued: its expiry less the
// handler's ExpiresIn.
func (r *PasswordResets) IssuedAt(t Token) time.Time { return t.ExpiresAt.Add(-r.t.h.expiresIn) }
