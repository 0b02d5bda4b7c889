package latch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchauth/latch/password"
)

// Key is a way to sign in as a user: an email and password, an OAuth
// account, ... Its id is "providerId:providerUserId".
type Key struct {
	ProviderID     string
	ProviderUserID string
	UserID         string
	// PasswordDefined reports whether the key has a password.
	PasswordDefined bool
}

// ID returns "providerId:providerUserId".
func (k Key) ID() string { return KeyID(k.ProviderID, k.ProviderUserID) }

// KeyID joins a provider id and a provider user id into a key id.
func KeyID(providerID, providerUserID string) string { return providerID + ":" + providerUserID }

// ParseKeyID splits a key id at its first ':' (the provider user id may hold more).
func ParseKeyID(keyID string) (providerID, providerUserID string, err error) {
	p, u, ok := strings.Cut(keyID, ":")
	if !ok || p == "" || u == "" {
		return "", "", fmt.Errorf("latch: key id %q: %w", truncate(keyID), ErrInvalidKeyID)
	}
	return p, u, nil
}

func keyFromRecord(r KeyRecord) Key {
	p, u, _ := strings.Cut(r.ID, ":")
	return Key{ProviderID: p, ProviderUserID: u, UserID: r.UserID, PasswordDefined: r.HashedPassword != nil}
}

func checkKeyParts(providerID, providerUserID string) error {
	if err := checkID("provider id", providerID); err != nil {
		return err
	}
	if strings.Contains(providerID, ":") {
		return invalid("provider id contains ':'")
	}
	if err := checkID("provider user id", providerUserID); err != nil {
		return err
	}
	if len(providerID)+1+len(providerUserID) > MaxIDLength {
		return invalid(fmt.Sprintf("key id is longer than %d bytes", MaxIDLength))
	}
	return nil
}

// keyRecord validates a key and hashes its password. An email key's id is
// normalised; asGiven is its exact spelling when that differs (see keyIDs).
func (a *Auth) keyRecord(userID string, k KeyOptions) (rec KeyRecord, asGiven string, err error) {
	id, asGiven, err := a.normalizedKeyParts(k.ProviderID, k.ProviderUserID)
	if err != nil {
		return KeyRecord{}, "", err
	}
	rec = KeyRecord{ID: id, UserID: userID}
	if k.Password != nil {
		h, err := a.hashPassword(*k.Password)
		if err != nil {
			return KeyRecord{}, "", err
		}
		rec.HashedPassword = &h
	}
	return rec, asGiven, nil
}

func (a *Auth) hashPassword(p string) (string, error) {
	h, err := a.hasher.Hash(p)
	if errors.Is(err, password.ErrTooLong) {
		return "", invalid(fmt.Sprintf("password is longer than %d bytes", password.MaxLength))
	}
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return h, nil
}

// CreateKey adds a key to an existing user.
func (a *Auth) CreateKey(ctx context.Context, userID string, k KeyOptions) (Key, error) {
	if checkID("user id", userID) != nil {
		return Key{}, fmt.Errorf("latch: create key: %w", ErrInvalidUserID)
	}
	rec, asGiven, err := a.keyRecord(userID, k)
	if err != nil {
		return Key{}, fmt.Errorf("latch: create key: %w", err)
	}
	if a.legacyKeyTaken(ctx, asGiven) {
		return Key{}, fmt.Errorf("latch: create key: %w", ErrDuplicateKeyID)
	}
	if err := a.keys.CreateKey(ctx, rec); err != nil {
		switch {
		case errors.Is(err, ErrDuplicate):
			return Key{}, fmt.Errorf("latch: create key: %w", ErrDuplicateKeyID)
		case errors.Is(err, ErrNotFound):
			return Key{}, fmt.Errorf("latch: create key: %w", ErrInvalidUserID)
		}
		return Key{}, fmt.Errorf("latch: create key: %w", err)
	}
	return keyFromRecord(rec), nil
}

