package lucia2

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// attrError is an error matching latch.ErrInvalidAttributes with a message
// of its own.
func attrError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", latch.ErrInvalidAttributes, fmt.Sprintf(format, args...))
}

// sqliteTimeLayout is how the store writes times into SQLite: RFC 3339 in
// UTC with nine fractional digits, fixed width so that text order is time
// order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000000Z"

// encode validates attributes for writing into t and returns their columns
// and database values, sorted by column name. It refuses, matching
// latch.ErrInvalidAttributes, what latch.MarshalAttributes refuses, an
// attribute without a column, and a value of the wrong type for its column.
func (s *Store) encode(t *table, attrs latch.Attributes) ([]*column, []any, error) {
	if len(attrs) == 0 {
		return nil, nil, nil
	}
	if _, err := latch.MarshalAttributes(attrs); err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	cols := make([]*column, len(names))
	vals := make([]any, len(names))
	for i, k := range names {
		c := t.byName[k]
		if c == nil {
			return nil, nil, s.noColumn(t, k)
		}
		v, err := s.toDB(c, attrs[k])
		if err != nil {
			return nil, nil, schemaError{attrError("attribute %q: %v", k, err)}
		}
		cols[i], vals[i] = c, v
	}
	return cols, vals, nil
}

// noColumn is the error for an attribute that the table has no column for.
func (s *Store) noColumn(t *table, name string) error {
	have := "it has none"
	if len(t.attrs) > 0 {
		have = "its attribute columns are " + strings.Join(t.attrNames(), ", ")
	}
	return schemaError{attrError("attribute %q: the Lucia %s table %s has no column %q (%s); add the column to the table or leave the attribute out",
		name, t.role, t.name, name, have)}
}

// schemaError marks an error as the schema's (latch.ErrStoreSchema)
// without changing its message.
type schemaError struct{ error }

func (e schemaError) Is(target error) bool { return target == latch.ErrStoreSchema }
func (e schemaError) Unwrap() error        { return e.error }

// jsTimeLayout is how a time goes into a text column: as JavaScript's
// Date.toISOString writes it, which a Lucia application's new Date(text)
// reads back.
const jsTimeLayout = "2006-01-02T15:04:05.000Z"

// toDB converts an attribute value for its column; nil is NULL. The
// conversions are the package documentation's table.
func (s *Store) toDB(c *column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	v = canonical(v)
	mismatch := func() error {
		return fmt.Errorf("column %s is %s, which cannot hold a %T (%s)", c.name, c.sqlType, v, s.holds(v))
	}
	switch c.kind {
	case kindString:
		switch x := v.(type) {
		case string:
		case time.Time:
			return x.UTC().Format(jsTimeLayout), nil
		default:
			return nil, mismatch()
		}
	case kindInt:
		switch x := v.(type) {
		case int64:
		case bool:
			// A boolean in an integer column, as SQLite has no other and
			// Lucia's SQLite guide makes email_verified an INTEGER.
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case time.Time:
			if !s.wideInt(c) {
				return nil, mismatch() // Unix milliseconds need 64 bits
			}
			return x.UnixMilli(), nil // as JavaScript's Date.getTime
		default:
			return nil, mismatch()
		}
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch()
		}
		if s.d != dPostgres {
			// SQLite and MySQL keep booleans as integers; bind them so, and
			// the same on every driver.
			if b {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case kindFloat:
		switch x := v.(type) {
		case float64:
		case int64:
			return float64(x), nil
		default:
			return nil, mismatch()
		}
	case kindTime:
		tm, ok := v.(time.Time)
		if !ok {
			return nil, mismatch()
		}
		tm = tm.UTC()
		if s.d == dSQLite {
			return tm.Format(sqliteTimeLayout), nil
		}
		return tm, nil
	}
	return v, nil
}

// canonical converts an attribute value to the types latch.Attributes
// reads back: int64 for every integer, float64 for float32, times in UTC.
// Values latch.MarshalAttributes accepted are in range.
func canonical(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		return int64(x)
	case uint64:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	}
	return v
}

