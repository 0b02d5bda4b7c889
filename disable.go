package latch

import (
	"context"
	"fmt"
)

// DisabledAttribute is the user attribute that marks a disabled user: the
// time it was disabled, nil (or absent) for a user who may sign in.
// Auth.DisableUser and Auth.EnableUser write it; the store keeps it like
// any other attribute, except store/lucia2, which keeps it in a table of
// its own (Lucia's tables get no new column).
const DisabledAttribute = "latch_disabled_at"

// ErrUserDisabled is returned by CreateSession (wrapped) for a user that
// an administrator disabled. Every way in (password, magic link, password
// reset, one-time token, OAuth, CLI code) ends in CreateSession, so this is
// the one place that refuses them all.
var ErrUserDisabled = &Error{Code: "AUTH_USER_DISABLED", Message: "the user is disabled"}

// Disabled reports whether the user is disabled (see DisabledAttribute).
func (u User) Disabled() bool { return disabled(u.Attributes) }

func disabled(attrs Attributes) bool { return attrs[DisabledAttribute] != nil }

// DisableUser disables the user: from then on CreateSession refuses them
// with ErrUserDisabled and ValidateSession refuses their sessions. Their
// sessions are deleted and their open single-use tokens (reset and magic
// links, codes, one-time tokens) voided, together with the flag in one
// transaction where the store has transactions (see InTx). With sessions
// and tokens in another store (Redis), the flag is written first: a
// session that outlives a failure in between is still refused. Disabling
// a disabled user renews the deletions and keeps the first time.
func (a *Auth) DisableUser(ctx context.Context, userID string) (User, error) {
	if checkID("user id", userID) != nil {
		return User{}, fmt.Errorf("latch: disable user: %w", ErrInvalidUserID)
	}
	var u User
	err := a.InTx(ctx, func(ctx context.Context) error {
		cur, err := a.users.GetUser(ctx, userID)
		if err != nil {
			return notFound(err, ErrInvalidUserID)
		}
		if !disabled(cur.Attributes) {
			patch := Attributes{DisabledAttribute: fromMS(ms(a.now()))}
			if err := a.users.UpdateUserAttributes(ctx, userID, patch); err != nil {
				return notFound(err, ErrInvalidUserID)
			}
		}
		if err := a.sessions.DeleteSessionsByUser(ctx, userID); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		if a.tokens != nil {
			if err := a.tokens.DeleteUserTokens(ctx, userID, ""); err != nil {
				return fmt.Errorf("tokens: %w", err)
			}
		}
		rec, err := a.users.GetUser(ctx, userID)
		if err != nil {
			return notFound(err, ErrInvalidUserID)
		}
		u = userFromRecord(rec)
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("latch: disable user: %w", err)
	}
	return u, nil
}

// EnableUser lets a disabled user sign in again. Sessions created in a
// race with DisableUser (a sign-in that read the user just before the
// flag was written) are deleted here, so none comes back to life.
func (a *Auth) EnableUser(ctx context.Context, userID string) (User, error) {
	if checkID("user id", userID) != nil {
		return User{}, fmt.Errorf("latch: enable user: %w", ErrInvalidUserID)
	}
	var u User
	err := a.InTx(ctx, func(ctx context.Context) error {
		cur, err := a.users.GetUser(ctx, userID)
		if err != nil {
			return notFound(err, ErrInvalidUserID)
		}
		if disabled(cur.Attributes) {
			if err := a.users.UpdateUserAttributes(ctx, userID, Attributes{DisabledAttribute: nil}); err != nil {
				return notFound(err, ErrInvalidUserID)
			}
			if err := a.sessions.DeleteSessionsByUser(ctx, userID); err != nil {
				return fmt.Errorf("sessions: %w", err)
			}
		}
		rec, err := a.users.GetUser(ctx, userID)
		if err != nil {
			return notFound(err, ErrInvalidUserID)
		}
		u = userFromRecord(rec)
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("latch: enable user: %w", err)
	}
	return u, nil
}
