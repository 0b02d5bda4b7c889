package attrcodec

import (
	"reflect"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// attributeSamples are inputs for the decoder: what MarshalAttributes
// writes, and valid and invalid JSON it does not write.
var attributeSamples = []string{
	``, `{}`, ` {}`, `null`, `[]`, `{"a":1}`, `{"a":1} `, `{"a":1}x`, `{ "a":1}`,
	`{"a":-0}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":1e5}`, `{"a":1E+5}`, `{"a":-1.25e-3}`,
	`{"a":9223372036854775807}`, `{"a":9223372036854775808}`, `{"a":1e999}`,
	`{"a":"x","a":"y"}`, `{"a":"\u00e9\"\\"}`, `{"a":"\ud83d\ude00"}`, "{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}",
	`{"a":true,"b":false,"c":null}`, `{"a":tru}`, `{"a":nul}`, `{"a":}`, `{"a"}`, `{"a":1,}`, `{,}`,
	`{"":1}`, `{"a\"b":1}`, `{"a":{"$time":"2026-11-22T18:00:00.123456789Z"}}`,
	`{"a":{"$time":"2026-11-22T18:00:00+01:00"}}`, `{"a":{"$time":"yesterday"}}`,
	`{"a":{"$time":"2026-11-22T18:00:00Z","b":1}}`, `{"a":{"b":1}}`, `{"a":[1]}`,
}

// TestDecodeAttributesMatches holds the fast decoder to
// latch.UnmarshalAttributes: same attributes, or an error for both.
func TestDecodeAttributesMatches(t *testing.T) {
	samples := append([]string{}, attributeSamples...)
	enc, err := latch.MarshalAttributes(latch.Attributes{
		"email": "ada@example.com", "html": "<b>&amp;</b>", "quote": `"\`, "ctl": "\t\n", "u": "é😀",
		"t": true, "f": false, "nil": nil, "i": -7, "max": int64(1<<63 - 1), "x": 0.1, "w": 3.0, "e": 1e300,
		"when": time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("Y", -7200)),
	})
	if err != nil {
		t.Fatal(err)
	}
	samples = append(samples, string(enc))
	for _, s := range samples {
		checkDecode(t, s)
	}
	if _, ok := parseCanonical(string(enc)); !ok {
		t.Errorf("fast path refused MarshalAttributes output %s", enc)
	}
}

func FuzzDecodeAttributes(f *testing.F) {
	for _, s := range attributeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecode(t, s) })
}

func checkDecode(t *testing.T, s string) {
	t.Helper()
	got, gotErr := Decode(s)
	want, wantErr := latch.UnmarshalAttributes([]byte(s))
	if (gotErr != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
		t.Errorf("Decode(%q) = %#v, %v; UnmarshalAttributes = %#v, %v", s, got, gotErr, want, wantErr)
	}
}

func BenchmarkDecodeAttributes(b *testing.B) {
	enc, _ := latch.MarshalAttributes(latch.Attributes{"email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace"})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := Decode(string(enc)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for b.Loop() {
			if _, err := latch.UnmarshalAttributes(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
