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
