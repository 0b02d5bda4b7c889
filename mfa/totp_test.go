package mfa

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTOTPDriftAndSteps(t *testing.T) {
	t.Parallel()
	key, err := NewTOTPKey("Latch", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(key.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != key.Secret {
		t.Fatalf("uri %q: %v", key.URI, err)
	}
	if len(key.Secret) != 32 { // 20 bytes in base32
		t.Fatalf("secret %q: want 32 base32 characters", key.Secret)
	}
	now := time.Date(2026, 12, 5, 1, 0, 10, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		shift int
		ok    bool
	}{
		{"now", 0, true}, {"one step early", -1, true}, {"one step late", 1, true},
		{"two steps early", -2, false}, {"two steps late", 2, false},
	} {
		at := now.Add(time.Duration(tc.shift) * TOTPPeriod)
		code, err := TOTPCode(key.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		step, ok := CheckTOTP(key.Secret, code, now)
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.name, ok, tc.ok)
		}
		if ok && step != TOTPStep(at) {
			t.Errorf("%s: step %d, want %d", tc.name, step, TOTPStep(at))
		}
	}
	if _, ok := CheckTOTP(key.Secret, "000000", now); ok {
		// One chance in 10^6 / 3; the secret is random, so retry once.
		if code, _ := TOTPCode(key.Secret, now); code != "000000" {
			t.Error("a wrong code was accepted")
		}
	}
}

// The RFC 6238 appendix B vector for SHA-1 (the 8-digit code 94287082 at
// 59 s; its last six digits are the 6-digit code).
func TestTOTPRFCVector(t *testing.T) {
	t.Parallel()
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	code, err := TOTPCode(secret, time.Unix(59, 0))
	if err != nil || code != "287082" {
		t.Fatalf("code %q, %v; want 287082", code, err)
	}
	if step, ok := CheckTOTP(secret, "287082", time.Unix(59, 0)); !ok || step != 1 {
		t.Fatalf("CheckTOTP = %d, %v", step, ok)
	}
}

func TestParseTOTPCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"123456": "123456", " 123 456 ": "123456", "123-456": "123456",
		"12345": "", "1234567": "", "12345a": "", "١٢٣٤٥٦": "", "": "",
	} {
		got, ok := ParseTOTPCode(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseTOTPCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 29 || c[5] != '-' || c[11] != '-' || c[17] != '-' || c[23] != '-' {
			t.Fatalf("code %q: want five groups of five base32 characters joined by hyphens", c)
		}
		canon, ok := ParseRecoveryCode(c)
		if !ok || seen[canon] {
			t.Fatalf("code %q: parse %q %v (or repeated)", c, canon, ok)
		}
		seen[canon] = true
		// Typed in capitals, without the hyphen, with spaces: the same code.
		if again, ok := ParseRecoveryCode(" " + strings.ToUpper(strings.ReplaceAll(c, "-", " ")) + " "); !ok || again != canon {
			t.Fatalf("code %q typed differently: %q %v", c, again, ok)
		}
		if RecoveryCodeHash("u1", canon) == RecoveryCodeHash("u2", canon) {
			t.Fatal("the hash does not depend on the user")
		}
	}
	for _, bad := range []string{"", "abcde-fghi", "abcde-fghij1", "abcde-fgh1j", "abcdé-fghij", strings.Repeat("a", 100)} {
		if _, ok := ParseRecoveryCode(bad); ok {
			t.Errorf("ParseRecoveryCode(%q) accepted", bad)
		}
	}
}

func TestQRDataURL(t *testing.T) {
	t.Parallel()
	u, err := QRDataURL("otpauth://totp/Latch:ada@example.com?secret=ABC&issuer=Latch")
	if err != nil {
		t.Fatal(err)
	}
	b64, ok := strings.CutPrefix(u, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40s", u)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("not a PNG: %v", err)
	}
}

func FuzzParseTOTPCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "12-34-56", "", "abcdef", "１２３４５６"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := ParseTOTPCode(s)
		if !ok {
			return
		}
		if len(code) != TOTPDigits {
			t.Fatalf("%q → %q", s, code)
		}
		for _, c := range []byte(code) {
			if c < '0' || c > '9' {
				t.Fatalf("%q → %q", s, code)
			}
		}
	})
}

func FuzzParseRecoveryCode(f *testing.F) {
	for _, s := range []string{"abcde-fghij", "ABCDE FGHIJ", "", "a", "zzzzz-22222"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := ParseRecoveryCode(s)
		if !ok {
			return
		}
		if len(code) != RecoveryCodeLength {
			t.Fatalf("%q → %q", s, code)
		}
		if again, ok := ParseRecoveryCode(code); !ok || again != code {
			t.Fatalf("canonical form %q does not parse to itself", code)
		}
	})
}
