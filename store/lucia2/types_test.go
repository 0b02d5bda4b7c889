package lucia2_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/lucia2"
)

// typeColumn is a column of TestTypeMatrix's user table: its SQL type and
// its class, the row of the package documentation's table it belongs to.
type typeColumn struct{ name, sqlType, class string }

// typeColumns are the columns of each class on each dialect. "integer" is
// an integer narrower than 64 bits, "bigint" a 64-bit one (every SQLite
// INTEGER, TINYINT(1) included: SQLite's types are only declared).
var typeColumns = map[string][]typeColumn{
	lucia2.SQLite: {
		{"c_integer", "INTEGER", "bigint"}, {"c_tinyint1", "TINYINT(1)", "bigint"}, {"c_boolean", "BOOLEAN", "boolean"},
		{"c_text", "TEXT", "text"}, {"c_datetime", "DATETIME", "timestamp"}, {"c_timestamp", "TIMESTAMP", "timestamp"},
	},
	lucia2.Postgres: {
		{"c_smallint", "SMALLINT", "integer"}, {"c_integer", "INTEGER", "integer"}, {"c_bigint", "BIGINT", "bigint"},
		{"c_boolean", "BOOLEAN", "boolean"}, {"c_text", "TEXT", "text"}, {"c_varchar", "VARCHAR(64)", "text"},
		{"c_timestamptz", "TIMESTAMPTZ(3)", "timestamp"}, {"c_timestamp", "TIMESTAMP(3)", "timestamp"},
	},
	lucia2.MySQL: {
		{"c_tinyint", "TINYINT", "integer"}, {"c_int", "INT", "integer"}, {"c_bigint", "BIGINT", "bigint"},
		{"c_boolean", "BOOLEAN", "boolean"}, {"c_tinyint1", "TINYINT(1)", "boolean"},
		{"c_text", "TEXT", "text"}, {"c_varchar", "VARCHAR(64)", "text"},
		{"c_datetime", "DATETIME(3)", "timestamp"}, {"c_timestamp", "TIMESTAMP(3) NULL", "timestamp"},
	},
}

