package latch

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAttributesRoundTrip(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 11, 22, 18, 30, 1, 123456789, time.FixedZone("x", 3600))
	in := Attributes{
		"email":          "Ünïcode \"quoted\" \\ 🐱",
		"email_verified": true,
		"count":          42,
		"small":          int8(-3),
		"big":            int64(math.MaxInt64),
		"neg":            int64(math.MinInt64),
		"unsigned":       uint32(7),
		"ratio":          1.0,
		"tiny":           -2.5e-300,
		"created":        when,
		"nothing":        nil,
	}
	data, err := MarshalAttributes(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := UnmarshalAttributes(data)
	if err != nil {
		t.Fatal(err)
	}
	want := Attributes{
		"email": in["email"], "email_verified": true, "count": int64(42), "small": int64(-3),
		"big": int64(math.MaxInt64), "neg": int64(math.MinInt64), "unsigned": int64(7),
		"ratio": 1.0, "tiny": -2.5e-300, "created": when.UTC(), "nothing": nil,
	}
	for k, v := range want {
		got, ok := out[k]
		if !ok {
			t.Errorf("%s: missing after round trip", k)
			continue
		}
		if reflect.TypeOf(got) != reflect.TypeOf(v) {
			t.Errorf("%s: type %T, want %T", k, got, v)
		}
		if gt, isTime := got.(time.Time); isTime {
			if !gt.Equal(v.(time.Time)) || gt.Location() != time.UTC {
				t.Errorf("%s: %v, want %v in UTC", k, gt, v)
			}
		} else if got != v {
			t.Errorf("%s: %v, want %v", k, got, v)
		}
	}
	if len(out) != len(want) {
		t.Errorf("got %d attributes, want %d", len(out), len(want))
	}
}

func TestAttributesRefused(t *testing.T) {
	t.Parallel()
	for name, a := range map[string]Attributes{
		"struct value":      {"x": struct{}{}},
		"slice value":       {"x": []string{"a"}},
		"10 MB string":      {"x": strings.Repeat("a", 10<<20)},
		"NUL in string":     {"x": "a\x00b"},
		"NaN":               {"x": math.NaN()},
		"infinity":          {"x": math.Inf(1)},
		"uint64 overflow":   {"x": uint64(math.MaxUint64)},
		"empty name":        {"": 1},
		"name with space":   {"a b": 1},
		"name with digit 0": {"1a": 1},
		"long name":         {strings.Repeat("a", 65): 1},
		"too large in all": func() Attributes {
			a := Attributes{}
			for i := 0; i < 40; i++ {
				a["k"+strings.Repeat("x", i)] = strings.Repeat("v", 2000)
			}
			return a
		}(),
	} {
		if _, err := MarshalAttributes(a); !errors.Is(err, ErrInvalidAttributes) {
			t.Errorf("%s: err %v, want ErrInvalidAttributes", name, err)
		}
	}
}

func TestUnmarshalAttributesMalformed(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`[1]`, `{"a":{"b":1}}`, `{"a":{"$time":"nope"}}`, `{"a":[1]}`, `{"a":1e999}`, `{`, `{"a":99999999999999999999}`, `{"a":1}x`, `{"a":1} {}`, `{}]`, `null`} {
		if _, err := UnmarshalAttributes([]byte(s)); err == nil {
			t.Errorf("%s: decoded without error", s)
		}
	}
	if a, err := UnmarshalAttributes(nil); err != nil || len(a) != 0 {
		t.Errorf("empty input: %v, %v", a, err)
	}
}

func TestCheckID(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"abc", true}, {"a:b:c", true}, {"ünï", true},
		{"", false}, {"a\x00b", false}, {"a\nb", false}, {strings.Repeat("a", 256), false}, {"\xff", false},
	} {
		if err := checkID("id", c.id); (err == nil) != c.ok {
			t.Errorf("checkID(%q) = %v, want ok=%v", c.id, err, c.ok)
		} else if err != nil && !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("checkID(%q) = %v, want ErrInvalidRequest", c.id, err)
		}
	}
}

func TestKeyIDParsing(t *testing.T) {
	t.Parallel()
	p, u, err := ParseKeyID("email:a:b@example.com")
	if err != nil || p != "email" || u != "a:b@example.com" {
		t.Fatalf("ParseKeyID = %q %q %v", p, u, err)
	}
	for _, bad := range []string{"", "email", ":x", "email:"} {
		if _, _, err := ParseKeyID(bad); !errors.Is(err, ErrInvalidKeyID) {
			t.Errorf("ParseKeyID(%q) err %v", bad, err)
		}
	}
}

// TestAttributesTypedAccessors checks the accessors, the conversions for
// the integer booleans and the integer and text times of databases written
// by JavaScript applications included.
func TestAttributesTypedAccessors(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 22, 1, 2, 345_000_000, time.UTC)
	a := Attributes{
		"b": true, "one": int64(1), "zero": int64(0), "two": int64(2), "s": "true",
		"t": at, "ms": at.UnixMilli(), "iso": "2026-12-04T23:01:02.345+01:00", "text": "yesterday",
	}
	bools := []struct {
		key  string
		want bool
	}{{"b", true}, {"one", true}, {"two", true}, {"zero", false}, {"s", false}, {"t", false}, {"missing", false}}
	for _, c := range bools {
		if got := a.Bool(c.key); got != c.want {
			t.Errorf("Bool(%q) = %v, want %v", c.key, got, c.want)
		}
	}
	times := []struct {
		key  string
		want time.Time
	}{{"t", at}, {"ms", at}, {"iso", at}, {"text", time.Time{}}, {"b", time.Time{}}, {"missing", time.Time{}}}
	for _, c := range times {
		if got := a.Time(c.key); !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("Time(%q) = %v, want %v in UTC", c.key, got, c.want)
		}
	}
}
