package storetest

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// attributeCases are values that must come back from a store with the same
// Go type and value (times in UTC).
var attributeCases = []struct {
	name string
	in   any
	want any
}{
	{"string", "hello", "hello"},
	{"string-empty", "", ""},
	{"string-unicode", "Ünïcödé ✓ 日本語 ℮", "Ünïcödé ✓ 日本語 ℮"},
	{"string-quotes-backslashes", `"double" 'single' \back\slash\ \n \u0041 %_ ;--`, `"double" 'single' \back\slash\ \n \u0041 %_ ;--`},
	{"string-emoji", "🐱 👩‍👩‍👧 🏳️‍🌈", "🐱 👩‍👩‍👧 🏳️‍🌈"},
	{"string-control-characters", "tab\tnewline\ncarriage\rbell\a", "tab\tnewline\ncarriage\rbell\a"},
	{"string-json-like", `{"$time":"2026-01-01T00:00:00Z"}`, `{"$time":"2026-01-01T00:00:00Z"}`},
	{"string-number-like", "12345678901234567890", "12345678901234567890"},
	{"string-60kb", bigString, bigString},
	{"bool-true", true, true},
	{"bool-false", false, false},
	{"int64-zero", int64(0), int64(0)},
	{"int64-negative", int64(-42), int64(-42)},
	{"int64-max", int64(math.MaxInt64), int64(math.MaxInt64)},
	{"int64-min", int64(math.MinInt64), int64(math.MinInt64)},
	{"int64-beyond-float-precision", int64(1<<53 + 1), int64(1<<53 + 1)},
	{"float64-one", 1.0, 1.0},
	{"float64-zero", 0.0, 0.0},
	{"float64-tenth", 0.1, 0.1},
	{"float64-tiny-negative", -2.5e-300, -2.5e-300},
	{"float64-large", 1.7976931348623157e308, 1.7976931348623157e308},
	{"time-nanoseconds", time.Date(2026, 11, 22, 18, 30, 1, 123456789, time.FixedZone("CET", 3600)),
		time.Date(2026, 11, 22, 17, 30, 1, 123456789, time.UTC)},
	{"time-utc", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
	{"time-before-1970", time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC), time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC)},
	{"nil", nil, nil},
}

// bigString is 60 KiB of text that encodes to about the same size in JSON,
// safely under latch.MaxAttributesSize.
var bigString = strings.Repeat("abcdé🐱", 60<<10/10)

// testAttributes round-trips each value through every path a store has for
// attributes: user create and update, session create and update, list, and
// the joined read when the store has one.
func testAttributes(t *testing.T, open Open) {
	for _, c := range attributeCases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, open)
			want := latch.Attributes{"v": c.want, "other": "kept"}

			created := f.user(latch.Attributes{"v": c.in, "other": "kept"})
			got, err := f.Users.GetUser(f.ctx, created)
			must(t, "GetUser", err)
			checkAttributes(t, "user after CreateUser", got.Attributes, want)

			updated := f.user(latch.Attributes{"other": "kept"})
			must(t, "UpdateUserAttributes", f.Users.UpdateUserAttributes(f.ctx, updated, latch.Attributes{"v": c.in}))
			got, err = f.Users.GetUser(f.ctx, updated)
			must(t, "GetUser", err)
			checkAttributes(t, "user after UpdateUserAttributes", got.Attributes, want)

			s1 := f.session(created, baseMS+hour, latch.Attributes{"v": c.in, "other": "kept"})
			gs, err := f.Sessions.GetSession(f.ctx, s1.ID)
			must(t, "GetSession", err)
			checkAttributes(t, "session after CreateSession", gs.Attributes, want)

			s2 := f.session(created, baseMS+hour, latch.Attributes{"other": "kept"})
			must(t, "UpdateSessionAttributes", f.Sessions.UpdateSessionAttributes(f.ctx, s2.ID, latch.Attributes{"v": c.in}))
			gs, err = f.Sessions.GetSession(f.ctx, s2.ID)
			must(t, "GetSession", err)
			checkAttributes(t, "session after UpdateSessionAttributes", gs.Attributes, want)

			list, err := f.Sessions.ListSessions(f.ctx, created)
			must(t, "ListSessions", err)
			checkIDs(t, "ListSessions", sessionIDs(list), sorted(s1.ID, s2.ID))
			for _, s := range list {
				checkAttributes(t, "session from ListSessions", s.Attributes, want)
			}

			if g, ok := f.Sessions.(latch.SessionUserGetter); ok && f.sessionsWithUsers() {
				gs, gu, err := g.GetSessionAndUser(f.ctx, s1.ID)
				must(t, "GetSessionAndUser", err)
				checkAttributes(t, "session from GetSessionAndUser", gs.Attributes, want)
				checkAttributes(t, "user from GetSessionAndUser", gu.Attributes, want)
			}
		})
	}
}
