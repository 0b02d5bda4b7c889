package authapi

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/throttle"
)

// recoveryStores are the stores the recovery-code race runs on.
var recoveryStores = []struct {
	name string
	open func(t *testing.T) latch.Config
}{
	{"memory", func(*testing.T) latch.Config { return latch.Config{Store: memory.New()} }},
	{"sqlite", func(t *testing.T) latch.Config {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "latch.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return latch.Config{Store: s}
	}},
	{"postgres", func(t *testing.T) latch.Config {
		s, err := postgres.Open(t.Context(), testenv.Postgres(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return latch.Config{Store: s}
	}},
	{"memory+redis", func(t *testing.T) latch.Config { // tokens in Redis, as latchd with --redis-url
		url, prefix := testenv.Redis(t)
		rs, err := redis.Open(url, redis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rs.Close() })
		return latch.Config{Store: memory.New(), Tokens: rs}
	}},
}

func newFactorHandler(t *testing.T, cfg latch.Config) (*Handler, latch.User) {
	t.Helper()
	auth, err := latch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Auth: auth, BaseURL: "http://127.0.0.1", Mailer: mail.NewOutbox()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	u, err := auth.CreateUser(t.Context(), latch.CreateUserOptions{Attributes: latch.Attributes{attrEmail: "race@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return h, u
}

// TestRecoveryCodeRace: 50 concurrent uses of one recovery code, exactly
// one wins, on every store that keeps tokens in one place (TakeToken).
func TestRecoveryCodeRace(t *testing.T) {
	for _, st := range recoveryStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			h, u := newFactorHandler(t, st.open(t))
			// A throttle that lets every attempt through: the race is the
			// store's, not the throttle's (which would stop most of them).
			var err error
			h.factorLimit, err = throttle.New(throttle.NewMemoryStore(nil), throttle.Options{Free: 1000})
			if err != nil {
				t.Fatal(err)
			}
			codes, err := h.newRecoveryCodes(t.Context(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			const n = 50
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					r := httptest.NewRequest("POST", "/api/auth/two-factor/verify", nil)
					_, errs[i] = h.verifyRecoveryCode(r, u.ID, factorProof{Code: codes[4]})
				})
			}
			close(start)
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, ErrInvalidTwoFactorCode):
					t.Errorf("unexpected error: %v", err)
				}
			}
			if wins != 1 {
				t.Fatalf("%d of %d concurrent uses won, want exactly 1", wins, n)
			}
			// The other codes are untouched.
			recs, err := h.auth.TokenStore().ListTokens(t.Context(), u.ID, recoveryCodeKind)
			if err != nil || len(recs) != 9 {
				t.Fatalf("%d codes left, %v; want 9", len(recs), err)
			}
			for _, rec := range recs {
				for _, c := range codes { // stored hashed, never as typed
					if rec.ID == c || slices.Contains([]byte(rec.ID), '-') {
						t.Fatalf("a code is stored as it is: %q", rec.ID)
					}
				}
			}
		})
	}
}

