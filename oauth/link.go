package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchauth/latch"
)

// EmailProviderID is the provider id of email-and-password keys
// ("email:<address>"), the keys accounts are linked through.
const EmailProviderID = "email"

// The user attributes FindOrCreateUser writes.
const (
	AttrEmail         = "email"
	AttrEmailVerified = "email_verified"
	AttrName          = "name"
)

// LinkOptions adjust FindOrCreateUser.
type LinkOptions struct {
	// NormalizeEmail turns an address into the form email keys use; an
	// error means the address is not used at all. Default: trimmed and
	// lowercased.
	NormalizeEmail func(string) (string, error)
	// Attributes, when set, adds attributes to a new user (created_at,
	// say) besides email, email_verified and name.
	Attributes func(ProviderUser) latch.Attributes
	// Claim, when set, replaces what linking does to a user whose address
	// was not verified yet (remove the email key's password, end the
	// user's sessions, mark the address verified) with the caller's own
	// cleanup, which must do at least as much; authapi also voids the
	// user's open sign-in tokens there. It runs inside the link's
	// transaction and returns the user as it is afterwards.
	Claim func(ctx context.Context, u latch.User) (latch.User, error)
	// Linked, when set, runs inside the transaction that links the
	// provider key to an existing user by its verified address
	// (LinkedByEmail), after the key was added: authapi queues the
	// owner's notice with its undo link there, so that the link and the
	// notice commit together. An error fails the link, which rolls back
	// where the store has transactions.
	Linked func(ctx context.Context, acc Account) error
}

// Linked tells how FindOrCreateUser found the user.
type Linked int

const (
	// Existing: the provider key was known.
	Existing Linked = iota
	// LinkedByEmail: the provider key was added to the user of the
	// verified address's email key.
	LinkedByEmail
	// Created: a new user was made with the provider key.
	Created
)

// Account is the Latch user for a provider user.
type Account struct {
	User latch.User
	Key  latch.Key
	How  Linked
}

// GetExistingUser returns the Latch user of the key
// "providerID:<pu.ID>" and true, or false when no user has that key. It
// creates and links nothing (Lucia's providerUserAuth.getExistingUser),
// for an application that runs its own linking policy: on false it may
// ask the user to sign in first and then add the key with
// auth.CreateKey, or make a user with auth.CreateUser, or refuse.
// FindOrCreateUser is the policy Latch applies when asked to choose.
func GetExistingUser(ctx context.Context, auth *latch.Auth, providerID string, pu ProviderUser) (Account, bool, error) {
	key, ok, err := findKey(ctx, auth, providerID, pu)
	if !ok || err != nil {
		return Account{}, false, err
	}
	acc, err := accountOf(ctx, auth, key, Existing)
	if err != nil {
		return Account{}, false, err
	}
	return acc, true, nil
}

// findKey returns the provider key of pu: under pu.ID, or else under
// pu.FormerID, which is then moved to pu.ID in one transaction.
func findKey(ctx context.Context, auth *latch.Auth, providerID string, pu ProviderUser) (latch.Key, bool, error) {
	key, err := auth.GetKey(ctx, providerID, pu.ID)
	if err == nil {
		return key, true, nil
	}
	if !errors.Is(err, latch.ErrInvalidKeyID) {
		return latch.Key{}, false, fmt.Errorf("oauth: find user: %w", err)
	}
	if pu.FormerID == "" || pu.FormerID == pu.ID {
		return latch.Key{}, false, nil
	}
	former, err := auth.GetKey(ctx, providerID, pu.FormerID)
	if errors.Is(err, latch.ErrInvalidKeyID) {
		return latch.Key{}, false, nil
	}
	if err != nil {
		return latch.Key{}, false, fmt.Errorf("oauth: find user: %w", err)
	}
	err = auth.InTx(ctx, func(ctx context.Context) error {
		if err := auth.DeleteKey(ctx, providerID, pu.FormerID); err != nil {
			return err
		}
		key, err = auth.CreateKey(ctx, former.UserID, latch.KeyOptions{ProviderID: providerID, ProviderUserID: pu.ID})
		return err
	})
	if errors.Is(err, latch.ErrDuplicateKeyID) || errors.Is(err, latch.ErrInvalidKeyID) {
		// Another sign-in of the same user moved it at the same time.
		if key, err = auth.GetKey(ctx, providerID, pu.ID); err == nil {
			return key, true, nil
		}
	}
	if err != nil {
		return latch.Key{}, false, fmt.Errorf("oauth: move the key to its qualified id: %w", err)
	}
	return key, true, nil
}

