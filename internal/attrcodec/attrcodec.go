// Package attrcodec decodes stored attributes fast. It is shared by the SQL
// stores, whose session validation decodes two attribute columns per call.
package attrcodec

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch"
)

// Decode decodes an attributes column (the JSON of latch.MarshalAttributes). It reads the exact form
// latch.MarshalAttributes writes (no spaces; strings, integers, floats,
// booleans, null and {"$time":"…"}) directly, several times faster than
// encoding/json on the validation hot path; anything else goes to
// latch.UnmarshalAttributes, which decides. TestDecodeAttributesMatches and
// FuzzDecodeAttributes hold the two to the same results.
func Decode(s string) (latch.Attributes, error) {
	if a, ok := parseCanonical(s); ok {
		return a, nil
	}
	return latch.UnmarshalAttributes([]byte(s))
}

// parseCanonical parses s when it is in MarshalAttributes' form and reports
// whether it could. It never returns a result latch.UnmarshalAttributes
// would not: where the two might differ it gives up.
func parseCanonical(s string) (latch.Attributes, bool) {
	if len(s) < 2 || s[0] != '{' {
		return nil, false
	}
	if s == "{}" {
		return latch.Attributes{}, true
	}
	out := make(latch.Attributes, strings.Count(s, ",")+1)
	i := 1
	for {
		key, n, ok := plainString(s[i:])
		if !ok || key == "" {
			return nil, false
		}
		i += n
		if i >= len(s) || s[i] != ':' {
			return nil, false
		}
		i++
		v, n, ok := value(s[i:])
		if !ok {
			return nil, false
		}
		out[key] = v
		i += n
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case ',':
			i++
		case '}':
			return out, i == len(s)-1
		default:
			return nil, false
		}
	}
}

// value parses one value at the start of s and returns it with its length.
func value(s string) (any, int, bool) {
	if s == "" {
		return nil, 0, false
	}
	switch c := s[0]; {
	case c == '"':
		return quoted(s)
	case c == 'n' && strings.HasPrefix(s, "null"):
		return nil, 4, true
	case c == 't' && strings.HasPrefix(s, "true"):
		return true, 4, true
	case c == 'f' && strings.HasPrefix(s, "false"):
		return false, 5, true
	case c == '{':
		const prefix = `{"$time":`
		if !strings.HasPrefix(s, prefix) {
			return nil, 0, false
		}
		ts, n, ok := plainString(s[len(prefix):])
		end := len(prefix) + n
		if !ok || end >= len(s) || s[end] != '}' {
			return nil, 0, false
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil, 0, false
		}
		return t.UTC(), end + 1, true
	case c == '-' || c >= '0' && c <= '9':
		n, isFloat, ok := number(s)
		if !ok {
			return nil, 0, false
		}
		if isFloat {
			f, err := strconv.ParseFloat(s[:n], 64)
			return f, n, err == nil
		}
		v, err := strconv.ParseInt(s[:n], 10, 64)
		return v, n, err == nil
	}
	return nil, 0, false
}

// plainString reads a JSON string without escapes at the start of s and
// returns its contents (a substring of s, not a copy) and its length with
// the quotes.
func plainString(s string) (string, int, bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", 0, false
	}
	for j := 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v := s[1:j]
			// encoding/json replaces invalid UTF-8; leave that to it.
			return v, j + 1, utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// quoted reads a JSON string value; one with escapes is decoded by
// encoding/json.
func quoted(s string) (any, int, bool) {
	if v, n, ok := plainString(s); ok {
		return v, n, true
	}
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++ // skip the escaped byte; \uXXXX's digits need no care
		case '"':
			var v string
			if err := json.Unmarshal([]byte(s[:j+1]), &v); err != nil {
				return nil, 0, false
			}
			return v, j + 1, true
		}
	}
	return nil, 0, false
}

// number returns the length of the JSON number at the start of s (grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) and whether it has a
// fraction or exponent, the test latch.UnmarshalAttributes uses for floats.
func number(s string) (n int, isFloat, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return 0, false, false
	}
	if i < len(s) && s[i] == '.' {
		isFloat = true
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isFloat = true
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false, false
		}
	}
	return i, isFloat, true
}
