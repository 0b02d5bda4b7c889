package lucia2

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// kind is the Go type of an attribute column.
type kind int

const (
	kindOther  kind = iota // read as a string, written as given
	kindString             // string
	kindInt                // int64
	kindBool               // bool
	kindFloat              // float64
	kindTime               // time.Time, UTC
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindInt:
		return "int64"
	case kindBool:
		return "bool"
	case kindFloat:
		return "float64"
	case kindTime:
		return "time.Time"
	}
	return "string"
}

// column is one column of a Lucia table.
type column struct {
	name    string // as the database names it
	quoted  string
	sqlType string // as declared, for messages
	kind    kind
	maxLen  int // characters the database lets it hold (VARCHAR(n)), or 0
	// required: NOT NULL without a default, so that a row written
	// without the attribute is refused.
	required bool
}

// table is a Lucia table and its attribute columns.
type table struct {
	name   string // as given in Options
	role   string // "user", "key" or "session"
	quoted string
	attrs  []*column          // attribute columns, in table order
	byName map[string]*column // attribute columns by name

	// maxLen holds the maximum length in characters of Lucia's own
	// columns (by Lucia's name) where the database enforces one, or 0.
	maxLen map[string]int
	// charset holds, on MySQL, the character set of Lucia's own columns
	// (by Lucia's name), for byte-for-byte comparisons (see Store.eq).
	charset map[string]string
	// idType is, on PostgreSQL and MySQL, the full SQL type of the id
	// column ("text", "varchar(15) CHARACTER SET utf8mb4 COLLATE …"), which
	// the user_id columns of Latch's tables repeat for their foreign keys.
	idType string
}

func (t *table) attrNames() []string {
	out := make([]string, len(t.attrs))
	for i, c := range t.attrs {
		out[i] = c.name
	}
	return out
}

// luciaColumns are the columns of each table that belong to Lucia rather
// than to attributes.
var luciaColumns = map[string][]string{
	"user":    {"id"},
	"key":     {"id", "user_id", "hashed_password"},
	"session": {"id", "user_id", "active_expires", "idle_expires"},
}

// rawColumn is a column as the catalog describes it.
type rawColumn struct {
	name, sqlType, detail string // detail: MySQL's COLUMN_TYPE, PostgreSQL's type name
	charset               string // MySQL's CHARACTER_SET_NAME, or ""
	maxLen                int    // VARCHAR(n)'s n where enforced (PostgreSQL, MySQL), or 0
	required              bool   // NOT NULL without a default
}

