package latch

import (
	"fmt"

	"github.com/latchauth/latch/internal/randstr"
)

// Alphabets for RandomString.
const (
	AlphabetLowerNumeric = randstr.LowerDigits
	AlphabetAlphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	AlphabetDigits       = "0123456789"
)

// RandomString returns n characters drawn uniformly from alphabet using
// crypto/rand. Each character takes the smallest number of random bits that
// covers the alphabet and draws again when the value falls outside it
// (rejection sampling), so no character is more likely than another.
// The alphabet must hold between 2 and 256 distinct bytes.
func RandomString(n int, alphabet string) (string, error) {
	s, err := randstr.String(n, alphabet)
	if err != nil {
		return "", fmt.Errorf("latch: %w", err)
	}
	return s, nil
}