// TestVoidKeepsFactorTokens: voiding a user's tokens (password or email
// change) voids sign-in and step-up tokens but keeps recovery codes and
// TOTP step markers; removing the factors takes them.
func TestVoidKeepsFactorTokens(t *testing.T) {
	for _, st := range recoveryStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			h, u := newFactorHandler(t, st.open(t))
			ctx := t.Context()
			ts := h.auth.TokenStore()
			if _, err := h.newRecoveryCodes(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := h.checkCode(ctx, u.ID, "f1", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", mustCode(t, h)); err != nil {
				t.Fatal(err)
			}
			if _, err := h.magic.Issue(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			count := func(kind string) int {
				recs, err := ts.ListTokens(ctx, u.ID, kind)
				if err != nil {
					t.Fatal(err)
				}
				return len(recs)
			}
			if err := h.voidTokens(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if count("magic-link") != 0 || count(recoveryCodeKind) != 10 || count(totpStepKind) != 1 {
				t.Fatalf("after voiding: magic %d, recovery %d, steps %d", count("magic-link"), count(recoveryCodeKind), count(totpStepKind))
			}
			if err := h.removeFactors(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if count(recoveryCodeKind) != 0 || count(totpStepKind) != 0 {
				t.Fatalf("after removing the factors: recovery %d, steps %d", count(recoveryCodeKind), count(totpStepKind))
			}
		})
	}
}

func mustCode(t *testing.T, h *Handler) string {
	t.Helper()
	c, err := mfa.TOTPCode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", h.auth.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTOTPResealOnUse: after a key rotation (a new current key, the old
// one kept for reading), a TOTP secret sealed with the old key still
// verifies and is sealed again with the new key on that use.
func TestTOTPResealOnUse(t *testing.T) {
	h, u := newFactorHandler(t, latch.Config{Store: memory.New()})
	ctx := t.Context()
	oldSpec, _ := mfa.GenerateKey()
	newSpec, _ := mfa.GenerateKey()
	oldRing, _ := mfa.ParseKeyring(oldSpec)
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	sealed, err := oldRing.Seal([]byte(secret), factorAD(u.ID, "totp_1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.auth.CreateFactor(ctx, latch.FactorRecord{ID: "totp_1", UserID: u.ID, Kind: latch.FactorTOTP, Data: sealed}); err != nil {
		t.Fatal(err)
	}
	// Sealed for another user or factor, it does not open.
	if _, err := oldRing.Open(sealed, factorAD("someone-else", "totp_1")); err == nil {
		t.Fatal("a secret opened with another user's associated data")
	}
	h.keyring, err = mfa.ParseKeyring(newSpec + "," + oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/api/auth/two-factor/verify", nil)
	if _, err := h.verifyTOTP(r, u.ID, factorProof{Code: mustCode(t, h)}); err != nil {
		t.Fatalf("verify under the rotated ring: %v", err)
	}
	f, err := h.auth.GetFactor(ctx, "totp_1")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := mfa.KeyID(f.Data); id != h.keyring.Current() || h.keyring.Stale(f.Data) {
		t.Fatalf("after use the secret is sealed with %q, want the current key %q", id, h.keyring.Current())
	}
	if f.LastUsedAt == 0 {
		t.Error("LastUsedAt not set")
	}
	// The old key can go now: the new ring alone opens it.
	newRing, _ := mfa.ParseKeyring(newSpec)
	if got, err := newRing.Open(f.Data, factorAD(u.ID, "totp_1")); err != nil || string(got) != secret {
		t.Fatalf("the new key alone: %q, %v", got, err)
	}
}

// TestTOTPReplayAcrossInstances: two handlers (two latchd instances) on
// one store: a code accepted by one is refused by the other.
func TestTOTPReplayAcrossInstances(t *testing.T) {
	for _, st := range recoveryStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			cfg := st.open(t)
			h1, u := newFactorHandler(t, cfg)
			spec, _ := mfa.GenerateKey()
			h1.keyring, _ = mfa.ParseKeyring(spec) // as latchd with one LATCH_SECRET_KEY
			auth2, err := latch.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			h2, err := New(Config{Auth: auth2, BaseURL: "http://127.0.0.1", Mailer: mail.NewOutbox(), Keyring: h1.keyring})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h2.Close(context.Background()) })
			if !h1.auth.HasFactors() {
				t.Skip("this store keeps no factors yet")
			}
			secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			sealed, err := h1.keyring.Seal([]byte(secret), factorAD(u.ID, "totp_shared"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h1.auth.CreateFactor(t.Context(), latch.FactorRecord{ID: "totp_shared", UserID: u.ID, Kind: latch.FactorTOTP, Data: sealed}); err != nil {
				t.Fatal(err)
			}
			code := mustCode(t, h1)
			r := httptest.NewRequest("POST", "/api/auth/two-factor/verify", nil)
			if _, err := h1.verifyTOTP(r, u.ID, factorProof{Code: code}); err != nil {
				t.Fatalf("first use on instance 1: %v", err)
			}
			if _, err := h2.verifyTOTP(r, u.ID, factorProof{Code: code}); !errors.Is(err, ErrInvalidTwoFactorCode) {
				t.Fatalf("replay on instance 2: %v, want ErrInvalidTwoFactorCode", err)
			}
		})
	}
}

// TestTwoFactorWithoutKeyring: outside dev without a Keyring, enrolment
// is off (TWO_FACTOR_DISABLED) but the factors stay registered, so a user
// who has one is still asked for it.
func TestTwoFactorWithoutKeyring(t *testing.T) {
	h, u := newFactorHandler(t, latch.Config{Store: memory.New()})
	if h.keyring != nil || h.twoFactorReady() != ErrTwoFactorDisabled {
		t.Fatalf("keyring %v, ready %v", h.keyring, h.twoFactorReady())
	}
	r := httptest.NewRequest("POST", "/api/auth/two-factor/totp", nil)
	if _, err := h.startTOTP(r, latch.Session{ID: "s", UserID: u.ID}, "any"); err != ErrTwoFactorDisabled {
		t.Fatalf("enrolment: %v", err)
	}
	if _, err := h.auth.CreateFactor(t.Context(), latch.FactorRecord{ID: "totp_old", UserID: u.ID, Kind: latch.FactorTOTP, Data: []byte("sealed before")}); err != nil {
		t.Fatal(err)
	}
	if got, err := h.userFactors(t.Context(), u.ID); err != nil || !slices.Equal(got, []string{"totp"}) {
		t.Fatalf("userFactors = %v, %v", got, err)
	}
	if _, err := h.verifyTOTP(r, u.ID, factorProof{Code: "123456"}); err != ErrTwoFactorDisabled {
		t.Fatalf("verify without a key: %v", err)
	}
}
