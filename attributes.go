package latch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Attributes are the application's own fields on a user or session, such as
// "email" or "email_verified". Values may be string, bool, any Go integer
// type (read back as int64), float64 (or float32), time.Time (read back in
// UTC with nanoseconds) or nil. Every store round-trips these types.
type Attributes map[string]any

// Limits on attributes; larger input is refused with ErrInvalidAttributes.
const (
	MaxAttributeKeyLength = 64
	MaxAttributesSize     = 64 << 10 // encoded size of one user's or session's attributes
)

// Clone returns a shallow copy; time values and strings are immutable.
func (a Attributes) Clone() Attributes {
	if a == nil {
		return Attributes{}
	}
	c := make(Attributes, len(a))
	for k, v := range a {
		c[k] = v
	}
	return c
}

// String returns the attribute as a string, or "" when absent or not a string.
func (a Attributes) String(key string) string { s, _ := a[key].(string); return s }

// Bool returns the attribute as a bool, or false when absent or of another
// type. An integer is a bool as SQL databases without a boolean type keep
// them (SQLite; JavaScript's Boolean(x)): 0 is false, any other value true.
func (a Attributes) Bool(key string) bool {
	switch v := a[key].(type) {
	case bool:
		return v
	case int64:
		return v != 0
	}
	return false
}

// Int returns the attribute as an int64, or 0 when absent or not an integer.
func (a Attributes) Int(key string) int64 { i, _ := a[key].(int64); return i }

// Time returns the attribute as a time, or the zero time when absent or
// of another type. As the databases of JavaScript applications keep times,
// an integer is read as Unix milliseconds (Date.getTime) and a string in
// RFC 3339 (Date.toISOString) as that time, in UTC.
func (a Attributes) Time(key string) time.Time {
	switch v := a[key].(type) {
	case time.Time:
		return v
	case int64:
		return time.UnixMilli(v).UTC()
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// attrTime is the JSON wrapper that keeps a time distinct from a string.
const attrTimeKey = "$time"

// normalize checks keys, types and sizes and converts every value to its
// canonical type (int64, float64, time.Time in UTC). It returns a new map.
func (a Attributes) normalize() (Attributes, error) {
	out := make(Attributes, len(a))
	for k, v := range a {
		if !validAttributeKey(k) {
			return nil, attrErr("attribute name %q: want 1-%d of A-Z a-z 0-9 _, not starting with a digit", truncate(k), MaxAttributeKeyLength)
		}
		nv, err := normalizeValue(v)
		if err != nil {
			return nil, attrErr("attribute %q: %v", k, err)
		}
		out[k] = nv
	}
	return out, nil
}

func normalizeValue(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if len(x) > MaxAttributesSize {
			return nil, fmt.Errorf("string of %d bytes is over the %d-byte limit", len(x), MaxAttributesSize)
		}
		if strings.IndexByte(x, 0) >= 0 {
			return nil, fmt.Errorf("string contains a NUL byte")
		}
		return x, nil
	case bool:
		return x, nil
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("unsigned integer %d overflows int64", x)
		}
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("unsigned integer %d overflows int64", x)
		}
		return int64(x), nil
	case float32:
		return normalizeValue(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("float %v cannot be stored", x)
		}
		return x, nil
	case time.Time:
		return x.UTC(), nil
	default:
		return nil, fmt.Errorf("unsupported type %T (want string, bool, integer, float64, time.Time or nil)", v)
	}
}

func validAttributeKey(k string) bool {
	if k == "" || len(k) > MaxAttributeKeyLength || (k[0] >= '0' && k[0] <= '9') {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// MarshalAttributes encodes attributes as a JSON object that keeps their
// types: integers as JSON integers, floats always with a fraction or
// exponent, times as {"$time":"RFC 3339 with nanoseconds"}. Stores use it for
// their attributes column. It validates like Auth does.
func MarshalAttributes(a Attributes) ([]byte, error) {
	n, err := a.normalize()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		switch v := n[k].(type) {
		case nil:
			b.WriteString("null")
		case string:
			enc, _ := json.Marshal(v)
			b.Write(enc)
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case float64:
			s := strconv.FormatFloat(v, 'g', -1, 64)
			if !strings.ContainsAny(s, ".eE") {
				s += ".0"
			}
			b.WriteString(s)
		case time.Time:
			b.WriteString(`{"` + attrTimeKey + `":"` + v.Format(time.RFC3339Nano) + `"}`)
		}
	}
	b.WriteByte('}')
	if b.Len() > MaxAttributesSize {
		return nil, attrErr("encoded attributes are %d bytes, over the %d-byte limit", b.Len(), MaxAttributesSize)
	}
	return b.Bytes(), nil
}

// UnmarshalAttributes decodes what MarshalAttributes wrote. Empty input
// decodes to empty attributes.
func UnmarshalAttributes(data []byte) (Attributes, error) {
	out := Attributes{}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("latch: decoding attributes: %w", err)
	}
	if dec.More() || dec.InputOffset() != int64(len(bytes.TrimRight(data, " \t\r\n"))) {
		return nil, errors.New("latch: decoding attributes: data after the JSON object")
	}
	if raw == nil {
		return nil, errors.New("latch: decoding attributes: not a JSON object")
	}
	for k, v := range raw {
		switch x := v.(type) {
		case json.Number:
			s := x.String()
			if strings.ContainsAny(s, ".eE") {
				f, err := x.Float64()
				if err != nil {
					return nil, fmt.Errorf("latch: attribute %q: %w", k, err)
				}
				out[k] = f
			} else {
				i, err := x.Int64()
				if err != nil {
					return nil, fmt.Errorf("latch: attribute %q: %w", k, err)
				}
				out[k] = i
			}
		case map[string]any:
			ts, ok := x[attrTimeKey].(string)
			if !ok || len(x) != 1 {
				return nil, fmt.Errorf("latch: attribute %q: unexpected object", k)
			}
			t, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return nil, fmt.Errorf("latch: attribute %q: %w", k, err)
			}
			out[k] = t.UTC()
		case string, bool, nil:
			out[k] = x
		default:
			return nil, fmt.Errorf("latch: attribute %q: unexpected %T", k, v)
		}
	}
	return out, nil
}

func attrErr(format string, args ...any) error {
	return &detailError{base: ErrInvalidAttributes, msg: fmt.Sprintf(format, args...)}
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
