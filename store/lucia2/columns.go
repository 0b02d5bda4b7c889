package lucia2

import (
	"fmt"

	"github.com/latchauth/latch"
)

// Column describes an attribute column of a Lucia table, as Open read it
// from the database's catalog.
type Column struct {
	// Name is the column's name, which is the attribute's.
	Name string
	// Type is the column's SQL type as the database declares it.
	Type string
	// MaxLength is the most characters the column holds where the database
	// enforces a limit (VARCHAR(n) and CHAR(n) on PostgreSQL and MySQL),
	// or 0. A server checks its input against it to answer a value that
	// is too long as the client's error before writing anything.
	MaxLength int
	// Required is true for a NOT NULL column without a default: a user
	// created without the attribute is refused (as the schema's fault).
	Required bool
}

// UserColumn returns the user table's attribute column for the attribute
// name, and whether there is one.
func (s *Store) UserColumn(name string) (Column, bool) {
	c := s.users.byName[name]
	if c == nil {
		return Column{}, false
	}
	return Column{Name: c.name, Type: c.sqlType, MaxLength: c.maxLen, Required: c.required}, true
}

// KeyIDMaxLength returns the most characters a key id ("provider:user id",
// such as "email:ada@example.com") may have in the key table, or 0 when the
// database enforces no limit. Lucia's MySQL schema makes it VARCHAR(255).
func (s *Store) KeyIDMaxLength() int { return s.keys.maxLen["id"] }

// CheckUserAttribute reports whether the user table has a column for the
// attribute name whose type can hold values of example's Go type, as the
// package documentation's table says. The error names the column, its type
// and the column types that would do; it matches latch.ErrInvalidAttributes
// and latch.ErrStoreSchema. A server calls it at start for each attribute
// it writes, to refuse a schema it cannot write rather than fail each
// request.
func (s *Store) CheckUserAttribute(name string, example any) error {
	return s.checkAttribute(s.users, name, example)
}

// CheckSessionAttribute is CheckUserAttribute for the session table.
func (s *Store) CheckSessionAttribute(name string, example any) error {
	return s.checkAttribute(s.sessions, name, example)
}

func (s *Store) checkAttribute(t *table, name string, example any) error {
	c := t.byName[name]
	if c == nil {
		return s.noColumn(t, name)
	}
	if example == nil {
		return nil
	}
	if _, err := s.toDB(c, example); err != nil {
		return checkError(fmt.Sprintf("the %s table %s: %v; change the column's type", t.role, t.name, err))
	}
	return nil
}

// checkError is CheckUserAttribute's error: its message alone, matching
// latch.ErrInvalidAttributes and latch.ErrStoreSchema.
type checkError string

func (e checkError) Error() string { return string(e) }

func (e checkError) Is(target error) bool {
	return target == latch.ErrInvalidAttributes || target == latch.ErrStoreSchema
}
