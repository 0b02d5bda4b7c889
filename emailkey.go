package latch

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// EmailProviderID is the provider id of email-and-password keys,
// "email:<address>". Their provider user id is normalised (NormalizeEmailKey)
// unless Config.EmailKeysAsGiven is set.
const EmailProviderID = "email"

// NormalizeEmailKey returns the stored form of an email address in an
// "email" key: surrounding space trimmed, Unicode NFC, lower case, and a
// punycode ("xn--") domain in its Unicode form. It refuses nothing (the
// HTTP layer's authapi.NormalizeEmail validates addresses and gives the
// same form), and it is idempotent.
func NormalizeEmailKey(address string) string {
	s := norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(address))))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	ascii, err := idna.Lookup.ToASCII(s[at+1:])
	if err != nil {
		return s
	}
	uni, err := idna.Lookup.ToUnicode(ascii)
	if err != nil {
		return s
	}
	return s[:at+1] + uni
}

// keyIDs returns the id under which a key is stored and, for an email key
// given in another spelling, that exact spelling: databases written before
// normalisation (Lucia v2 ones among them) may hold mixed-case keys, which
// are still found under the spelling they were stored with.
func (a *Auth) keyIDs(providerID, providerUserID string) (id, asGiven string) {
	if providerID != EmailProviderID || a.emailAsIs {
		return KeyID(providerID, providerUserID), ""
	}
	n := NormalizeEmailKey(providerUserID)
	if n == providerUserID {
		return KeyID(providerID, n), ""
	}
	return KeyID(providerID, n), KeyID(providerID, providerUserID)
}

// normalizedKeyParts checks a key's parts after normalising an email
// address and returns the stored id and the exact spelling (see keyIDs).
func (a *Auth) normalizedKeyParts(providerID, providerUserID string) (id, asGiven string, err error) {
	if providerID == EmailProviderID && !a.emailAsIs {
		if err := checkKeyParts(providerID, NormalizeEmailKey(providerUserID)); err != nil {
			return "", "", err
		}
	} else if err := checkKeyParts(providerID, providerUserID); err != nil {
		return "", "", err
	}
	id, asGiven = a.keyIDs(providerID, providerUserID)
	return id, asGiven, nil
}

// findKey reads a key under its normalised id, then under the exact
// spelling it was given in.
func (a *Auth) findKey(ctx context.Context, id, asGiven string) (KeyRecord, error) {
	r, err := a.keys.GetKey(ctx, id)
	if asGiven != "" && errors.Is(err, ErrNotFound) {
		r, err = a.keys.GetKey(ctx, asGiven)
	}
	return r, err
}

// legacyKeyTaken reports whether a key exists under the exact spelling a
// new email key was given in, so that creating "ada@x" beside a stored
// "Ada@x" is a duplicate, as it would be without normalisation.
func (a *Auth) legacyKeyTaken(ctx context.Context, asGiven string) bool {
	if asGiven == "" {
		return false
	}
	_, err := a.keys.GetKey(ctx, asGiven)
	return err == nil
}
