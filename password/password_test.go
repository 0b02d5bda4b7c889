package password

import (
	"errors"
	"strings"
	"testing"
)

// Hashes written by Lucia v2 itself (lucia@2.7.7, generateLuciaPasswordHash,
// run with Node 20). The legacy one was made with Lucia's bundled scrypt at
// r=8 and the salt "legacysalt123456", as Lucia's pre-s2 hashes were.
var luciaVectors = []struct{ password, hash string }{
	{"correct horse battery staple", "s2:vemnxdz8c5auirhd:a24353c9a5e642465e45ddda9ea25704e278179161434737f08d8ec9181d40fc67fb031db615ac3698202033437d200e29dd33586da65b62950a55e6035582fa"},
	// NFKC matters here: the ligature "ﬁ" is hashed as "fi".
	{"Ångström-ﬁ-pässwörd", "s2:xf6l8frmpziue7mt:900588498ed8b11397befe3c5e6ea2a9f8c87434c418c3b79a38ed74411aa857137f17f6398d972e217ff24c7065f5d9cda0b31cb91dfe7ba872117766309234"},
	{"", "s2:bgwuyban9xkvh97y:0ca7dfea667d19f25bcc0a2bfd76c018349dd60816928c797e2e9154d4f667f587bb7ac2dc2e9e06cf063ead9358eaad78cbb1dae04d0fdde672574ab52fbfe2"},
	{"hunter2-legacy", "legacysalt123456:7b7a8f537fab867699889521c170f6b81488ccb01f31e75c808d8f43ae0ad8540d0c43ae6645dbeefccbc371e172253111a65360039214c7fb2f4e88618dfd95"},
}

func TestVerifyLuciaHashes(t *testing.T) {
	for _, v := range luciaVectors {
		ok, err := Verify(v.hash, v.password)
		if err != nil || !ok {
			t.Errorf("Verify(%q, %q) = %v, %v; want true", v.hash, v.password, ok, err)
		}
		ok, err = Verify(v.hash, v.password+"x")
		if err != nil || ok {
			t.Errorf("wrong password for %q: %v, %v; want false, nil", v.hash, ok, err)
		}
	}
	// The NFKC form of the password verifies against the same hash.
	if ok, _ := Verify(luciaVectors[1].hash, "Ångström-fi-pässwörd"); !ok {
		t.Error("NFKC-equivalent password refused")
	}
}

func TestRoundTrip(t *testing.T) {
	for name, h := range map[string]interface {
		Hash(string) (string, error)
		Verify(string, string) (bool, error)
	}{"argon2id": Argon2id{}, "scrypt": Scrypt{}} {
		t.Run(name, func(t *testing.T) {
			a, err := h.Hash("s3cret pässword")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := h.Hash("s3cret pässword")
			if a == b {
				t.Fatal("two hashes of one password are equal: salt not random")
			}
			if ok, err := h.Verify(a, "s3cret pässword"); !ok || err != nil {
				t.Fatalf("Verify own hash: %v %v", ok, err)
			}
			if ok, err := h.Verify(a, "s3cret password"); ok || err != nil {
				t.Fatalf("Verify wrong password: %v %v", ok, err)
			}
		})
	}
}

func TestArgon2idFormat(t *testing.T) {
	h, err := Argon2id{}.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the default parameters", h)
	}
	if a := (Argon2id{}); a.NeedsRehash(h) {
		t.Error("fresh hash needs rehash")
	}
	if a := (Argon2id{Memory: 65536}); !a.NeedsRehash(h) {
		t.Error("weaker memory not flagged for rehash")
	}
	if a := (Argon2id{}); !a.NeedsRehash(luciaVectors[0].hash) {
		t.Error("s2 hash not flagged for rehash by Argon2id")
	}
	if s := (Scrypt{}); s.NeedsRehash(luciaVectors[0].hash) || !s.NeedsRehash(luciaVectors[3].hash) || !s.NeedsRehash(h) {
		t.Error("Scrypt.NeedsRehash: want false for s2, true for legacy and argon2id")
	}
}

func TestTooLong(t *testing.T) {
	long := strings.Repeat("a", MaxLength+1)
	if _, err := (Argon2id{}).Hash(long); !errors.Is(err, ErrTooLong) {
		t.Errorf("Argon2id.Hash: %v", err)
	}
	if _, err := (Scrypt{}).Hash(long); !errors.Is(err, ErrTooLong) {
		t.Errorf("Scrypt.Hash: %v", err)
	}
	if _, err := Verify(luciaVectors[0].hash, long); !errors.Is(err, ErrTooLong) {
		t.Errorf("Verify: %v", err)
	}
	if _, err := (Scrypt{}).Hash(long[:MaxLength]); err != nil {
		t.Errorf("a password of exactly MaxLength bytes: %v", err)
	}
}

func TestBadHashes(t *testing.T) {
	if _, err := Verify("$2a$10$abcdefghijklmnopqrstuuJ1bEJ0m1Yw7bKx1wzQ0rjF1f8v7T8y2", "pw"); !errors.Is(err, ErrOutdated) {
		t.Errorf("bcrypt: %v, want ErrOutdated", err)
	}
	salt, key := "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	for _, h := range []string{
		"", "plain", "s2:", "s2:salt:zz", "s2:salt:" + strings.Repeat("g", 128), "a:b:c:d",
		"s2:salt:" + strings.Repeat("ab", 10),
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt,
		"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key, // 4 TiB of memory
		"$argon2id$v=19$m=19456,t=100000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1048576,t=64,p=1$" + salt + "$" + key, // 1 GiB × 64 passes: minutes
		"$argon2id$v=19$m=1048576,t=2,p=1$" + salt + "$" + key,  // 2 GiB·passes, over maxArgon2Cost
		"$argon2id$v=19$m=65537,t=16,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=255$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$AA",
	} {
		ok, err := Verify(h, "pw")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformedHash", h, ok, err)
		}
	}
}

// TestArgon2idCostBound: memory × passes is bounded, in stored hashes and
// in Hash, so that no hash costs more than one pass over 1 GiB to verify.
func TestArgon2idCostBound(t *testing.T) {
	salt, key := "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	for _, p := range []string{"m=1048576,t=1,p=1", "m=65536,t=16,p=4", "m=16384,t=64,p=1"} {
		if _, err := parseArgon2id("$argon2id$v=19$" + p + "$" + salt + "$" + key); err != nil {
			t.Errorf("%s (at the bound): %v", p, err)
		}
	}
	for _, p := range []string{"m=1048576,t=2,p=1", "m=65537,t=16,p=1", "m=16385,t=64,p=1"} {
		if _, err := parseArgon2id("$argon2id$v=19$" + p + "$" + salt + "$" + key); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s (over the bound): %v, want ErrMalformedHash", p, err)
		}
	}
	if _, err := (Argon2id{Memory: 1 << 20, Time: 2}).Hash("pw"); err == nil {
		t.Error("Hash with 1 GiB × 2 passes: no error")
	}
}

func BenchmarkArgon2idHash(b *testing.B) {
	for b.Loop() {
		if _, err := (Argon2id{}).Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScryptHash(b *testing.B) {
	for b.Loop() {
		if _, err := (Scrypt{}).Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
