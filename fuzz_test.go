package latch_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/attrcodec"
)

// FuzzAttributesRoundTrip holds the attribute codecs together on any
// input: latch.UnmarshalAttributes and attrcodec.Decode agree (the same
// attributes, or both an error); whatever decodes either encodes again or
// is refused with ErrInvalidAttributes; and an encoding decodes back to
// the same attributes and encodes to the same bytes (MarshalAttributes
// has one form).
func FuzzAttributesRoundTrip(f *testing.F) {
	for _, s := range []string{
		``, `{}`, ` {} `, `null`, `[]`, `""`, `{"a":1}`, `{"a":1}x`, `{"a":1}{}`, `{"a":-0}`, `{"a":-0.0}`,
		`{"a":1e5}`, `{"a":1E+5}`, `{"a":-1.25e-3}`, `{"a":9223372036854775807}`, `{"a":9223372036854775808}`,
		`{"a":1e999}`, `{"a":5e-324}`, `{"a":"x","a":"y"}`, `{"a":"\u00e9\"\\"}`, `{"a":"\ud83d\ude00"}`,
		`{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":"\u0000"}`, `{"a":true,"b":false,"c":null}`,
		`{"":1}`, `{"1a":1}`, `{"a-b":1}`, `{"a":{"$time":"2026-11-22T18:00:00.123456789Z"}}`,
		`{"a":{"$time":"2026-11-22T18:00:00+01:00"}}`, `{"a":{"$time":"0000-01-01T00:00:00-23:59"}}`,
		`{"a":{"$time":"2026-11-22T18:00:00Z","b":1}}`, `{"a":{"$time":1}}`, `{"a":[1]}`, `{"a":{}}`,
		`{"email":"ada@example.com","email_verified":true,"n":7,"x":0.5,"w":3.0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := latch.UnmarshalAttributes(data)
		d, derr := attrcodec.Decode(string(data))
		if (err != nil) != (derr != nil) || !reflect.DeepEqual(a, d) {
			t.Fatalf("UnmarshalAttributes(%q) = %#v, %v; attrcodec.Decode = %#v, %v", data, a, err, d, derr)
		}
		if err != nil {
			return
		}
		enc, err := latch.MarshalAttributes(a)
		if err != nil {
			if !errors.Is(err, latch.ErrInvalidAttributes) {
				t.Fatalf("MarshalAttributes(%#v): error %v does not match ErrInvalidAttributes", a, err)
			}
			return
		}
		back, err := latch.UnmarshalAttributes(enc)
		if err != nil || !reflect.DeepEqual(back, a) {
			t.Fatalf("%q: encoded as %s, which decodes to %#v, %v; want %#v", data, enc, back, err, a)
		}
		fast, err := attrcodec.Decode(string(enc))
		if err != nil || !reflect.DeepEqual(fast, a) {
			t.Fatalf("attrcodec.Decode(%s) = %#v, %v; want %#v", enc, fast, err, a)
		}
		again, err := latch.MarshalAttributes(back)
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("MarshalAttributes is not stable: %s, then %s (%v)", enc, again, err)
		}
	})
}
