package latch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Second factors and passkeys are kept as factor records beside the user:
// one row per factor, whatever its kind. What a kind needs (an encrypted
// TOTP secret, a WebAuthn credential and its signature counter) is in Data,
// which the store keeps as opaque bytes: the store never sees a secret in
// the clear, and a new kind needs no new table.

// Factor kinds.
const (
	FactorTOTP    = "totp"
	FactorPasskey = "passkey"
)

// FactorRecord is a second factor or a passkey as stored.
type FactorRecord struct {
	// ID is unique across all users: a passkey's is its credential id
	// (base64url), so a sign-in finds the passkey by the id the
	// authenticator returns; a TOTP factor's is random.
	ID     string
	UserID string
	Kind   string // FactorTOTP, FactorPasskey, ...
	// Name is what the user calls it ("YubiKey", "Pixel 9").
	Name string
	// Data is the kind's own state; secrets in it are encrypted by the
	// caller before they reach the store.
	Data       []byte
	CreatedAt  int64 // ms
	LastUsedAt int64 // ms; 0 when never used
}

// FactorStore keeps second factors and passkeys. It is optional; Auth finds
// it on Config.Factors, or else on Config.Store or Config.Users by type
// assertion. It lives with the users, so that InUserTx covers it, and
// DeleteUser removes a user's factors with the user.
type FactorStore interface {
	// CreateFactor stores a factor. ErrDuplicate when the id is taken,
	// ErrNotFound when the user does not exist.
	CreateFactor(ctx context.Context, f FactorRecord) error
	// GetFactor returns the factor, or ErrNotFound.
	GetFactor(ctx context.Context, id string) (FactorRecord, error)
	// ListFactors returns the user's factors, oldest first (CreatedAt,
	// then ID).
	ListFactors(ctx context.Context, userID string) ([]FactorRecord, error)
	// UpdateFactor replaces the factor's Name, Data and LastUsedAt (ID,
	// UserID, Kind and CreatedAt never change). ErrNotFound when missing.
	UpdateFactor(ctx context.Context, f FactorRecord) error
	// DeleteFactor removes one factor; it succeeds whatever the input.
	DeleteFactor(ctx context.Context, id string) error
	// DeleteFactorsByUser removes all of the user's factors.
	DeleteFactorsByUser(ctx context.Context, userID string) error
}

// FactorScanner is a FactorStore that can go through every factor of a
// kind, for maintenance such as sealing every TOTP secret again after a
// key rotation. The SQL stores and the memory store are.
type FactorScanner interface {
	// ScanFactors returns up to limit factors of the kind whose id is
	// greater than afterID (byte order), in id order; the last id of a page
	// is the afterID of the next.
	ScanFactors(ctx context.Context, kind, afterID string, limit int) ([]FactorRecord, error)
}

// ScanFactors returns a page of the factors of a kind (see FactorScanner);
// errors.ErrUnsupported when the factor store cannot scan.
func (a *Auth) ScanFactors(ctx context.Context, kind, afterID string, limit int) ([]FactorRecord, error) {
	if a.factors == nil {
		return nil, ErrNoFactorStore
	}
	sc, ok := a.factors.(FactorScanner)
	if !ok {
		return nil, fmt.Errorf("latch: scan factors: %w", errors.ErrUnsupported)
	}
	fs, err := sc.ScanFactors(ctx, kind, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("latch: scan factors: %w", err)
	}
	return fs, nil
}

// Limits of a factor's fields.
const (
	MaxFactorIDLength   = 255
	MaxFactorNameLength = 64 // characters
	MaxFactorDataLength = 16 << 10
)

// ErrNoFactorStore is returned by the factor methods when no store keeps
// factors.
var ErrNoFactorStore = errors.New("latch: no store keeps second factors (Config.Factors)")

// HasFactors reports whether a store keeps second factors.
func (a *Auth) HasFactors() bool { return a.factors != nil }

// CreateFactor stores a new factor of the user. CreatedAt is set from the
// Auth's clock when zero.
func (a *Auth) CreateFactor(ctx context.Context, f FactorRecord) (FactorRecord, error) {
	if a.factors == nil {
		return FactorRecord{}, ErrNoFactorStore
	}
	if err := checkFactor(f); err != nil {
		return FactorRecord{}, fmt.Errorf("latch: create factor: %w", err)
	}
	if f.CreatedAt == 0 {
		f.CreatedAt = ms(a.now())
	}
	err := a.withEvent(ctx, a.userTx, func(ctx context.Context) error {
		if err := a.factors.CreateFactor(ctx, f); err != nil {
			return err
		}
		return a.RaiseEvent(ctx, factorEvent(EventFactorAdded, f))
	})
	if err != nil {
		return FactorRecord{}, fmt.Errorf("latch: create factor: %w", err)
	}
	return f, nil
}

