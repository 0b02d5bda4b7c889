package password

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Default Argon2id parameters: OWASP's first recommended configuration
// (19 MiB of memory, 2 passes, 1 lane), a 16-byte salt and a 32-byte key.
const (
	DefaultArgon2Memory  = 19456 // KiB
	DefaultArgon2Time    = 2
	DefaultArgon2Threads = 1
)

// Bounds on parameters read from stored hashes, and on the parameters
// Hash accepts.
const (
	maxArgon2Memory  = 1 << 20 // KiB (1 GiB)
	maxArgon2Time    = 64
	maxArgon2Threads = 64
	minSaltLen       = 8
	maxSaltLen       = 64
	minKeyLen        = 16
	maxKeyLen        = 128

	// maxArgon2Cost bounds memory × passes (KiB × t), the work of one
	// verification: one pass over 1 GiB, or 16 over 64 MiB, about 27
	// times the defaults' work. Without it, memory and passes at their
	// separate maxima (1 GiB × 64 passes) made one Verify of a crafted
	// hash take minutes.
	maxArgon2Cost = 1 << 20
)

var b64 = base64.RawStdEncoding

// Argon2id hashes passwords with Argon2id into PHC strings. The zero value
// uses the defaults above; set fields to use stronger parameters, within
// the bounds Verify accepts: at most 1 GiB, 64 passes and 64 lanes, and
// memory × passes at most 1 GiB × 1 (64 MiB × 16, for example).
type Argon2id struct {
	Memory  uint32 // KiB; 0 means DefaultArgon2Memory
	Time    uint32 // passes; 0 means DefaultArgon2Time
	Threads uint8  // lanes; 0 means DefaultArgon2Threads
}

func (a Argon2id) params() (m, t uint32, p uint8) {
	m, t, p = a.Memory, a.Time, a.Threads
	if m == 0 {
		m = DefaultArgon2Memory
	}
	if t == 0 {
		t = DefaultArgon2Time
	}
	if p == 0 {
		p = DefaultArgon2Threads
	}
	return m, t, p
}

// Hash returns a PHC string for password with a fresh random salt.
func (a Argon2id) Hash(password string) (string, error) {
	if len(password) > MaxLength {
		return "", ErrTooLong
	}
	m, t, p := a.params()
	if m > maxArgon2Memory || t > maxArgon2Time || p > maxArgon2Threads || m < 8*uint32(p) ||
		uint64(m)*uint64(t) > maxArgon2Cost {
		return "", fmt.Errorf("password: argon2id parameters out of bounds (m=%d t=%d p=%d)", m, t, p)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, t, m, p, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks password against a hash in any supported format.
func (Argon2id) Verify(hash, password string) (bool, error) { return Verify(hash, password) }

// NeedsRehash reports whether hash should be replaced by a new Argon2id
// hash: it is in another format or uses weaker parameters than a.
func (a Argon2id) NeedsRehash(hash string) bool {
	ph, err := parseArgon2id(hash)
	if err != nil {
		return true
	}
	m, t, p := a.params()
	return ph.memory < m || ph.time < t || ph.threads < p
}

type argon2Hash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseArgon2id reads "$argon2id$v=19$m=..,t=..,p=..$salt$key".
func parseArgon2id(hash string) (argon2Hash, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argon2Hash{}, ErrMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return argon2Hash{}, ErrMalformedHash
	}
	var h argon2Hash
	seen := 0
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || len(v) > 10 {
			return argon2Hash{}, ErrMalformedHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return argon2Hash{}, ErrMalformedHash
		}
		switch {
		case k == "m" && seen == 0:
			h.memory = uint32(n)
		case k == "t" && seen == 1:
			h.time = uint32(n)
		case k == "p" && seen == 2:
			if n > maxArgon2Threads {
				return argon2Hash{}, ErrMalformedHash
			}
			h.threads = uint8(n)
		default:
			return argon2Hash{}, ErrMalformedHash
		}
		seen++
	}
	if seen != 3 || h.time < 1 || h.time > maxArgon2Time || h.threads < 1 ||
		h.memory < 8*uint32(h.threads) || h.memory > maxArgon2Memory ||
		uint64(h.memory)*uint64(h.time) > maxArgon2Cost {
		return argon2Hash{}, ErrMalformedHash
	}
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return argon2Hash{}, ErrMalformedHash
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return argon2Hash{}, ErrMalformedHash
	}
	return h, nil
}

func verifyArgon2id(hash, password string) (bool, error) {
	h, err := parseArgon2id(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return constantTimeEqual(key, h.key), nil
}