// fromDB converts a value the driver read from the column to the column's
// attribute type. present is false for NULL.
func fromDB(c *column, v any) (value any, present bool, err error) {
	if v == nil {
		return nil, false, nil
	}
	fail := func() (any, bool, error) {
		return nil, false, fmt.Errorf("column %s (%s) holds %T %v, not a %s", c.name, c.sqlType, v, short(v), c.kind)
	}
	switch c.kind {
	case kindString, kindOther:
		switch x := v.(type) {
		case string:
			return x, true, nil
		case []byte:
			return string(x), true, nil
		case time.Time:
			if c.kind == kindOther {
				return x.UTC(), true, nil
			}
		case int64, float64, bool:
			if c.kind == kindOther {
				return x, true, nil
			}
		}
		if c.kind == kindOther {
			return fmt.Sprint(v), true, nil
		}
		// SQLite lets a TEXT column hold numbers; show them as text.
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10), true, nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), true, nil
		}
		return fail()
	case kindInt:
		switch x := v.(type) {
		case int64:
			return x, true, nil
		case int32:
			return int64(x), true, nil
		case uint64:
			if x > math.MaxInt64 {
				return fail()
			}
			return int64(x), true, nil
		case []byte, string:
			text := asString(x)
			if n, err := strconv.ParseInt(text, 10, 64); err == nil {
				return n, true, nil
			}
			// SQLite keeps text that is not a number as text in an
			// INTEGER column: the 'true' and 'false' some applications
			// store for booleans, and ISO times.
			if b, err := parseBool(text); err == nil {
				return b, true, nil
			}
			if tm, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(text)); err == nil {
				return tm.UTC(), true, nil
			}
			return fail()
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				return int64(x), true, nil
			}
		case bool:
			if x {
				return int64(1), true, nil
			}
			return int64(0), true, nil
		}
		return fail()
	case kindBool:
		switch x := v.(type) {
		case bool:
			return x, true, nil
		case int64:
			return x != 0, true, nil
		case uint64:
			return x != 0, true, nil
		case []byte:
			if len(x) == 1 && x[0] <= 1 { // BIT(1)
				return x[0] == 1, true, nil
			}
			b, err := parseBool(string(x))
			if err != nil {
				return fail()
			}
			return b, true, nil
		case string:
			b, err := parseBool(x)
			if err != nil {
				return fail()
			}
			return b, true, nil
		}
		return fail()
	case kindFloat:
		switch x := v.(type) {
		case float64:
			return x, true, nil
		case float32:
			// Through its shortest decimal form, so that a FLOAT column's
			// 0.1 reads back as 0.1.
			f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
			return f, true, nil
		case int64:
			return float64(x), true, nil
		case []byte, string:
			f, err := strconv.ParseFloat(asString(x), 64)
			if err != nil {
				return fail()
			}
			return f, true, nil
		}
		return fail()
	case kindTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), true, nil
		case int64:
			return time.UnixMilli(x).UTC(), true, nil
		case float64:
			return time.UnixMilli(int64(x)).UTC(), true, nil
		case []byte, string:
			tm, err := parseTime(asString(x))
			if err != nil {
				return fail()
			}
			return tm, true, nil
		}
		return fail()
	}
	return fail()
}

func asString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// timeLayouts are the textual forms of times read from text: RFC 3339 (as
// this store and JavaScript's toISOString write them) and SQL's.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02",
}

// parseTime reads a time from text; a time without zone is UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}

// short formats a value for a message, cut when long.
func short(v any) string {
	s := fmt.Sprint(v)
	if b, ok := v.([]byte); ok {
		s = string(b)
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// scanTargets returns scan destinations for n columns and the values they
// fill.
func scanTargets(n int) ([]any, []any) {
	vals := make([]any, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	return dest, vals
}

// decode turns the scanned values of t's attribute columns into attributes;
// NULL columns are left out.
func decode(t *table, vals []any) (latch.Attributes, error) {
	out := make(latch.Attributes, len(t.attrs))
	for i, c := range t.attrs {
		v, ok, err := fromDB(c, vals[i])
		if err != nil {
			return nil, fmt.Errorf("lucia2: reading the %s table %s: %w", t.role, t.name, err)
		}
		if ok {
			out[c.name] = v
		}
	}
	return out, nil
}

// encodedSize is the length of latch.MarshalAttributes' encoding of attrs,
// computed without its checks (a column name need not be a valid attribute
// name, nor a stored string free of NUL bytes).
func encodedSize(attrs latch.Attributes) int {
	n := 2 // {}
	first := true
	for k, v := range attrs {
		if !first {
			n++ // ,
		}
		first = false
		n += len(strconv.Quote(k)) + 1 // "k":
		switch x := v.(type) {
		case string:
			b, _ := json.Marshal(x)
			n += len(b)
		default:
			b, err := latch.MarshalAttributes(latch.Attributes{"k": x})
			if err != nil {
				n += len(fmt.Sprint(x))
				continue
			}
			n += len(b) - len(`{"k":}`)
		}
	}
	return n
}

// holds names the column types that can hold v's type in the store's
// dialect, for messages.
func (s *Store) holds(v any) string {
	var sqliteT, postgresT, mysqlT string
	switch v.(type) {
	case string:
		sqliteT, postgresT, mysqlT = "TEXT", "text or varchar", "a text or varchar type"
	case bool:
		sqliteT, postgresT, mysqlT = "INTEGER or BOOLEAN", "boolean or an integer type", "BOOLEAN (tinyint(1)) or an integer type"
	case int64:
		sqliteT, postgresT, mysqlT = "INTEGER", "an integer type", "an integer type"
	case float64:
		sqliteT, postgresT, mysqlT = "REAL", "double precision or real", "DOUBLE or FLOAT"
	case time.Time:
		sqliteT, postgresT, mysqlT = "DATETIME, INTEGER (Unix milliseconds) or TEXT (ISO 8601)",
			"timestamptz, timestamp, bigint (Unix milliseconds) or text (ISO 8601)",
			"DATETIME, TIMESTAMP, BIGINT (Unix milliseconds) or a text type (ISO 8601)"
	default:
		return "no column type of this store holds it"
	}
	t := map[dialect]string{dSQLite: sqliteT, dPostgres: postgresT, dMySQL: mysqlT}[s.d]
	return fmt.Sprintf("a %T goes in %s", v, t)
}

// wideInt reports whether an integer column holds 64 bits: every SQLite
// integer does; on PostgreSQL and MySQL a bigint.
func (s *Store) wideInt(c *column) bool {
	return s.d == dSQLite || strings.HasPrefix(strings.ToLower(c.sqlType), "bigint")
}
