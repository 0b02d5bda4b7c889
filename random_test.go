package latch

import (
	"crypto/rand"
	"math"
	"strings"
	"testing"
)

// chiSquareLimit is the chi-square value a uniform source exceeds with
// probability about 1e-6 (Wilson–Hilferty approximation, z = 4.753), so the
// test fails by chance about once in a million runs.
func chiSquareLimit(df int) float64 {
	d := float64(df)
	k := 2 / (9 * d)
	return d * math.Pow(1-k+4.753*math.Sqrt(k), 3)
}

func chiSquare(counts map[byte]int, alphabet string, total int) float64 {
	expected := float64(total) / float64(len(alphabet))
	var x float64
	for i := 0; i < len(alphabet); i++ {
		d := float64(counts[alphabet[i]]) - expected
		x += d * d / expected
	}
	return x
}

func TestRandomStringUniform(t *testing.T) {
	t.Parallel()
	const draws = 1_000_000
	for _, alphabet := range []string{AlphabetDigits, AlphabetLowerNumeric, AlphabetAlphanumeric} {
		s, err := RandomString(draws, alphabet)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[byte]int{}
		for i := 0; i < len(s); i++ {
			if strings.IndexByte(alphabet, s[i]) < 0 {
				t.Fatalf("character %q is not in the alphabet %q", s[i], alphabet)
			}
			counts[s[i]]++
		}
		x, limit := chiSquare(counts, alphabet, draws), chiSquareLimit(len(alphabet)-1)
		t.Logf("alphabet of %d: chi-square %.1f (limit %.1f at p=1e-6)", len(alphabet), x, limit)
		if x > limit {
			t.Errorf("alphabet of %d: chi-square %.1f over %.1f: not uniform", len(alphabet), x, limit)
		}
	}
}

// TestChiSquareCatchesModuloBias shows the uniformity test can fail: the
// naive byte%62 mapping favours the first 8 characters by 5/256 against 4/256.
func TestChiSquareCatchesModuloBias(t *testing.T) {
	t.Parallel()
	const draws = 1_000_000
	buf := make([]byte, draws)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	counts := map[byte]int{}
	for _, b := range buf {
		counts[AlphabetAlphanumeric[int(b)%len(AlphabetAlphanumeric)]]++
	}
	x, limit := chiSquare(counts, AlphabetAlphanumeric, draws), chiSquareLimit(61)
	if x <= limit {
		t.Fatalf("biased source passed: chi-square %.1f ≤ %.1f", x, limit)
	}
}

func TestRandomStringArguments(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n        int
		alphabet string
		ok       bool
	}{
		{0, AlphabetDigits, true},
		{1, "ab", true},
		{5, "a", false},
		{5, "", false},
		{-1, AlphabetDigits, false},
		{40, strings.Repeat("x", 257), false},
	} {
		s, err := RandomString(c.n, c.alphabet)
		if (err == nil) != c.ok {
			t.Errorf("RandomString(%d, %d chars): err %v, want ok=%v", c.n, len(c.alphabet), err, c.ok)
		}
		if err == nil && len(s) != c.n {
			t.Errorf("RandomString(%d): got %d characters", c.n, len(s))
		}
	}
	full := make([]byte, 256)
	for i := range full {
		full[i] = byte(i)
	}
	if s, err := RandomString(100, string(full)); err != nil || len(s) != 100 {
		t.Errorf("256-byte alphabet: %q, %v", s, err)
	}
}

func BenchmarkRandomString40(b *testing.B) {
	for b.Loop() {
		if _, err := RandomString(40, AlphabetLowerNumeric); err != nil {
			b.Fatal(err)
		}
	}
}