// GetKey returns the key, or ErrInvalidKeyID. An email address is looked
// up normalised, then as given (see Config.EmailKeysAsGiven).
func (a *Auth) GetKey(ctx context.Context, providerID, providerUserID string) (Key, error) {
	id, asGiven, err := a.normalizedKeyParts(providerID, providerUserID)
	if err != nil {
		return Key{}, fmt.Errorf("latch: get key: %w", ErrInvalidKeyID)
	}
	r, err := a.findKey(ctx, id, asGiven)
	if err != nil {
		return Key{}, fmt.Errorf("latch: get key: %w", notFound(err, ErrInvalidKeyID))
	}
	return keyFromRecord(r), nil
}

// UseKey checks a key and its password and returns the key. A nil password
// is for keys without one. Unknown key: ErrInvalidKeyID (after the same
// hashing work as a wrong password, so timing does not tell them apart);
// wrong, missing or unexpected password: ErrInvalidPassword; a hash in a
// retired format (bcrypt): ErrOutdatedPassword. A hash the hasher wants
// replaced (older format or parameters) is rehashed on success. An email
// address is looked up normalised, then as given.
func (a *Auth) UseKey(ctx context.Context, providerID, providerUserID string, pw *string) (Key, error) {
	id, asGiven, err := a.normalizedKeyParts(providerID, providerUserID)
	if err != nil {
		a.burnPasswordWork(pw)
		return Key{}, fmt.Errorf("latch: use key: %w", ErrInvalidKeyID)
	}
	r, err := a.findKey(ctx, id, asGiven)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			a.burnPasswordWork(pw)
			return Key{}, fmt.Errorf("latch: use key: %w", ErrInvalidKeyID)
		}
		return Key{}, fmt.Errorf("latch: use key: %w", err)
	}
	switch {
	case r.HashedPassword == nil && pw == nil:
		return keyFromRecord(r), nil
	case r.HashedPassword == nil || pw == nil:
		a.burnPasswordWork(pw)
		return Key{}, fmt.Errorf("latch: use key: %w", ErrInvalidPassword)
	}
	ok, err := a.hasher.Verify(*r.HashedPassword, *pw)
	switch {
	case errors.Is(err, password.ErrOutdated):
		return Key{}, fmt.Errorf("latch: use key: %w", ErrOutdatedPassword)
	case errors.Is(err, password.ErrTooLong):
		return Key{}, fmt.Errorf("latch: use key: %w", ErrInvalidPassword)
	case err != nil:
		return Key{}, fmt.Errorf("latch: use key: verifying password: %w", err)
	case !ok:
		return Key{}, fmt.Errorf("latch: use key: %w", ErrInvalidPassword)
	}
	if rh, isRehasher := a.hasher.(rehasher); isRehasher && rh.NeedsRehash(*r.HashedPassword) {
		// Best effort: the sign-in stands even if the upgrade cannot be written.
		if h, err := a.hasher.Hash(*pw); err == nil {
			_ = a.keys.UpdateKeyPassword(ctx, r.ID, &h)
		}
	}
	return keyFromRecord(r), nil
}

// burnPasswordWork verifies the password against a dummy hash so that an
// unknown key costs as much as a wrong password.
func (a *Auth) burnPasswordWork(pw *string) {
	if pw == nil {
		return
	}
	a.dummyOnce.Do(func() {
		a.dummyHash, _ = a.hasher.Hash("latch-dummy-password")
	})
	_, _ = a.hasher.Verify(a.dummyHash, *pw)
}

// GetAllUserKeys returns the user's keys; ErrInvalidUserID for an unknown user.
func (a *Auth) GetAllUserKeys(ctx context.Context, userID string) ([]Key, error) {
	if _, err := a.GetUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("latch: get user keys: %w", ErrInvalidUserID)
	}
	recs, err := a.keys.ListKeys(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("latch: get user keys: %w", err)
	}
	keys := make([]Key, len(recs))
	for i, r := range recs {
		keys[i] = keyFromRecord(r)
	}
	return keys, nil
}