// FindOrCreateUser returns the Latch user for a user of the provider:
//
//  1. the user of the key "providerID:<provider user id>", when it exists
//     (or of the key under pu.FormerID, moved to pu.ID);
//  2. else, when the provider says the address is verified and an email
//     key "email:<address>" exists, that key's user, to which the provider
//     key is added (auth.CreateKey);
//  3. else a new user with the provider key, made in one call
//     (auth.CreateUser), with the attributes email, email_verified and name.
//
// An address the provider has not verified never links accounts: a new
// user is made instead, with email_verified false.
//
// Linking to a user whose own address is not verified yet guards against
// account pre-hijacking (someone who signed up first with another's
// address and a password of theirs): the email key's password is removed
// and the user's sessions are ended before the provider key is added, and
// the address is marked verified. The owner can set a password again by
// password reset. LinkOptions.Claim replaces this cleanup with the caller's.
func FindOrCreateUser(ctx context.Context, auth *latch.Auth, providerID string, pu ProviderUser, opts LinkOptions) (Account, error) {
	if key, ok, err := findKey(ctx, auth, providerID, pu); err != nil {
		return Account{}, err
	} else if ok {
		return accountOf(ctx, auth, key, Existing)
	}
	normalize := opts.NormalizeEmail
	if normalize == nil {
		normalize = func(s string) (string, error) { return strings.ToLower(strings.TrimSpace(s)), nil }
	}
	email := ""
	if pu.Email != "" {
		if e, err := normalize(pu.Email); err == nil {
			email = e
		}
	}
	verified := pu.EmailVerified && email != ""
	if verified {
		acc, ok, err := linkByEmail(ctx, auth, providerID, pu.ID, email, opts)
		if ok || err != nil {
			return acc, err
		}
	}
	attrs := latch.Attributes{AttrEmailVerified: verified}
	if email != "" {
		attrs[AttrEmail] = email
	}
	// The name is profile data the user table may have no column for
	// (a Lucia v2 database): left out there, not a failed sign-up.
	if pu.Name != "" && auth.KeepsUserAttribute(AttrName) {
		attrs[AttrName] = pu.Name
	}
	if opts.Attributes != nil {
		for k, v := range opts.Attributes(pu) {
			if _, set := attrs[k]; !set {
				attrs[k] = v
			}
		}
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: providerID, ProviderUserID: pu.ID},
		Attributes: attrs,
	})
	if errors.Is(err, latch.ErrDuplicateKeyID) {
		// The same user signed in twice at once: the other call made it.
		key, kerr := auth.GetKey(ctx, providerID, pu.ID)
		if kerr != nil {
			return Account{}, fmt.Errorf("oauth: create user: %w", err)
		}
		return accountOf(ctx, auth, key, Existing)
	}
	if err != nil {
		return Account{}, fmt.Errorf("oauth: create user: %w", err)
	}
	return Account{User: u, Key: latch.Key{ProviderID: providerID, ProviderUserID: pu.ID, UserID: u.ID}, How: Created}, nil
}

// linkByEmail adds the provider key to the user of the email key; ok is
// false when there is no such key.
func linkByEmail(ctx context.Context, auth *latch.Auth, providerID, providerUserID, email string, opts LinkOptions) (Account, bool, error) {
	claim := opts.Claim
	emailKey, err := auth.GetKey(ctx, EmailProviderID, email)
	if errors.Is(err, latch.ErrInvalidKeyID) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("oauth: find user by email: %w", err)
	}
	var acc Account
	err = auth.InTx(ctx, func(ctx context.Context) error {
		u, err := auth.GetUser(ctx, emailKey.UserID)
		if err != nil {
			return err
		}
		if !u.Attributes.Bool(AttrEmailVerified) && claim != nil {
			if u, err = claim(ctx, u); err != nil {
				return err
			}
		} else if !u.Attributes.Bool(AttrEmailVerified) {
			// Whoever set this password never proved the address: the
			// provider's user, who did, gets the account without it.
			if emailKey.PasswordDefined {
				if _, err := auth.UpdateKeyPassword(ctx, EmailProviderID, email, nil); err != nil {
					return err
				}
			}
			if err := auth.InvalidateAllUserSessions(ctx, u.ID); err != nil {
				return err
			}
			if u, err = auth.UpdateUserAttributes(ctx, u.ID, latch.Attributes{AttrEmailVerified: true}); err != nil {
				return err
			}
		}
		key, err := auth.CreateKey(ctx, u.ID, latch.KeyOptions{ProviderID: providerID, ProviderUserID: providerUserID})
		if err != nil {
			return err
		}
		acc = Account{User: u, Key: key, How: LinkedByEmail}
		if opts.Linked != nil {
			return opts.Linked(ctx, acc)
		}
		return nil
	})
	if errors.Is(err, latch.ErrDuplicateKeyID) {
		key, kerr := auth.GetKey(ctx, providerID, providerUserID)
		if kerr != nil {
			return Account{}, false, fmt.Errorf("oauth: link user: %w", err)
		}
		acc, err := accountOf(ctx, auth, key, Existing)
		return acc, true, err
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("oauth: link user: %w", err)
	}
	return acc, true, nil
}

func accountOf(ctx context.Context, auth *latch.Auth, key latch.Key, how Linked) (Account, error) {
	u, err := auth.GetUser(ctx, key.UserID)
	if err != nil {
		return Account{}, fmt.Errorf("oauth: find user: %w", err)
	}
	return Account{User: u, Key: key, How: how}, nil
}
