package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// Recovery codes are the way in when the authenticator is lost: a set of
// RecoveryCodeCount codes shown once, each good for one use. A code is
// RecoveryCodeLength characters of lower-case base32 (a-z, 2-7: 125 bits
// from crypto/rand, above the 112 bits ASVS V2.6.2 asks of a lookup
// secret), shown in five groups of five ("k7c2m-qz4pa-3hx7d-mw2te-xrbfa");
// it is read ignoring case, spaces and hyphens. Codes are kept only as
// RecoveryCodeHash.
const (
	RecoveryCodeCount  = 10
	RecoveryCodeLength = 25
)

var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns RecoveryCodeCount new codes as they are shown.
func NewRecoveryCodes() ([]string, error) {
	out := make([]string, RecoveryCodeCount)
	raw := make([]byte, 16) // 128 bits, of which the first 125 are used
	for i := range out {
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		s := recoveryEncoding.EncodeToString(raw)[:RecoveryCodeLength]
		out[i] = s[:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:20] + "-" + s[20:]
	}
	return out, nil
}

// ParseRecoveryCode reads a code as typed and returns it in its canonical
// form (RecoveryCodeLength lower-case characters, no separator), or false when it cannot
// be a recovery code.
func ParseRecoveryCode(s string) (string, bool) {
	if len(s) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == ' ' || c == '-' || c == '\t':
		case c >= 'a' && c <= 'z', c >= '2' && c <= '7':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + ('a' - 'A'))
		default:
			return "", false
		}
	}
	if b.Len() != RecoveryCodeLength {
		return "", false
	}
	return b.String(), true
}

// RecoveryCodeHash is the stored form of a canonical code of a user: the
// SHA-256 of the code salted with the user id, so that one code value
// stands for nothing in another account and the store can find a code by
// its hash (one lookup, no comparison that could leak by its timing).
func RecoveryCodeHash(userID, code string) string {
	sum := sha256.Sum256([]byte("latch recovery code\x00" + userID + "\x00" + code))
	return hex.EncodeToString(sum[:])
}
