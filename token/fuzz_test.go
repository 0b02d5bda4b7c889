package token_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// The values the fuzz target's generators hand out, fixed so that the
// fuzzer can mutate them into near misses. Inputs may also name them by
// placeholder: "ID", "CODE", "OTT" and "RESET" in a value, "OWNER" and
// "OTHER" in a user id.
const (
	fuzzIDValue    = "idTok3n-Value_0001"
	fuzzCodeValue  = "12345678"
	fuzzOTTValue   = "ott0123456789abcdef"
	fuzzResetValue = "Reset-Link-Value-42"
)

// fuzzStorages are the Storage options the target cycles through.
var fuzzStorages = []token.Storage{
	token.Hashed,
	token.Plain,
	token.CustomHash(func(v string) string { return "custom:" + latch.HashToken(v)[:32] }),
}

// fuzzHandlers is one Auth with one handler of each kind, each holding one
// token issued to owner.
type fuzzHandlers struct {
	auth    *latch.Auth
	owner   string // the user the tokens were issued to
	other   string // another user
	session latch.Session
	ids     *token.IDTokens
	codes   *token.PasswordTokens
	ott     *token.OneTimeTokens
	resets  *token.PasswordResets
}

var fuzzUserSeq atomic.Int64

func newFuzzHandlers(t *testing.T, store latch.Store, storage token.Storage) *fuzzHandlers {
	t.Helper()
	ctx := context.Background()
	c := &clock{now: start}
	a, err := latch.New(latch.Config{Store: store, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	n := fuzzUserSeq.Add(1)
	h := &fuzzHandlers{auth: a, owner: fmt.Sprintf("fuzz-owner-%d", n), other: fmt.Sprintf("fuzz-other-%d", n)}
	for _, id := range []string{h.owner, h.other} {
		if _, err := a.CreateUser(ctx, latch.CreateUserOptions{UserID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if h.session, err = a.CreateSession(ctx, latch.CreateSessionOptions{UserID: h.owner}); err != nil {
		t.Fatal(err)
	}
	fixed := func(v string) func(int) (string, error) { return func(int) (string, error) { return v, nil } }
	if h.ids, err = token.NewIDTokens(a, "fuzz-id", token.IDTokenOptions{
		ExpiresIn: time.Hour, Storage: storage, Generate: fixed(fuzzIDValue),
	}); err != nil {
		t.Fatal(err)
	}
	if h.codes, err = token.NewPasswordTokens(a, "fuzz-code", token.PasswordTokenOptions{
		ExpiresIn: time.Hour, Storage: storage, Generate: fixed(fuzzCodeValue),
	}); err != nil {
		t.Fatal(err)
	}
	if h.ott, err = token.NewOneTimeTokens(a, "fuzz-ott", token.OneTimeTokenOptions{
		Storage: storage, Generate: func(latch.Session) (string, error) { return fuzzOTTValue, nil },
	}); err != nil {
		t.Fatal(err)
	}
	if h.resets, err = token.NewPasswordResets(a, token.PasswordResetOptions{Name: "fuzz-reset", Storage: storage}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ids.Issue(ctx, h.owner); err != nil {
		t.Fatal(err)
	}
	if _, err := h.codes.Issue(ctx, h.owner); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ott.Generate(ctx, h.session); err != nil {
		t.Fatal(err)
	}
	return h
}

// validateErr fails unless err is nil or matches one of the documented
// errors of the operation (never a store error, which would be wrapped
// as something else).
func validateErr(t *testing.T, op string, err error, documented ...error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, d := range documented {
		if errors.Is(err, d) {
			return
		}
	}
	t.Fatalf("%s: error %v is none of the documented %v", op, err, documented)
}

// FuzzTokenValidate validates fuzzed values (and user ids, for codes)
// against IDTokens, PasswordTokens, OneTimeTokens and PasswordResets, with
// each storage, on the memory and SQLite stores. It never panics; only the
// issued value validates, and only for its user; every error is one of the
// documented ones; and a failed try never consumes the real token.
func FuzzTokenValidate(f *testing.F) {
	seeds := []struct {
		flags         uint8
		value, userID string
	}{
		{0, "ID", ""},
		{0, fuzzIDValue, ""},
		{0, fuzzIDValue + " ", ""},
		{0, strings.ToUpper(fuzzIDValue), ""},
		{2, fuzzIDValue, ""},
		{4, "ID\x00", ""},
		{1, "CODE", "OWNER"},
		{1, "CODE", "OTHER"},
		{1, fuzzCodeValue, "nobody"},
		{3, "1234567", "OWNER"},
		{5, "CODE", "OWNER\x7f"},
		{9, "CODE", "OWNER\xff"},
		{2, "OTT", ""},
		{6, fuzzOTTValue[:len(fuzzOTTValue)-1], ""},
		{3, "RESET", ""},
		{7, "", ""},
		{0, strings.Repeat("a", 512), ""},
		{0, strings.Repeat("a", 513), ""},
		{1, "\x00", strings.Repeat("u", 256)},
		{1, "é", "é"},
		{0x90, "ID", ""},        // SQLite, Plain
		{0xa1, "CODE", "OWNER"}, // SQLite, CustomHash
		{0x82, "OTT", ""},
		{0x83, "RESET", ""},
		{0x91, fuzzCodeValue + " ", "OWNER"},
		{0x10, strings.Repeat("z", 300), ""},
		{1, "１２３４５６７８", "OWNER"},
		{1, "+1234567", "OWNER"},
		{1, "1234567\n", "OWNER"},
		{1, "0x123456", "OWNER"},
		{1, strings.Repeat("1", 70000), "OWNER"},
		{0, strings.Repeat("ID", 40000), ""},
		{2, "OTT\u200b", ""},
	}
	for _, s := range seeds {
		f.Add(s.flags, s.value, s.userID)
	}
	sqliteStore := openSQLite(f)
	f.Fuzz(func(t *testing.T, flags uint8, value, userID string) {
		ctx := context.Background()
		var store latch.Store = memory.New()
		if flags&0x80 != 0 {
			store = sqliteStore
		}
		h := newFuzzHandlers(t, store, fuzzStorages[int(flags>>4&7)%len(fuzzStorages)])
		defer func() { // the SQLite store is shared: leave nothing behind
			_ = h.auth.DeleteUser(ctx, h.owner)
			_ = h.auth.DeleteUser(ctx, h.other)
		}()
		value = strings.NewReplacer("ID", fuzzIDValue, "CODE", fuzzCodeValue, "OTT", fuzzOTTValue, "RESET", fuzzResetValue).Replace(value)
		userID = strings.NewReplacer("OWNER", h.owner, "OTHER", h.other).Replace(userID)

		switch flags & 3 {
		case 0:
			tok, err := h.ids.Validate(ctx, value)
			validateErr(t, "IDTokens.Validate", err, token.ErrInvalidToken, token.ErrExpiredToken)
			if (err == nil) != (value == fuzzIDValue) {
				t.Fatalf("IDTokens.Validate(%q) = %v, %v", value, tok, err)
			}
			if err == nil {
				if tok.UserID != h.owner || tok.String() != value {
					t.Fatalf("IDTokens.Validate(%q) returned %+v", value, tok)
				}
				break
			}
			if _, err := h.ids.Validate(ctx, fuzzIDValue); err != nil {
				t.Fatalf("after a failed Validate(%q), the issued token does not validate: %v", value, err)
			}
		case 1:
			tok, err := h.codes.Validate(ctx, value, userID)
			validateErr(t, "PasswordTokens.Validate", err, token.ErrInvalidToken, token.ErrExpiredToken, token.ErrTooManyAttempts)
			if (err == nil) != (value == fuzzCodeValue && userID == h.owner) {
				t.Fatalf("PasswordTokens.Validate(%q, %q) = %v, %v", value, userID, tok, err)
			}
			if err == nil {
				if tok.UserID != h.owner {
					t.Fatalf("PasswordTokens.Validate returned %+v", tok)
				}
				break
			}
			if _, err := h.codes.Validate(ctx, fuzzCodeValue, h.owner); err != nil {
				t.Fatalf("after a failed Validate(%q, %q), the owner's code does not validate: %v", value, userID, err)
			}
		case 2:
			s, err := h.ott.Verify(ctx, value)
			validateErr(t, "OneTimeTokens.Verify", err, token.ErrInvalidToken, token.ErrExpiredToken)
			if (err == nil) != (value == fuzzOTTValue) {
				t.Fatalf("OneTimeTokens.Verify(%q) = %v, %v", value, s.ID, err)
			}
			if err == nil {
				if s.ID != h.session.ID || s.Token != h.session.Token || s.UserID != h.owner {
					t.Fatalf("OneTimeTokens.Verify returned session %q of %q", s.ID, s.UserID)
				}
				break
			}
			if _, err := h.ott.Verify(ctx, fuzzOTTValue); err != nil {
				t.Fatalf("after a failed Verify(%q), the issued token does not verify: %v", value, err)
			}
		case 3:
			// Reset links are random; the fuzzed value can only miss.
			issued, err := h.resets.Issue(ctx, h.owner)
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.resets.Validate(ctx, value)
			validateErr(t, "PasswordResets.Validate", err, token.ErrInvalidToken, token.ErrExpiredToken)
			if (err == nil) != (value == issued.String()) {
				t.Fatalf("PasswordResets.Validate(%q) = %v", value, err)
			}
			if err == nil {
				break
			}
			if _, err := h.resets.Validate(ctx, issued.String()); err != nil {
				t.Fatalf("after a failed Validate(%q), the issued link does not validate: %v", value, err)
			}
		}

		// Invalidate succeeds whatever the input.
		if err := h.ids.Invalidate(ctx, value); err != nil {
			t.Fatalf("IDTokens.Invalidate(%q): %v", value, err)
		}
		if err := h.codes.Invalidate(ctx, value, userID); err != nil {
			t.Fatalf("PasswordTokens.Invalidate(%q, %q): %v", value, userID, err)
		}
		if err := h.codes.InvalidateAllUserTokens(ctx, userID); err != nil {
			t.Fatalf("PasswordTokens.InvalidateAllUserTokens(%q): %v", userID, err)
		}
	})
}
