package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// diffValue describes how got differs from want, or returns "". Types must
// match exactly; times must be Equal and in UTC.
func diffValue(got, want any) string {
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		return fmt.Sprintf("got %s of type %T, want %s of type %T", short(got), got, short(want), want)
	}
	switch w := want.(type) {
	case time.Time:
		g := got.(time.Time)
		if !g.Equal(w) {
			return fmt.Sprintf("got time %s, want %s", g.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano))
		}
		if g.Location() != time.UTC {
			return fmt.Sprintf("got time in %v, want UTC", g.Location())
		}
	case nil:
	default:
		if got != want {
			return fmt.Sprintf("got %s, want %s", short(got), short(want))
		}
	}
	return ""
}

// short formats a value for a message, cutting long strings.
func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 80 {
		s = s[:40] + fmt.Sprintf("…(%d bytes)…", len(s)) + s[len(s)-20:]
	}
	return s
}

// diffAttributes lists how got differs from want: missing, extra or
// different entries.
func diffAttributes(got, want latch.Attributes) []string {
	var d []string
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			d = append(d, fmt.Sprintf("%q missing (want %s)", k, short(w)))
			continue
		}
		if s := diffValue(g, w); s != "" {
			d = append(d, fmt.Sprintf("%q: %s", k, s))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%q unexpected (%s)", k, short(g)))
		}
	}
	sort.Strings(d)
	return d
}

func checkAttributes(t *testing.T, what string, got, want latch.Attributes) {
	t.Helper()
	if d := diffAttributes(got, want); len(d) > 0 {
		t.Errorf("%s attributes:\n\t%s", what, strings.Join(d, "\n\t"))
	}
}

func checkUser(t *testing.T, what string, got latch.UserRecord, want latch.UserRecord) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("%s: ID %q, want %q", what, got.ID, want.ID)
	}
	checkAttributes(t, what, got.Attributes, want.Attributes)
}

func checkKey(t *testing.T, what string, got, want latch.KeyRecord) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID {
		t.Errorf("%s: key %q of user %q, want %q of %q", what, got.ID, got.UserID, want.ID, want.UserID)
	}
	switch {
	case want.HashedPassword == nil && got.HashedPassword != nil:
		t.Errorf("%s: HashedPassword %q, want nil", what, *got.HashedPassword)
	case want.HashedPassword != nil && got.HashedPassword == nil:
		t.Errorf("%s: HashedPassword nil, want %q", what, *want.HashedPassword)
	case want.HashedPassword != nil && *got.HashedPassword != *want.HashedPassword:
		t.Errorf("%s: HashedPassword %q, want %q", what, *got.HashedPassword, *want.HashedPassword)
	}
}

func checkSession(t *testing.T, what string, got, want latch.SessionRecord) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID {
		t.Errorf("%s: session %q of user %q, want %q of %q", what, got.ID, got.UserID, want.ID, want.UserID)
	}
	if got.ActiveExpires != want.ActiveExpires || got.IdleExpires != want.IdleExpires {
		t.Errorf("%s: expiries (active %d, idle %d), want (%d, %d)", what,
			got.ActiveExpires, got.IdleExpires, want.ActiveExpires, want.IdleExpires)
	}
	checkAttributes(t, what, got.Attributes, want.Attributes)
}

func checkToken(t *testing.T, what string, got, want latch.TokenRecord) {
	t.Helper()
	if got.ID != want.ID || got.Kind != want.Kind || got.UserID != want.UserID {
		t.Errorf("%s: token (%q, %q) of user %q, want (%q, %q) of %q", what,
			got.Kind, got.ID, got.UserID, want.Kind, want.ID, want.UserID)
	}
	if got.Expires != want.Expires {
		t.Errorf("%s: Expires %d, want %d", what, got.Expires, want.Expires)
	}
	if got.SessionID != want.SessionID {
		t.Errorf("%s: SessionID %q, want %q", what, got.SessionID, want.SessionID)
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("%s: Data %q, want %q", what, got.Data, want.Data)
	}
}

// ids returns the ids of records, sorted, for comparing lists.
func ids[R any](recs []R, id func(R) string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = id(r)
	}
	sort.Strings(out)
	return out
}

func sessionIDs(recs []latch.SessionRecord) []string {
	return ids(recs, func(r latch.SessionRecord) string { return r.ID })
}

func keyIDs(recs []latch.KeyRecord) []string {
	return ids(recs, func(r latch.KeyRecord) string { return r.ID })
}

func tokenIDs(recs []latch.TokenRecord) []string {
	return ids(recs, func(r latch.TokenRecord) string { return r.Kind + "/" + r.ID })
}

// sorted returns a sorted copy.
func sorted(s ...string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// checkIDs fails unless got and want hold the same ids.
func checkIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %d ids %q, want %d ids %q", what, len(got), got, len(want), want)
	}
}