// TestTypeMatrix writes each Go attribute type into each class of column on
// each dialect, and checks what is stored, what reads back and what the
// typed accessors see, or that the write is refused as the schema's fault;
// and that CheckUserAttribute agrees. It is the package documentation's
// table, cell by cell.
func TestTypeMatrix(t *testing.T) {
	at := time.Date(2026, 12, 4, 22, 1, 2, 345_000_000, time.UTC)
	values := []struct {
		name  string
		value any
		// want is what reads back from a column of each class; a class
		// that is absent refuses the value.
		want map[string]any
	}{
		{"string", "ada", map[string]any{"text": "ada"}},
		{"int64", int64(42), map[string]any{"integer": int64(42), "bigint": int64(42)}},
		{"int", 7, map[string]any{"integer": int64(7), "bigint": int64(7)}},
		{"bool true", true, map[string]any{"integer": int64(1), "bigint": int64(1), "boolean": true}},
		{"bool false", false, map[string]any{"integer": int64(0), "bigint": int64(0), "boolean": false}},
		{"float64", 1.5, map[string]any{}},
		{"time.Time", at, map[string]any{"bigint": at.UnixMilli(), "text": "2026-12-04T22:01:02.345Z", "timestamp": at}},
	}
	forEach(t, func(t *testing.T, b *backend) {
		cols := typeColumns[b.dialect]
		schema := luciaSchema(b.dialect, b.userTable, nil, nil, "")
		var defs strings.Builder
		for _, c := range cols {
			fmt.Fprintf(&defs, ",\n    %s %s", c.name, c.sqlType)
		}
		schema[0] = strings.Replace(schema[0], "PRIMARY KEY", "PRIMARY KEY"+defs.String(), 1)
		b.exec(t, schema...)
		s := b.open(t)
		c := ctx(t)
		must(t, "CreateUser", s.CreateUser(c, latch.UserRecord{ID: "u1"}, nil))
		for _, v := range values {
			for _, col := range cols {
				what := fmt.Sprintf("%s %v into %s (%s)", v.name, v.value, col.sqlType, col.class)
				want, ok := v.want[col.class]
				checkErr := s.CheckUserAttribute(col.name, v.value)
				err := s.UpdateUserAttributes(c, "u1", latch.Attributes{col.name: v.value})
				if !ok {
					if !errors.Is(err, latch.ErrInvalidAttributes) || !errors.Is(err, latch.ErrStoreSchema) {
						t.Errorf("%s: %v, want it refused (ErrInvalidAttributes and ErrStoreSchema)", what, err)
					}
					if !errors.Is(checkErr, latch.ErrStoreSchema) || !strings.Contains(checkErr.Error(), col.name) {
						t.Errorf("%s: CheckUserAttribute = %v, want an error naming the column", what, checkErr)
					}
					continue
				}
				if err != nil || checkErr != nil {
					t.Errorf("%s: %v (CheckUserAttribute: %v), want it written", what, err, checkErr)
					continue
				}
				u, err := s.GetUser(c, "u1")
				must(t, "GetUser", err)
				got := u.Attributes[col.name]
				if gt, isTime := got.(time.Time); isTime {
					if wt, _ := want.(time.Time); !gt.Equal(wt) {
						t.Errorf("%s: reads back %v, want %v", what, got, want)
					}
				} else if got != want {
					t.Errorf("%s: reads back %T %v, want %T %v", what, got, got, want, want)
				}
				// The typed accessors read it as what was written.
				switch x := v.value.(type) {
				case bool:
					if u.Attributes.Bool(col.name) != x {
						t.Errorf("%s: Attributes.Bool = %v", what, !x)
					}
				case time.Time:
					if !u.Attributes.Time(col.name).Equal(x) {
						t.Errorf("%s: Attributes.Time = %v", what, u.Attributes.Time(col.name))
					}
				}
				must(t, "clearing", s.UpdateUserAttributes(c, "u1", latch.Attributes{col.name: nil}))
			}
		}

		// What a JavaScript app reading the row sees of a bool written
		// into an integer column: 1, which Boolean(x) takes as true.
		intCol := cols[0].name
		must(t, "UpdateUserAttributes", s.UpdateUserAttributes(c, "u1", latch.Attributes{intCol: true}))
		var raw string
		must(t, "reading the column", b.raw.QueryRowContext(c, "SELECT "+intCol+" FROM "+quoteTable(b)+" WHERE id = 'u1'").Scan(&raw))
		if raw != "1" {
			t.Errorf("a true in %s is stored as %q, want 1", intCol, raw)
		}

		// What a Lucia app wrote: 0/1 in an integer column, and on SQLite
		// the 'true'/'false' text some apps store there.
		written := []struct {
			sql  string
			want bool
		}{{"1", true}, {"0", false}}
		if b.dialect == lucia2.SQLite {
			written = append(written, struct {
				sql  string
				want bool
			}{"'true'", true}, struct {
				sql  string
				want bool
			}{"'false'", false})
		}
		for _, w := range written {
			b.exec(t, "UPDATE "+quoteTable(b)+" SET "+intCol+" = "+w.sql+" WHERE id = 'u1'")
			u, err := s.GetUser(c, "u1")
			must(t, "GetUser after "+w.sql, err)
			if u.Attributes.Bool(intCol) != w.want {
				t.Errorf("%s = %s read by Attributes.Bool as %v (%T %v)", intCol, w.sql, !w.want, u.Attributes[intCol], u.Attributes[intCol])
			}
		}
	})
}

// TestColumnInfo checks what Open reads of the user table's columns for a
// server's checks at start: VARCHAR lengths where the database enforces
// them, and NOT NULL columns without a default.
func TestColumnInfo(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		schema := luciaSchema(b.dialect, b.userTable, []col{
			{"email", "vartext", " NOT NULL"}, {"nick", "text", " NOT NULL DEFAULT 'x'"}, {"bio", "text", ""},
		}, nil, "")
		schema[0] = strings.Replace(schema[0], "bio "+sqlType(b.dialect, "text"), "bio "+sqlType(b.dialect, "text")+",\n    code VARCHAR(12)", 1)
		b.exec(t, schema...)
		s := b.open(t)
		enforced := b.dialect != lucia2.SQLite
		want := map[string]lucia2.Column{
			"email": {Name: "email", MaxLength: map[bool]int{true: 255}[enforced && b.dialect == lucia2.MySQL], Required: true},
			"nick":  {Name: "nick"},
			"bio":   {Name: "bio"},
			"code":  {Name: "code", MaxLength: map[bool]int{true: 12}[enforced]},
		}
		for name, w := range want {
			c, ok := s.UserColumn(name)
			c.Type = ""
			if !ok || c != w {
				t.Errorf("UserColumn(%q) = %+v, %v; want %+v", name, c, ok, w)
			}
		}
		if _, ok := s.UserColumn("id"); ok {
			t.Error("UserColumn(\"id\"): Lucia's own column is not an attribute")
		}
		if got, want := s.KeyIDMaxLength(), map[bool]int{true: 255}[b.dialect == lucia2.MySQL]; got != want {
			t.Errorf("KeyIDMaxLength = %d, want %d", got, want)
		}
	})
}
