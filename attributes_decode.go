package latch

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Decode copies the attributes into the struct dst points to: Go's typed
// counterpart of Lucia's getUserAttributes and getSessionAttributes.
//
// A field is filled from the attribute its `latch:"name"` tag names, or,
// without a tag, from its name in snake_case (EmailVerified reads
// "email_verified", UserID "user_id"); `latch:"-"` skips a field, as do
// unexported ones. Embedded structs are decoded into as well.
//
// A field may be a string, bool, any integer, float32 or float64, a
// time.Time (the types Attributes holds, and named types of those kinds),
// a pointer to one of these (nil when the attribute is absent or null),
// or an interface (the stored value as it is). Integers must fit the
// field; an integer attribute fills a float field; 0 and 1 fill a bool
// field (databases without a boolean type store them so). An attribute
// absent from the map, or null, leaves the field's zero value; attributes
// no field names are ignored.
//
// Any other mismatch is an error naming the attribute and the field,
// matching ErrInvalidAttributes; dst is then partly filled.
func (a Attributes) Decode(dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("latch: Attributes.Decode: want a non-nil pointer to a struct, got %T", dst)
	}
	fields, err := attributeFields(v.Elem().Type())
	if err != nil {
		return err
	}
	st := v.Elem()
	for _, f := range fields {
		raw, ok := a[f.attr]
		if !ok || raw == nil {
			continue
		}
		fv, err := st.FieldByIndexErr(f.index)
		if err != nil { // a nil embedded pointer: allocate it
			fv = fieldAlloc(st, f.index)
		}
		if err := setAttribute(fv, raw); err != nil {
			return attrErr("attribute %q into field %s (%s): %v", f.attr, f.name, fv.Type(), err)
		}
	}
	return nil
}

// DecodeAttributes decodes the user's attributes into dst; see
// Attributes.Decode.
func (u User) DecodeAttributes(dst any) error { return u.Attributes.Decode(dst) }

// DecodeAttributes decodes the session's own attributes (not its user's:
// those are s.User.DecodeAttributes) into dst; see Attributes.Decode.
func (s Session) DecodeAttributes(dst any) error { return s.Attributes.Decode(dst) }

// attrField is a struct field and the attribute it is filled from.
type attrField struct {
	attr  string
	name  string // Go field path, for errors
	index []int
}

var attrFieldCache sync.Map // reflect.Type → []attrField

var timeType = reflect.TypeFor[time.Time]()

// attributeFields lists the fields of struct type t that Decode fills.
func attributeFields(t reflect.Type) ([]attrField, error) {
	if c, ok := attrFieldCache.Load(t); ok {
		return c.([]attrField), nil
	}
	var out []attrField
	seen := map[string]string{}
	var walk func(t reflect.Type, index []int, prefix string) error
	walk = func(t reflect.Type, index []int, prefix string) error {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag, hasTag := sf.Tag.Lookup("latch")
			if tag == "-" {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if sf.Anonymous && !hasTag && ft.Kind() == reflect.Struct && ft != timeType {
				if sf.Type.Kind() == reflect.Pointer && !sf.IsExported() {
					continue // cannot be allocated from outside its package
				}
				if err := walk(ft, idx, prefix+sf.Name+"."); err != nil {
					return err
				}
				continue
			}
			if !sf.IsExported() {
				continue
			}
			name := tag
			if !hasTag || name == "" {
				name = snakeCase(sf.Name)
			}
			if !decodableType(sf.Type) {
				return fmt.Errorf("latch: Attributes.Decode: field %s%s is a %s: attributes decode into strings, bools, numbers, times, pointers to them and interfaces", prefix, sf.Name, sf.Type)
			}
			if other, dup := seen[name]; dup {
				return fmt.Errorf("latch: Attributes.Decode: fields %s and %s both read attribute %q", other, prefix+sf.Name, name)
			}
			seen[name] = prefix + sf.Name
			out = append(out, attrField{attr: name, name: prefix + sf.Name, index: idx})
		}
		return nil
	}
	if err := walk(t, nil, t.Name()+"."); err != nil {
		return nil, err
	}
	attrFieldCache.Store(t, out)
	return out, nil
}

// decodableType reports whether setAttribute can fill a field of type t.
func decodableType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t.Kind() == reflect.Struct && t.ConvertibleTo(timeType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Interface,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// fieldAlloc returns the field at index, allocating nil embedded pointers
// on the way.
func fieldAlloc(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// snakeCase turns a Go field name into the attribute name it reads:
// EmailVerified → email_verified, UserID → user_id, HTTPPort → http_port.
func snakeCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			prevLower := i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]))
			nextLower := i > 0 && i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// setAttribute stores the attribute value raw (one of the types
// Attributes holds) in the field v.
func setAttribute(v reflect.Value, raw any) error {
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		if err := setAttribute(p.Elem(), raw); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if v.Kind() == reflect.Interface {
		rv := reflect.ValueOf(raw)
		if !rv.Type().AssignableTo(v.Type()) {
			return fmt.Errorf("a %T does not fit", raw)
		}
		v.Set(rv)
		return nil
	}
	if v.Type() == timeType || v.Type().ConvertibleTo(timeType) && v.Kind() == reflect.Struct {
		t, ok := raw.(time.Time)
		if !ok {
			return fmt.Errorf("the attribute is a %T, not a time", raw)
		}
		v.Set(reflect.ValueOf(t).Convert(v.Type()))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		s, ok := raw.(string)
		if !ok {
			return fmt.Errorf("the attribute is a %T, not a string", raw)
		}
		v.SetString(s)
	case reflect.Bool:
		switch x := raw.(type) {
		case bool:
			v.SetBool(x)
		case int64:
			if x != 0 && x != 1 {
				return fmt.Errorf("the integer %d is not a boolean (0 or 1)", x)
			}
			v.SetBool(x == 1)
		default:
			return fmt.Errorf("the attribute is a %T, not a bool", raw)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := raw.(int64)
		if !ok {
			return fmt.Errorf("the attribute is a %T, not an integer", raw)
		}
		if v.OverflowInt(i) {
			return fmt.Errorf("%d overflows it", i)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := raw.(int64)
		if !ok {
			return fmt.Errorf("the attribute is a %T, not an integer", raw)
		}
		if i < 0 || v.OverflowUint(uint64(i)) {
			return fmt.Errorf("%d does not fit it", i)
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := raw.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		default:
			return fmt.Errorf("the attribute is a %T, not a number", raw)
		}
		if v.Kind() == reflect.Float32 && math.Abs(f) > math.MaxFloat32 {
			return fmt.Errorf("%v overflows it", f)
		}
		v.SetFloat(f)
	default: // refused by attributeFields already
		return fmt.Errorf("cannot decode into %s", v.Type())
	}
	return nil
}
