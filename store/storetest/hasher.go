package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
)

// testHasher is a latch.PasswordHasher that costs microseconds instead of
// Argon2id's tens of milliseconds, yet checks the password: a salted
// SHA-256, "storetest$<salt>$<digest>".
type testHasher struct{}

const testHashPrefix = "storetest$"

func (testHasher) Hash(password string) (string, error) {
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return testHashPrefix + hex.EncodeToString(salt) + "$" + testDigest(salt, password), nil
}

func (testHasher) Verify(hash, password string) (bool, error) {
	rest, ok := strings.CutPrefix(hash, testHashPrefix)
	saltHex, digest, ok2 := strings.Cut(rest, "$")
	salt, err := hex.DecodeString(saltHex)
	if !ok || !ok2 || err != nil {
		return false, errors.New("storetest: malformed test hash")
	}
	return subtle.ConstantTimeCompare([]byte(digest), []byte(testDigest(salt, password))) == 1, nil
}

func testDigest(salt []byte, password string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	return hex.EncodeToString(h.Sum(nil))
}
