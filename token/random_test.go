package token_test

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// Chi-square limits that a uniform source exceeds with probability 1e-6,
// so that a test fails by chance about once in a million runs: the x with
// Q(df/2, x/2) = 1e-6, Q the regularized upper incomplete gamma function
// (computed with mpmath to 30 digits; TestChiSquareLimits checks them with
// chiSquareSurvival). For df = 9, 37.0 would fail once in 38,000 runs
// (p = 2.6e-5): too often for a test that runs on every change.
const (
	chiSquareLimitDigits       = 44.81 // df = 9
	chiSquareLimitAlphanumeric = 128.52
)

// chiSquareSurvival returns P(X ≥ x) for X chi-square with df degrees of
// freedom, Q(df/2, x/2), in closed form: for even df, e^-y Σ_{i<df/2}
// y^i/i!; for odd df, erfc(√y) + e^-y Σ_{i<(df-1)/2} y^(i+½)/Γ(i+3/2); y = x/2.
func chiSquareSurvival(df int, x float64) float64 {
	y := x / 2
	if df%2 == 0 {
		term, sum := math.Exp(-y), 0.0
		for i := range df / 2 {
			if i > 0 {
				term *= y / float64(i)
			}
			sum += term
		}
		return sum
	}
	term, sum := math.Exp(-y)*math.Sqrt(y)/math.Gamma(1.5), math.Erfc(math.Sqrt(y))
	for i := range (df - 1) / 2 {
		if i > 0 {
			term *= y / (float64(i) + 0.5)
		}
		sum += term
	}
	return sum
}

func TestChiSquareLimits(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		df    int
		limit float64
	}{{9, chiSquareLimitDigits}, {61, chiSquareLimitAlphanumeric}} {
		if p := chiSquareSurvival(c.df, c.limit); p < 0.99e-6 || p > 1.01e-6 {
			t.Errorf("df %d: P(X ≥ %.2f) = %.3g, want 1e-6", c.df, c.limit, p)
		}
	}
	// Known values: df 2 is exponential; df 1 at 3.841 is the 5% point.
	if p := chiSquareSurvival(2, 4); math.Abs(p-math.Exp(-2)) > 1e-12 {
		t.Errorf("df 2: P(X ≥ 4) = %v, want e^-2", p)
	}
	if p := chiSquareSurvival(1, 3.841459); math.Abs(p-0.05) > 1e-6 {
		t.Errorf("df 1: P(X ≥ 3.841459) = %v, want 0.05", p)
	}
}

// chiSquare returns the statistic of the byte counts against a uniform
// distribution over alphabet.
func chiSquare(counts *[256]int, alphabet string) float64 {
	total := 0
	for i := range len(alphabet) {
		total += counts[alphabet[i]]
	}
	expected := float64(total) / float64(len(alphabet))
	x := 0.0
	for i := range len(alphabet) {
		d := float64(counts[alphabet[i]]) - expected
		x += d * d / expected
	}
	return x
}

// randomCheck collects values and checks them: no duplicates, only
// alphabet characters, the right length, and the characters uniform.
type randomCheck struct {
	t        *testing.T
	kind     string
	length   int
	alphabet string
	limit    float64
	seen     map[string]struct{}
	counts   [256]int
}

func newRandomCheck(t *testing.T, kind string, n, length int, alphabet string, limit float64) *randomCheck {
	return &randomCheck{t: t, kind: kind, length: length, alphabet: alphabet, limit: limit, seen: make(map[string]struct{}, n)}
}

func (r *randomCheck) add(v string) {
	r.t.Helper()
	if len(v) != r.length || strings.Trim(v, r.alphabet) != "" {
		r.t.Fatalf("%s: value %q, want %d characters of %q", r.kind, v, r.length, r.alphabet)
	}
	if _, dup := r.seen[v]; dup {
		r.t.Fatalf("%s: duplicate value %q after %d", r.kind, v, len(r.seen))
	}
	r.seen[v] = struct{}{}
	for i := range len(v) {
		r.counts[v[i]]++
	}
}

func (r *randomCheck) done() {
	r.t.Helper()
	x := chiSquare(&r.counts, r.alphabet)
	r.t.Logf("%s: %d values, chi-square %.1f (df %d, limit %.2f at p = 1e-6)", r.kind, len(r.seen), x, len(r.alphabet)-1, r.limit)
	if x > r.limit {
		r.t.Errorf("%s: chi-square %.1f over %.2f: characters not uniform", r.kind, x, r.limit)
	}
}

// TestRandomness issues 10^5 tokens of each kind through the handlers with
// their default generators (latch.RandomString) on the memory store.
// Codes go to distinct users so that all 10^5 are open at once: among 10^5
// draws of 8 digits about 50 pairs are expected to be equal, and Issue must
// have replaced each such draw with a fresh one (the store refuses the
// taken id), so the open codes are all distinct.
func TestRandomness(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t)
		})
	}
	run("id", func(t *testing.T) {
		e := newEnv(t, memory.New())
		ids := must(token.NewIDTokens(e.auth, "link", token.IDTokenOptions{ExpiresIn: time.Hour}))(t, "NewIDTokens")
		u := e.user()
		r := newRandomCheck(t, "IDTokens", n, 43, latch.AlphabetAlphanumeric, chiSquareLimitAlphanumeric)
		for range n {
			r.add(must(ids.Issue(e.ctx, u))(t, "Issue").String())
		}
		r.done()
	})
	run("reset", func(t *testing.T) {
		e := newEnv(t, memory.New())
		resets := must(token.NewPasswordResets(e.auth, token.PasswordResetOptions{IssueLimit: n}))(t, "NewPasswordResets")
		u := e.user()
		r := newRandomCheck(t, "PasswordResets", n, 43, latch.AlphabetAlphanumeric, chiSquareLimitAlphanumeric)
		for range n {
			r.add(must(resets.Issue(e.ctx, u))(t, "Issue").String())
		}
		r.done()
	})
	run("one-time", func(t *testing.T) {
		e := newEnv(t, memory.New())
		ott := must(token.NewOneTimeTokens(e.auth, "ott", token.OneTimeTokenOptions{}))(t, "NewOneTimeTokens")
		s := e.session(e.user())
		r := newRandomCheck(t, "OneTimeTokens", n, 32, latch.AlphabetAlphanumeric, chiSquareLimitAlphanumeric)
		for range n {
			r.add(must(ott.Generate(e.ctx, s))(t, "Generate").String())
		}
		r.done()
	})
	run("code", func(t *testing.T) {
		store := memory.New()
		e := newEnv(t, store)
		codes := must(token.NewPasswordTokens(e.auth, "code", token.PasswordTokenOptions{ExpiresIn: time.Hour}))(t, "NewPasswordTokens")
		r := newRandomCheck(t, "PasswordTokens", n, 8, latch.AlphabetDigits, chiSquareLimitDigits)
		for i := range n {
			u := "u" + strconv.Itoa(i)
			noErr(t, "CreateUser", store.CreateUser(e.ctx, latch.UserRecord{ID: u}, nil))
			r.add(must(codes.Issue(e.ctx, u))(t, "Issue").String())
		}
		t.Logf("PasswordTokens: %d taken codes replaced by Issue", e.spy.puts.Load()-int64(n))
		r.done()
	})
}