// UpdateKeyPassword sets the key's password, or removes it when pw is nil.
func (a *Auth) UpdateKeyPassword(ctx context.Context, providerID, providerUserID string, pw *string) (Key, error) {
	id, asGiven, err := a.normalizedKeyParts(providerID, providerUserID)
	if err != nil {
		return Key{}, fmt.Errorf("latch: update key password: %w", ErrInvalidKeyID)
	}
	var hash *string
	if pw != nil {
		h, err := a.hashPassword(*pw)
		if err != nil {
			return Key{}, fmt.Errorf("latch: update key password: %w", err)
		}
		hash = &h
	}
	err = a.keys.UpdateKeyPassword(ctx, id, hash)
	if asGiven != "" && errors.Is(err, ErrNotFound) {
		err = a.keys.UpdateKeyPassword(ctx, asGiven, hash)
	}
	if err != nil {
		return Key{}, fmt.Errorf("latch: update key password: %w", notFound(err, ErrInvalidKeyID))
	}
	k, err := a.GetKey(ctx, providerID, providerUserID)
	if err != nil {
		return Key{}, err
	}
	data := map[string]string{"provider": providerID}
	if pw == nil {
		data["removed"] = "true"
	}
	if err := a.RaiseEvent(ctx, Event{Type: EventUserPasswordChanged, UserID: k.UserID, Data: data}); err != nil {
		return Key{}, fmt.Errorf("latch: update key password: %w", err)
	}
	return k, nil
}

// DeleteKey removes one key; it succeeds whether or not the key exists. An
// email address is looked up normalised, then as given.
func (a *Auth) DeleteKey(ctx context.Context, providerID, providerUserID string) error {
	id, asGiven, err := a.normalizedKeyParts(providerID, providerUserID)
	if err != nil {
		return nil
	}
	if asGiven != "" {
		if r, err := a.findKey(ctx, id, asGiven); err == nil {
			id = r.ID
		}
	}
	if err := a.keys.DeleteKey(ctx, id); err != nil {
		return fmt.Errorf("latch: delete key: %w", err)
	}
	return nil
}

// DeleteAllUserKeys removes all of the user's keys.
func (a *Auth) DeleteAllUserKeys(ctx context.Context, userID string) error {
	if checkID("user id", userID) != nil {
		return nil
	}
	if err := a.keys.DeleteKeysByUser(ctx, userID); err != nil {
		return fmt.Errorf("latch: delete user keys: %w", err)
	}
	return nil
}

// MoveKey gives a key a new provider user id (an email key a new address),
// keeping its user and password hash: it creates the new key and deletes
// the old one; run it in InTx to make that one transaction. A taken new id
// is ErrDuplicateKeyID, a missing old key ErrInvalidKeyID.
func (a *Auth) MoveKey(ctx context.Context, providerID, from, to string) (Key, error) {
	if checkKeyParts(providerID, from) != nil || checkKeyParts(providerID, to) != nil {
		return Key{}, fmt.Errorf("latch: move key: %w", ErrInvalidKeyID)
	}
	old, err := a.keys.GetKey(ctx, KeyID(providerID, from))
	if err != nil {
		return Key{}, fmt.Errorf("latch: move key: %w", notFound(err, ErrInvalidKeyID))
	}
	moved := KeyRecord{ID: KeyID(providerID, to), UserID: old.UserID, HashedPassword: old.HashedPassword}
	if err := a.keys.CreateKey(ctx, moved); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return Key{}, fmt.Errorf("latch: move key: %w", ErrDuplicateKeyID)
		}
		return Key{}, fmt.Errorf("latch: move key: %w", err)
	}
	if err := a.keys.DeleteKey(ctx, old.ID); err != nil {
		return Key{}, fmt.Errorf("latch: move key: %w", err)
	}
	return keyFromRecord(moved), nil
}
