package password

import (
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"

	"github.com/latchauth/latch/internal/randstr"
)

// Lucia v2's scrypt parameters: N=16384, r=16 (r=8 for its legacy hashes),
// p=1, a 64-byte key, over the NFKC form of the password, salted with 16
// characters of a-z0-9 used as UTF-8 bytes.
const (
	scryptN       = 16384
	scryptR       = 16
	legacyScryptR = 8
	scryptP       = 1
	scryptKeyLen  = 64
	scryptSaltLen = 16
)

// Scrypt hashes passwords in Lucia v2's format, "s2:<salt>:<hex key>",
// which Lucia v2's validateLuciaPasswordHash accepts and which this package
// verifies. Use it while a Lucia v2 application shares the database.
type Scrypt struct{}

// Hash returns an s2 hash of password with a fresh random salt.
func (Scrypt) Hash(password string) (string, error) {
	if len(password) > MaxLength {
		return "", ErrTooLong
	}
	salt, err := randstr.String(scryptSaltLen, randstr.LowerDigits)
	if err != nil {
		return "", fmt.Errorf("password: generating salt: %w", err)
	}
	key, err := scryptKey(password, salt, scryptN, scryptR)
	if err != nil {
		return "", err
	}
	return "s2:" + salt + ":" + hex.EncodeToString(key), nil
}

// Verify checks password against a hash in any supported format.
func (Scrypt) Verify(hash, password string) (bool, error) { return Verify(hash, password) }

// NeedsRehash reports whether hash is not an s2 hash (legacy scrypt, or an
// Argon2id hash a Lucia v2 application could not verify).
func (Scrypt) NeedsRehash(hash string) bool {
	return !strings.HasPrefix(hash, "s2:")
}

// scryptKey derives the key with cost n: scryptN, except in the fuzz
// target, which checks the same parsing and comparison at a cost it can
// afford thousands of times a second.
func scryptKey(password, salt string, n, r int) ([]byte, error) {
	key, err := scrypt.Key([]byte(norm.NFKC.String(password)), []byte(salt), n, r, scryptP, scryptKeyLen)
	if err != nil {
		return nil, fmt.Errorf("password: scrypt: %w", err)
	}
	return key, nil
}

// verifyScrypt checks "<salt>:<hex key>" (the part after "s2:" for s2
// hashes) with scrypt cost n and block size r.
func verifyScrypt(rest, password string, n, r int) (bool, error) {
	salt, keyHex, ok := strings.Cut(rest, ":")
	if !ok || salt == "" || len(salt) > maxSaltLen || len(keyHex) != 2*scryptKeyLen {
		return false, ErrMalformedHash
	}
	want, err := hex.DecodeString(keyHex)
	if err != nil {
		return false, ErrMalformedHash
	}
	got, err := scryptKey(password, salt, n, r)
	if err != nil {
		return false, err
	}
	return constantTimeEqual(got, want), nil
}