// readTable reads the table's columns from the catalog, checks that Lucia's
// own are there and maps the others to attributes.
func (s *Store) readTable(ctx context.Context, name, role string) (*table, error) {
	var (
		cols []rawColumn
		err  error
	)
	switch s.d {
	case dSQLite:
		cols, err = sqliteColumns(ctx, s.reader, name)
	case dPostgres:
		cols, err = postgresColumns(ctx, s.reader, s.d.quoteTable(name))
	case dMySQL:
		cols, err = mysqlColumns(ctx, s.reader, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading its columns: %w", err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no such table (or no columns); create Lucia's tables first")
	}
	t := &table{name: name, role: role, quoted: s.d.quoteTable(name), byName: map[string]*column{}, charset: map[string]string{}, maxLen: map[string]int{}}
	own := map[string]bool{}
	for _, c := range cols {
		for _, l := range luciaColumns[role] {
			if s.sameColumn(c.name, l) {
				own[l] = true
				t.charset[l] = c.charset
				t.maxLen[l] = c.maxLen
				if l == "id" {
					t.idType = c.sqlType
					if s.d == dMySQL {
						t.idType = c.detail
					}
				}
			}
		}
	}
	var missing []string
	for _, l := range luciaColumns[role] {
		if !own[l] {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not a Lucia v2 %s table: no column %s", role, strings.Join(missing, ", "))
	}
	if role == "key" {
		return t, nil // keys have no attributes
	}
	for _, c := range cols {
		if isLuciaColumn(s, role, c.name) {
			continue
		}
		col := &column{name: c.name, quoted: s.d.quoteIdent(c.name), sqlType: c.sqlType, maxLen: c.maxLen, required: c.required}
		switch s.d {
		case dSQLite:
			col.kind = sqliteKind(c.sqlType)
		case dPostgres:
			col.kind = postgresKind(c.detail)
		case dMySQL:
			col.kind = mysqlKind(c.sqlType, c.detail)
		}
		t.attrs = append(t.attrs, col)
		t.byName[c.name] = col
	}
	return t, nil
}

func isLuciaColumn(s *Store, role, name string) bool {
	for _, l := range luciaColumns[role] {
		if s.sameColumn(name, l) {
			return true
		}
	}
	return false
}

// sameColumn compares column names as the dialect does: PostgreSQL's
// (quoted) names are case-sensitive, SQLite's and MySQL's are not.
func (s *Store) sameColumn(a, b string) bool {
	if s.d == dPostgres {
		return a == b
	}
	return strings.EqualFold(a, b)
}

func sqliteColumns(ctx context.Context, db *sql.DB, name string) ([]rawColumn, error) {
	schema, tbl := splitName(name)
	if schema == "" {
		schema = "main"
	}
	rows, err := db.QueryContext(ctx, `SELECT name, type, "notnull" AND dflt_value IS NULL AND pk = 0 FROM pragma_table_info(?, ?) ORDER BY cid`, tbl, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rawColumn
	for rows.Next() {
		var c rawColumn
		if err := rows.Scan(&c.name, &c.sqlType, &c.required); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func postgresColumns(ctx context.Context, db *sql.DB, quoted string) ([]rawColumn, error) {
	// to_regclass resolves the name as the store's statements will: through
	// the search_path unless qualified. Generated columns are left out: they
	// cannot be written.
	rows, err := db.QueryContext(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname,
			CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 ELSE 0 END,
			a.attnotnull AND NOT a.atthasdef AND a.attidentity = ''
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
		ORDER BY a.attnum`, quoted)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rawColumn
	for rows.Next() {
		var c rawColumn
		if err := rows.Scan(&c.name, &c.sqlType, &c.detail, &c.maxLen, &c.required); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func mysqlColumns(ctx context.Context, db *sql.DB, name string) ([]rawColumn, error) {
	schema, tbl := splitName(name)
	var schemaArg any
	if schema != "" {
		schemaArg = schema
	}
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, ''),
			CASE WHEN DATA_TYPE IN ('char', 'varchar') THEN CHARACTER_MAXIMUM_LENGTH ELSE 0 END,
			IS_NULLABLE = 'NO' AND COLUMN_DEFAULT IS NULL AND EXTRA NOT LIKE '%auto_increment%'
		FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?
		AND EXTRA NOT LIKE '%GENERATED%'
		ORDER BY ORDINAL_POSITION`, schemaArg, tbl)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rawColumn
	for rows.Next() {
		var (
			c         rawColumn
			collation string
		)
		if err := rows.Scan(&c.name, &c.sqlType, &c.detail, &c.charset, &collation, &c.maxLen, &c.required); err != nil {
			return nil, err
		}
		if c.charset != "" && !plainName(c.charset) || collation != "" && !plainName(collation) {
			return nil, fmt.Errorf("column %s: unexpected character set %q or collation %q", c.name, c.charset, collation)
		}
		if c.charset != "" {
			// The full type, for the foreign keys of Latch's tables, which
			// must match the referenced column's type, character set and
			// collation exactly.
			c.detail += " CHARACTER SET " + c.charset + " COLLATE " + collation
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// plainName reports whether s is a name of letters, digits and '_', safe to
// put in SQL as it is.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// sqliteKind follows SQLite's affinity rules on the declared type, with
// booleans and times picked out first.
func sqliteKind(declared string) kind {
	t := strings.ToUpper(declared)
	switch {
	case strings.Contains(t, "BOOL"):
		return kindBool
	case strings.Contains(t, "INT"):
		return kindInt
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return kindString
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return kindFloat
	case strings.Contains(t, "DATE"), strings.Contains(t, "TIME"):
		return kindTime
	}
	return kindOther
}

// postgresKind maps a PostgreSQL type name (pg_type.typname).
func postgresKind(typname string) kind {
	switch typname {
	case "text", "varchar", "bpchar", "citext", "name":
		return kindString
	case "int2", "int4", "int8":
		return kindInt
	case "bool":
		return kindBool
	case "float4", "float8":
		return kindFloat
	case "timestamptz", "timestamp", "date":
		return kindTime
	}
	return kindOther
}

// mysqlKind maps a MySQL DATA_TYPE, with COLUMN_TYPE telling tinyint(1)
// (BOOLEAN) apart.
func mysqlKind(dataType, columnType string) kind {
	switch strings.ToLower(dataType) {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return kindString
	case "tinyint":
		if strings.HasPrefix(strings.ToLower(columnType), "tinyint(1)") {
			return kindBool
		}
		return kindInt
	case "bit":
		if strings.ToLower(columnType) == "bit(1)" {
			return kindBool
		}
		return kindOther
	case "smallint", "mediumint", "int", "integer", "bigint":
		return kindInt
	case "float", "double", "real":
		return kindFloat
	case "datetime", "timestamp", "date":
		return kindTime
	}
	return kindOther
}
