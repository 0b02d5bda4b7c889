// Package randstr draws random strings from an alphabet without modulo
// bias. It is shared by latch.RandomString and the password package (which
// cannot import latch).
package randstr

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/bits"
)

// LowerDigits is a-z0-9, Lucia v2's default alphabet.
const LowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789"

// String returns n bytes drawn uniformly from alphabet using crypto/rand.
// Each character takes the smallest number of random bits that covers the
// alphabet and draws again when the value falls outside it (rejection
// sampling). The alphabet must hold between 2 and 256 bytes.
func String(n int, alphabet string) (string, error) {
	if n < 0 {
		return "", errors.New("negative length")
	}
	if len(alphabet) < 2 || len(alphabet) > 256 {
		return "", fmt.Errorf("alphabet of %d bytes, want 2 to 256", len(alphabet))
	}
	mask := byte(1<<bits.Len(uint(len(alphabet)-1)) - 1)
	if len(alphabet) == 256 {
		mask = 0xff
	}
	out := make([]byte, n)
	// Draw in batches; on average fewer than 2 bytes per character are needed.
	buf := make([]byte, n+n/2+8)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("reading random bytes: %w", err)
		}
		for _, b := range buf {
			v := int(b & mask)
			if v >= len(alphabet) {
				continue
			}
			out[i] = alphabet[v]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out), nil
}
