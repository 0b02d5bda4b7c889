// Package password hashes and verifies passwords.
//
// Two hashers are provided. Argon2id (the default for new Latch databases)
// writes PHC strings such as
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with the parameters OWASP recommends for Argon2id. Scrypt writes Lucia v2's
// "s2:<salt>:<hex key>" format, so a database shared with a Lucia v2
// application keeps working in both directions.
//
// Both hashers verify every format either of them writes, and Lucia's legacy
// "<salt>:<hex key>" hashes. Bcrypt hashes from Lucia's beta are reported
// with ErrOutdated, as Lucia does. Comparisons are constant-time and the
// parameters read from a stored hash are bounded, so a crafted hash cannot
// make verification use unbounded memory or time.
package password

import (
	"crypto/subtle"
	"errors"
	"strings"
)

// MaxLength is the longest password, in bytes, that is hashed or verified.
// Longer input is refused with ErrTooLong before any hashing work.
const MaxLength = 256

var (
	// ErrTooLong is returned for a password longer than MaxLength bytes.
	ErrTooLong = errors.New("password: longer than 256 bytes")
	// ErrMalformedHash is returned when a stored hash is in no known
	// format, or its parameters are out of bounds.
	ErrMalformedHash = errors.New("password: malformed hash")
	// ErrOutdated is returned for a hash in a retired format (bcrypt), which
	// cannot be verified; the user must reset the password.
	ErrOutdated = errors.New("password: outdated hash format")
)

// Verify reports whether password matches hash, whatever supported format
// hash is in: Argon2id PHC strings, Lucia's s2 scrypt and legacy scrypt.
// A wrong password is (false, nil); an unreadable hash is ErrMalformedHash.
func Verify(hash, password string) (bool, error) {
	if len(password) > MaxLength {
		return false, ErrTooLong
	}
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		return verifyArgon2id(hash, password)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		return false, ErrOutdated
	case strings.HasPrefix(hash, "s2:"):
		return verifyScrypt(hash[len("s2:"):], password, scryptN, scryptR)
	case strings.Count(hash, ":") == 1:
		return verifyScrypt(hash, password, scryptN, legacyScryptR)
	}
	return false, ErrMalformedHash
}

func constantTimeEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
