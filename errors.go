package latch

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
)

// Error is an authentication error with a stable Code, the same codes Lucia v2
// uses. Match it with errors.Is against the exported sentinels; errors
// returned by Latch wrap them with the name of the operation.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The errors an Auth returns. Store errors that are not one of these are
// wrapped with the operation name and returned as they are.
var (
	ErrInvalidSessionID  = &Error{Code: "AUTH_INVALID_SESSION_ID", Message: "invalid or expired session"}
	ErrInvalidKeyID      = &Error{Code: "AUTH_INVALID_KEY_ID", Message: "unknown key"}
	ErrInvalidPassword   = &Error{Code: "AUTH_INVALID_PASSWORD", Message: "invalid password"}
	ErrInvalidUserID     = &Error{Code: "AUTH_INVALID_USER_ID", Message: "unknown user"}
	ErrDuplicateKeyID    = &Error{Code: "AUTH_DUPLICATE_KEY_ID", Message: "key already exists"}
	ErrInvalidRequest    = &Error{Code: "AUTH_INVALID_REQUEST", Message: "invalid request"}
	ErrOutdatedPassword  = &Error{Code: "AUTH_OUTDATED_PASSWORD", Message: "password hash format is no longer supported"}
	ErrInvalidAttributes = &Error{Code: "AUTH_INVALID_ATTRIBUTES", Message: "invalid attributes"}
)

// Store-level errors. A store returns these (possibly wrapped); Auth turns
// them into the Lucia-coded errors above where one applies.
var (
	// ErrNotFound is returned by a store when the row asked for does not exist.
	ErrNotFound = errors.New("latch: not found")
	// ErrDuplicate is returned by a store when a primary key is already taken.
	ErrDuplicate = errors.New("latch: duplicate")
	// ErrStoreUnavailable is wrapped into a store's error when its server
	// could not be reached or the connection failed (refused, reset,
	// closed, timed out): an outage, not an answer, so that the HTTP layer
	// answers 503 and a client tries again. The stores mark their errors
	// with Unavailable.
	ErrStoreUnavailable = errors.New("latch: store unavailable")
	// ErrStoreSchema is wrapped into a store's error when the database's
	// schema cannot hold what was written: a value of a type its column
	// cannot take, one longer than its column, a NOT NULL column left
	// without a value. The error also matches ErrInvalidAttributes or
	// ErrInvalidRequest, since the caller chose the value; but to a server
	// whose code chose it, it is its own fault (authapi answers 500 and
	// logs the cause), not its client's.
	ErrStoreSchema = errors.New("latch: the store's schema cannot hold the value")
)

// Unavailable returns err marked with ErrStoreUnavailable (err stays
// wrapped too) when it is a connection-level failure: one that
// ConnectionFailure recognises, or one that any of also reports (a store
// passes its driver's own outage errors there). Any other err, and nil,
// come back as they are. A store calls it once, in the helper that wraps
// its driver's errors.
func Unavailable(err error, also ...func(error) bool) error {
	if err == nil || errors.Is(err, ErrStoreUnavailable) {
		return err
	}
	if ConnectionFailure(err) {
		return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	for _, f := range also {
		if f(err) {
			return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
		}
	}
	return err
}

// ConnectionFailure reports whether err is a connection-level failure that
// the standard library can name: a net.Error (dial refused, timeout, DNS),
// a connection ended mid-answer (io.EOF, io.ErrUnexpectedEOF,
// net.ErrClosed), a refused, reset, aborted or broken connection
// (ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ETIMEDOUT, EHOSTUNREACH,
// ENETUNREACH), database/sql's driver.ErrBadConn, or a deadline that ran
// out (context.DeadlineExceeded). A cancelled context is not one: the
// caller left.
func ConnectionFailure(err error) bool {
	if err == nil {
		return false
	}
	for _, target := range connectionFailures {
		if errors.Is(err, target) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne)
}

var connectionFailures = []error{
	ErrStoreUnavailable,
	context.DeadlineExceeded,
	io.EOF, io.ErrUnexpectedEOF, net.ErrClosed,
	driver.ErrBadConn,
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
	syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
}

// invalid returns an ErrInvalidRequest that names what was wrong; it still
// matches ErrInvalidRequest with errors.Is.
func invalid(msg string) error {
	return &detailError{base: ErrInvalidRequest, msg: msg}
}

// detailError carries a specific message while matching a sentinel.
type detailError struct {
	base *Error
	msg  string
}

func (e *detailError) Error() string { return e.base.Code + ": " + e.msg }
func (e *detailError) Unwrap() error { return e.base }
