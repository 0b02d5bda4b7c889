package mfa_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/latchauth/latch/mfa"
)

func TestKeyringRotation(t *testing.T) {
	k1, err := mfa.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := mfa.GenerateKey()
	old, err := mfa.ParseKeyring(k1)
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("user\x00factor")
	sealed, err := old.Seal([]byte("JBSWY3DPEHPK3PXP"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("the secret is readable in the sealed form")
	}
	again, _ := old.Seal([]byte("JBSWY3DPEHPK3PXP"), ad)
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one secret are equal: the nonce is not random")
	}
	// Rotation: the new key in front, the old kept for reading.
	ring, err := mfa.ParseKeyring(k2 + ", " + k1)
	if err != nil {
		t.Fatal(err)
	}
	if !ring.Stale(sealed) || old.Stale(sealed) {
		t.Error("Stale: a secret of the old key must be stale in the new ring only")
	}
	pt, err := ring.Open(sealed, ad)
	if err != nil || string(pt) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open with the rotated ring: %q, %v", pt, err)
	}
	resealed, _ := ring.Seal(pt, ad)
	if ring.Stale(resealed) {
		t.Error("a secret sealed again is still stale")
	}
	if id, _ := mfa.KeyID(resealed); id != ring.Current() || !strings.HasPrefix(k2, id+":") {
		t.Errorf("resealed with key %q, want the current %q", id, ring.Current())
	}
	// The old ring cannot read what the new key sealed; a wrong
	// associated data (another row) does not open; damage does not open.
	if _, err := old.Open(resealed, ad); !errors.Is(err, mfa.ErrSealed) {
		t.Errorf("old ring opened a new secret: %v", err)
	}
	if _, err := ring.Open(sealed, []byte("other\x00factor")); !errors.Is(err, mfa.ErrSealed) {
		t.Errorf("opened with another row's data: %v", err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x40
		if _, err := ring.Open(bad, ad); err == nil {
			t.Fatalf("a flipped byte %d still opens", i)
		}
	}
	for _, short := range [][]byte{nil, {1}, {1, 5, 'a'}, {2, 1, 'a'}} {
		if _, err := ring.Open(short, ad); !errors.Is(err, mfa.ErrSealed) {
			t.Errorf("Open(%v) = %v", short, err)
		}
	}
}

func TestParseKeyring(t *testing.T) {
	good, _ := mfa.GenerateKey()
	_, b64, _ := strings.Cut(good, ":")
	ring, err := mfa.ParseKeyring(b64)
	if err != nil || len(ring.Current()) != 8 {
		t.Fatalf("a bare key: %v, id %q", err, ring.Current())
	}
	for _, bad := range []string{"", " , ", "short", "k:" + b64[:20], "bad id!:" + b64, "a:" + b64 + ",a:" + b64, strings.Repeat("x", 33) + ":" + b64} {
		if _, err := mfa.ParseKeyring(bad); err == nil {
			t.Errorf("ParseKeyring(%q) accepted", bad)
		}
	}
}
