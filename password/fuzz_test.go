package password

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// fuzzMaxCost is the largest Argon2id work (KiB × passes) the fuzz target
// actually runs; costlier hashes that parse are only checked against the
// bounds, so that the fuzzer stays fast.
const fuzzMaxCost = 256

// fuzzScryptN is the scrypt cost the fuzz target verifies scrypt hashes
// at, instead of Lucia's 16384.
const fuzzScryptN = 16

// scryptForm reports whether Verify reads hash as a scrypt hash (s2 or
// legacy), and with which rest and block size.
func scryptForm(hash string) (rest string, r int, ok bool) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"), strings.HasPrefix(hash, "$2a$"),
		strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		return "", 0, false
	case strings.HasPrefix(hash, "s2:"):
		return hash[len("s2:"):], scryptR, true
	case strings.Count(hash, ":") == 1:
		return hash, legacyScryptR, true
	}
	return "", 0, false
}

// FuzzVerify calls Verify with fuzzed hashes and passwords. It never
// panics; its errors are only ErrMalformedHash, ErrOutdated and
// ErrTooLong; whatever a hash says, the work of a verification is bounded
// (Argon2id parameters within the documented limits, scrypt's fixed; the
// scrypt hashes are checked at a cheap cost, see fuzzScryptN); and
// a cheap Argon2id hash of the password verifies, while the same hash with
// another password does not.
func FuzzVerify(f *testing.F) {
	salt, key := "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	for _, v := range luciaVectors {
		f.Add(v.hash, v.password)
	}
	cheap, err := Argon2id{Memory: 8, Time: 1, Threads: 1}.Hash("pw")
	if err != nil {
		f.Fatal(err)
	}
	for _, h := range []string{
		cheap,
		"$argon2id$v=19$m=8,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=16,t=2,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=1048576,t=64,p=64$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$" + salt + "$" + key,
		"$argon2id$v=19$m=08,t=+1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=8,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=8,t=1,p=1$" + salt + "=$" + key,
		"$argon2id$v=19$m=8,t=1,p=1$$",
		"$argon2id$",
		"$2a$10$abcdefghijklmnopqrstuuJ1bEJ0m1Yw7bKx1wzQ0rjF1f8v7T8y2",
		"$2y$",
		"s2:", "s2::", "s2:salt:" + strings.Repeat("0", 128), "salt:" + strings.Repeat("0", 128),
		"s2:" + strings.Repeat("s", 65) + ":" + strings.Repeat("0", 128),
		"a:b", "", ":",
	} {
		f.Add(h, "pw")
	}
	f.Add(cheap, strings.Repeat("p", MaxLength+1))
	f.Fuzz(func(t *testing.T, hash, password string) {
		if strings.HasPrefix(hash, "$argon2id$") {
			if h, err := parseArgon2id(hash); err == nil {
				if h.memory > maxArgon2Memory || h.time > maxArgon2Time || h.threads > maxArgon2Threads ||
					h.time < 1 || h.threads < 1 || uint64(h.memory)*uint64(h.time) > maxArgon2Cost ||
					len(h.salt) > maxSaltLen || len(h.key) > maxKeyLen || len(h.key) < minKeyLen {
					t.Fatalf("parseArgon2id(%q) accepted out-of-bounds parameters %+v", hash, h)
				}
				if uint64(h.memory)*uint64(h.time) > fuzzMaxCost {
					return // within the bounds, but too slow to run here
				}
			}
		}
		if rest, r, isScrypt := scryptForm(hash); isScrypt && len(password) <= MaxLength {
			// Verify would spend Lucia's scrypt cost (tens of milliseconds):
			// check the same parsing and comparison at a cheap one.
			ok, err := verifyScrypt(rest, password, fuzzScryptN, r)
			if err != nil && !errors.Is(err, ErrMalformedHash) || ok && err != nil {
				t.Fatalf("verifyScrypt(%q, %q) = %v, %v", rest, password, ok, err)
			}
			if err != nil {
				return
			}
			// The hash parsed: the right key for its salt verifies, and
			// the same key does not verify another password.
			salt, _, _ := strings.Cut(rest, ":")
			key, err := scryptKey(password, salt, fuzzScryptN, r)
			if err != nil {
				t.Fatal(err)
			}
			good := salt + ":" + hex.EncodeToString(key)
			if ok, err := verifyScrypt(good, password, fuzzScryptN, r); !ok || err != nil {
				t.Fatalf("verifyScrypt(%q, %q) with the right key = %v, %v", good, password, ok, err)
			}
			if ok, err := verifyScrypt(good, password+"x", fuzzScryptN, r); ok || err != nil {
				t.Fatalf("verifyScrypt(%q) with another password = %v, %v", good, ok, err)
			}
			return
		}
		ok, err := Verify(hash, password)
		switch {
		case err == nil:
		case errors.Is(err, ErrMalformedHash), errors.Is(err, ErrOutdated), errors.Is(err, ErrTooLong):
			if ok {
				t.Fatalf("Verify(%q, %q) = true with error %v", hash, password, err)
			}
		default:
			t.Fatalf("Verify(%q, %q): undocumented error %v", hash, password, err)
		}
		if len(password) > MaxLength && !errors.Is(err, ErrTooLong) {
			t.Fatalf("Verify with a %d-byte password: %v, want ErrTooLong", len(password), err)
		}

		// A cheap hash of the fuzzed password verifies; another does not.
		h, err := Argon2id{Memory: 8, Time: 1, Threads: 1}.Hash(password)
		if len(password) > MaxLength {
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("Hash of %d bytes: %v, want ErrTooLong", len(password), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := Verify(h, password); !ok || err != nil {
			t.Fatalf("Verify(Hash(%q)) = %v, %v", password, ok, err)
		}
		other := password + "x"
		if len(other) > MaxLength {
			other = password[1:]
		}
		if ok, err := Verify(h, other); ok || err != nil {
			t.Fatalf("Verify(Hash(%q), another) = %v, %v", password, ok, err)
		}
	})
}
