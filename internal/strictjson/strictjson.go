// Package strictjson checks a JSON body for the two things encoding/json
// forgives and another parser reads differently: a member named twice
// (Go keeps the last, many parsers the first) and a member whose name
// matches a field only when case is ignored (Go takes "pAssword" for
// "password"; a proxy, a WAF or the OpenAPI document does not). A body
// that a gateway and this server would read differently is refused
// instead of guessed at.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"unicode"
)

var (
	// ErrDuplicateKey: an object names a member twice, compared as
	// encoding/json matches names to fields (ignoring case).
	ErrDuplicateKey = errors.New("strictjson: a member is named twice")
	// ErrKeyCase: a member's name equals a field's name only when case is
	// ignored.
	ErrKeyCase = errors.New("strictjson: a member's name differs from its field's in case")
	// errTooDeep: nesting beyond what encoding/json accepts.
	errTooDeep = errors.New("strictjson: nested too deep")
)

// maxDepth bounds the nesting walked, as encoding/json does (10000).
const maxDepth = 10000

// Check walks body, a valid JSON document already decoded into v, with
// the type of v beside it. It reports ErrDuplicateKey or ErrKeyCase
// (errors.Is) for the first such member at any depth, or another error if
// body is not valid JSON. Members v has no field for are not checked
// against names, only for duplicates; below a field whose type decodes
// itself (json.RawMessage, time.Time, any type with UnmarshalJSON or
// UnmarshalText) or an interface, names are not checked either.
func Check(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var t reflect.Type
	if v != nil {
		t = reflect.TypeOf(v)
	}
	return walk(dec, t, 0)
}

func walk(dec *json.Decoder, t reflect.Type, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	t = checked(t)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = fieldsOf(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := key.(string)
			f := fold(k)
			if seen[f] {
				return ErrDuplicateKey
			}
			seen[f] = true
			next := elem
			if fields != nil {
				ft, ok := fields[k]
				if !ok && caseMatch(fields, k) {
					return ErrKeyCase
				}
				next = ft
			}
			if err := walk(dec, next, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walk(dec, elem, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
	}
	return err
}

var (
	unmarshaler     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checked returns t without pointers, or nil when its members' names are
// not for this package to check: an interface, or a type that decodes
// itself.
func checked(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	pt := reflect.PointerTo(t)
	if t.Implements(unmarshaler) || pt.Implements(unmarshaler) ||
		t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler) {
		return nil
	}
	return t
}

func caseMatch(fields map[string]reflect.Type, k string) bool {
	for name := range fields {
		if strings.EqualFold(name, k) {
			return true
		}
	}
	return false
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps the JSON names of a struct's fields, as encoding/json
// sees them (tag name or Go name; "-" and unexported fields left out;
// untagged embedded structs promoted, the outer name winning), to their
// types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addFields(m, t, map[reflect.Type]bool{})
	fieldCache.Store(t, m)
	return m
}

func addFields(m map[string]reflect.Type, t reflect.Type, visiting map[reflect.Type]bool) {
	if visiting[t] {
		return
	}
	visiting[t] = true
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	for _, et := range embedded {
		inner := map[string]reflect.Type{}
		addFields(inner, et, visiting)
		for name, ft := range inner {
			if _, ok := m[name]; !ok {
				m[name] = ft
			}
		}
	}
}

// fold maps every rune to the smallest of its case-folding orbit, so that
// two names equal under strings.EqualFold (which encoding/json's matching
// follows, Kelvin sign and long s included) fold alike.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}
