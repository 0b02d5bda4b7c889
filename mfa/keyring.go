package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// A Keyring encrypts secrets at rest (TOTP secrets) with AES-256-GCM under
// a server key. It holds one current key, which seals, and any number of
// older keys, which still open what they sealed: rotating the key is
// adding a new one in front and keeping the old ones until every secret
// has been sealed again (Keyring.Stale tells which).
//
// A sealed secret names its key: version byte 1, the key id's length and
// bytes, a 12-byte nonce, then the ciphertext with its tag. The caller's
// associated data (the user and factor ids) is bound in, so a secret
// copied to another row does not open.
type Keyring struct {
	ids  []string // ids[0] is current
	keys map[string]cipher.AEAD
}

// ErrSealed is returned by Open for a sealed value that does not open: a
// key that is not in the ring, a wrong associated data, or damage.
var ErrSealed = errors.New("mfa: the sealed secret does not open with this keyring")

const sealVersion = 1

// ParseKeyring reads a key list: comma-separated entries, the current key
// first, each "id:base64" (standard or URL alphabet, 32 bytes decoded) or
// a bare base64 key, whose id is then the first 8 hex digits of its
// SHA-256. Ids are 1 to 32 characters of letters, digits, '-' and '_'.
func ParseKeyring(spec string) (*Keyring, error) {
	k := &Keyring{keys: map[string]cipher.AEAD{}}
	for entry := range strings.SplitSeq(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, named := strings.Cut(entry, ":")
		if !named {
			id, b64 = "", entry
		}
		raw, err := decodeKey(b64)
		if err != nil {
			return nil, err
		}
		if !named {
			sum := sha256.Sum256(raw)
			id = hex.EncodeToString(sum[:4])
		}
		if !validKeyID(id) {
			return nil, fmt.Errorf("mfa: key id %q: use 1 to 32 letters, digits, '-' or '_'", id)
		}
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("mfa: key id %q appears twice", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("mfa: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("mfa: key %q: %w", id, err)
		}
		k.ids = append(k.ids, id)
		k.keys[id] = aead
	}
	if len(k.ids) == 0 {
		return nil, errors.New("mfa: no key: give at least one 32-byte key in base64 (see GenerateKey)")
	}
	return k, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != 32 {
				return nil, fmt.Errorf("mfa: a key is 32 bytes, this one %d", len(raw))
			}
			return raw, nil
		}
	}
	return nil, errors.New("mfa: a key must be base64 (32 bytes)")
}

func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// GenerateKey returns a new key entry "id:base64" for ParseKeyring, from
// crypto/rand, with a random id.
func GenerateKey() (string, error) {
	raw := make([]byte, 32+4)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return "k" + hex.EncodeToString(raw[32:]) + ":" + base64.StdEncoding.EncodeToString(raw[:32]), nil
}

// Current returns the id of the key that seals.
func (k *Keyring) Current() string { return k.ids[0] }

// Seal encrypts plaintext under the current key, binding ad.
func (k *Keyring) Seal(plaintext, ad []byte) ([]byte, error) {
	id := k.ids[0]
	aead := k.keys[id]
	out := make([]byte, 0, 2+len(id)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, sealVersion, byte(len(id)))
	out = append(out, id...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// Open decrypts what Seal made with any key of the ring, or returns
// ErrSealed.
func (k *Keyring) Open(sealed, ad []byte) ([]byte, error) {
	id, rest, ok := splitSealed(sealed)
	if !ok {
		return nil, ErrSealed
	}
	aead, ok := k.keys[id]
	if !ok || len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrSealed
	}
	nonce, ct := rest[:aead.NonceSize()], rest[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		return nil, ErrSealed
	}
	return pt, nil
}

// Stale reports whether sealed was made with a key other than the current
// one: open it and seal it again to finish a rotation.
func (k *Keyring) Stale(sealed []byte) bool {
	id, _, ok := splitSealed(sealed)
	return ok && id != k.ids[0]
}

// KeyID returns the id of the key sealed was made with.
func KeyID(sealed []byte) (string, bool) {
	id, _, ok := splitSealed(sealed)
	return id, ok
}

func splitSealed(b []byte) (id string, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != sealVersion {
		return "", nil, false
	}
	n := int(b[1])
	if n == 0 || len(b) < 2+n {
		return "", nil, false
	}
	return string(b[2 : 2+n]), b[2+n:], true
}