// GetFactor returns a factor by id, or an error matching ErrNotFound.
func (a *Auth) GetFactor(ctx context.Context, id string) (FactorRecord, error) {
	if a.factors == nil {
		return FactorRecord{}, ErrNoFactorStore
	}
	if id == "" || len(id) > MaxFactorIDLength {
		return FactorRecord{}, fmt.Errorf("latch: get factor: %w", ErrNotFound)
	}
	f, err := a.factors.GetFactor(ctx, id)
	if err != nil {
		return FactorRecord{}, fmt.Errorf("latch: get factor: %w", err)
	}
	return f, nil
}

// ListFactors returns the user's factors, oldest first; none (and no
// error) when no store keeps factors.
func (a *Auth) ListFactors(ctx context.Context, userID string) ([]FactorRecord, error) {
	if a.factors == nil {
		return nil, nil
	}
	fs, err := a.factors.ListFactors(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("latch: list factors: %w", err)
	}
	return fs, nil
}

// UpdateFactor stores a factor's new Name, Data and LastUsedAt.
func (a *Auth) UpdateFactor(ctx context.Context, f FactorRecord) error {
	if a.factors == nil {
		return ErrNoFactorStore
	}
	if err := checkFactor(f); err != nil {
		return fmt.Errorf("latch: update factor: %w", err)
	}
	if err := a.factors.UpdateFactor(ctx, f); err != nil {
		return fmt.Errorf("latch: update factor: %w", err)
	}
	return nil
}

// DeleteFactor removes one factor (EventFactorRemoved when it existed).
func (a *Auth) DeleteFactor(ctx context.Context, id string) error {
	if a.factors == nil {
		return ErrNoFactorStore
	}
	err := a.withEvent(ctx, a.userTx, func(ctx context.Context) error {
		f, err := a.factors.GetFactor(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := a.factors.DeleteFactor(ctx, id); err != nil {
			return err
		}
		return a.RaiseEvent(ctx, factorEvent(EventFactorRemoved, f))
	})
	if err != nil {
		return fmt.Errorf("latch: delete factor: %w", err)
	}
	return nil
}

// DeleteUserFactors removes all of the user's factors, with an
// EventFactorRemoved for each.
func (a *Auth) DeleteUserFactors(ctx context.Context, userID string) error {
	if a.factors == nil {
		return nil
	}
	err := a.withEvent(ctx, a.userTx, func(ctx context.Context) error {
		fs, err := a.factors.ListFactors(ctx, userID)
		if err != nil {
			return err
		}
		if err := a.factors.DeleteFactorsByUser(ctx, userID); err != nil {
			return err
		}
		for _, f := range fs {
			if err := a.RaiseEvent(ctx, factorEvent(EventFactorRemoved, f)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("latch: delete factors: %w", err)
	}
	return nil
}

// factorEvent names the factor by its kind and id: a passkey's id is its
// public credential id, a TOTP factor's a random id; neither is a secret.
func factorEvent(typ string, f FactorRecord) Event {
	return Event{Type: typ, UserID: f.UserID, Data: map[string]string{"factor": f.Kind, "factorId": f.ID}}
}

func checkFactor(f FactorRecord) error {
	switch {
	case f.ID == "" || len(f.ID) > MaxFactorIDLength:
		return invalid("factor id must be 1 to 255 bytes")
	case checkID("user id", f.UserID) != nil:
		return ErrInvalidUserID
	case strings.ContainsRune(f.ID, 0):
		return invalid("factor id must not contain a NUL byte")
	case f.Kind == "" || len(f.Kind) > 32 || strings.ContainsRune(f.Kind, 0):
		return invalid("factor kind must be 1 to 32 bytes without NUL")
	case !utf8.ValidString(f.Name) || utf8.RuneCountInString(f.Name) > MaxFactorNameLength || strings.ContainsRune(f.Name, 0):
		return invalid("factor name must be valid UTF-8 of at most 64 characters, without NUL")
	case len(f.Data) > MaxFactorDataLength:
		return invalid("factor data is larger than 16 KiB")
	}
	return nil
}
