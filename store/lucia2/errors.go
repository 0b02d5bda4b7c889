package lucia2

import (
	"database/sql"
	"errors"
	"fmt"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchauth/latch"
)

// class is what a driver error means to the store.
type class int

const (
	classOther      class = iota
	classUnique           // a taken primary key or unique value
	classForeignKey       // a missing referenced row, or a referencing one
	classNotNull          // NULL for a NOT NULL column
	classTooLong          // a value longer than its column allows
	classBadValue         // a value the column cannot hold (encoding, check)
	classRetry            // a deadlock or serialization failure: run again
)

// classify reads the dialect's error codes.
func (s *Store) classify(err error) class {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_ROWID:
			return classUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return classForeignKey
		case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return classNotNull
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_DATATYPE:
			return classBadValue
		case sqlite3.SQLITE_TOOBIG:
			return classTooLong
		}
		return classOther
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return classUnique
		case "23503":
			return classForeignKey
		case "23502":
			return classNotNull
		case "22001":
			return classTooLong
		case "23514", "22021", "22P05", "22P02", "22007", "22008", "22003":
			return classBadValue
		case "40001", "40P01":
			return classRetry
		}
		return classOther
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062: // ER_DUP_ENTRY
			return classUnique
		case 1216, 1217, 1451, 1452: // ER_NO_REFERENCED_ROW(_2), ER_ROW_IS_REFERENCED(_2)
			return classForeignKey
		case 1048, 1364: // ER_BAD_NULL_ERROR, ER_NO_DEFAULT_FOR_FIELD
			return classNotNull
		case 1406: // ER_DATA_TOO_LONG
			return classTooLong
		case 1366, 1292, 1264, 3819, 4025: // bad string, datetime or number value; CHECK (MySQL, MariaDB)
			return classBadValue
		case 1213, 1020: // ER_LOCK_DEADLOCK; ER_CHECKREAD (MariaDB snapshot conflict)
			return classRetry
		}
	}
	return classOther
}

func (s *Store) retryable(err error) bool { return s.classify(err) == classRetry }

// wrap names the operation and maps errors to Latch's: no row and a
// missing referenced user to latch.ErrNotFound, a taken key to
// latch.ErrDuplicate, a missing or over-long value to
// latch.ErrInvalidAttributes or latch.ErrInvalidRequest (both also matching
// latch.ErrStoreSchema: the schema refused the value), a lost connection
// to latch.ErrStoreUnavailable. The driver's error stays in the chain.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(op)
	}
	for _, sentinel := range []error{latch.ErrNotFound, latch.ErrDuplicate, latch.ErrInvalidAttributes, latch.ErrInvalidRequest} {
		if errors.Is(err, sentinel) {
			return fmt.Errorf("lucia2: %s: %w", op, err)
		}
	}
	switch s.classify(err) {
	case classUnique:
		return fmt.Errorf("lucia2: %s: %w: %w", op, latch.ErrDuplicate, err)
	case classForeignKey:
		return fmt.Errorf("lucia2: %s: %w: %w", op, latch.ErrNotFound, err)
	case classNotNull:
		return schemaError{fmt.Errorf("lucia2: %s: %w: a NOT NULL attribute column without default was given no value (%w)",
			op, latch.ErrInvalidAttributes, err)}
	case classTooLong, classBadValue:
		return schemaError{fmt.Errorf("lucia2: %s: %w: a value does not fit its column (%w)", op, latch.ErrInvalidRequest, err)}
	}
	return fmt.Errorf("lucia2: %s: %w", op, latch.Unavailable(err, connectionLost))
}

// connectionLost reports the drivers' own outage errors
// (latch.ErrStoreUnavailable) beside those latch.ConnectionFailure knows.
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err) ||
		errors.Is(err, gomysql.ErrInvalidConn)
}

// notFound is the error of an operation that found no row.
func notFound(op string) error {
	return fmt.Errorf("lucia2: %s: %w", op, latch.ErrNotFound)
}
