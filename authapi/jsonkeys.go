package authapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
)

// errDuplicateKey is found by duplicateKeys; decodeJSON answers it with
// ErrDuplicateJSONKey.
var errDuplicateKey = errors.New("duplicate key")

// maxJSONDepth bounds the nesting duplicateKeys walks, as encoding/json
// does (10000).
const maxJSONDepth = 10000

// duplicateKeys reports errDuplicateKey when an object of the (valid) JSON
// document names a member twice, compared as encoding/json matches names
// to fields: ignoring case. Go keeps the last of two, other parsers the
// first; a body read differently by a proxy or a WAF and by this server
// is refused instead.
func duplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return walkJSON(dec, 0)
}

func walkJSON(dec *json.Decoder, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := key.(string)
			f := foldKey(k)
			if seen[f] {
				return errDuplicateKey
			}
			seen[f] = true
			if err := walkJSON(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
	case json.Delim('['):
		for dec.More() {
			if err := walkJSON(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
	}
	return err
}

// foldKey maps every rune to the smallest of its case-folding orbit, so
// that two names equal under strings.EqualFold (which encoding/json's
// matching follows, Kelvin sign and long s included) fold alike.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}
