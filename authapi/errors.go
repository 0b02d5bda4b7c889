package authapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/token"
)

// Error is an API error: the HTTP status and the code and message of the
// JSON body {"error":{"code":"…","message":"…"}}. Handlers return one of
// the variables below, or an error from latch, token or throttle that the
// table in statusOf maps.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header (seconds).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// withMessage returns a copy of e with another message (same code and status).
func (e *Error) withMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// plural says "1 attempt", "3 attempts".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// waitText says a wait in words, rounded up: "30 seconds", "2 minutes".
func waitText(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return plural(int((d+time.Second-1)/time.Second), "second")
	case d <= time.Hour:
		return plural(int((d+time.Minute-1)/time.Minute), "minute")
	}
	return plural(int((d+time.Hour-1)/time.Hour), "hour")
}

// withRetry returns a copy of e that carries a Retry-After.
func (e *Error) withRetry(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// The errors the API answers with, by code.
var (
	ErrInvalidBody        = newError(http.StatusBadRequest, "INVALID_BODY", "the request body is not a JSON object of the expected shape")
	ErrBodyTooLarge       = newError(http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "the request body is larger than 64 KiB")
	ErrInvalidEmail       = newError(http.StatusBadRequest, "INVALID_EMAIL", "the email address is not valid")
	ErrPasswordTooShort   = newError(http.StatusBadRequest, "PASSWORD_TOO_SHORT", "the password must have at least 8 characters")
	ErrPasswordTooLong    = newError(http.StatusBadRequest, "PASSWORD_TOO_LONG", "the password must have at most 256 characters")
	ErrPasswordBreached   = newError(http.StatusBadRequest, "PASSWORD_BREACHED", "this password appears in known data breaches: choose another")
	ErrInvalidName        = newError(http.StatusBadRequest, "INVALID_NAME", "the name must have at most 256 characters")
	ErrInvalidRequest     = newError(http.StatusBadRequest, "INVALID_REQUEST", "the request is not valid")
	ErrInvalidCredentials = newError(http.StatusUnauthorized, "INVALID_CREDENTIALS", "wrong email or password")
	ErrUnauthorized       = newError(http.StatusUnauthorized, httpauth.CodeUnauthorized, "not signed in")
	ErrInvalidOrigin      = newError(http.StatusForbidden, httpauth.CodeInvalidOrigin, "the request's Origin is not allowed")
	ErrForbidden          = newError(http.StatusForbidden, "FORBIDDEN", "this operation is not allowed")
	ErrUserDisabled       = newError(http.StatusForbidden, "USER_DISABLED", "this account is disabled")
	ErrNotFound           = newError(http.StatusNotFound, "NOT_FOUND", "no such resource")
	ErrSessionNotFound    = newError(http.StatusNotFound, "SESSION_NOT_FOUND", "no such session")
	ErrUserNotFound       = newError(http.StatusNotFound, "USER_NOT_FOUND", "no such user")
	ErrMethodNotAllowed   = newError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "method not allowed")
	ErrUserExists         = newError(http.StatusConflict, "USER_ALREADY_EXISTS", "an account with this email already exists")
	ErrEmailVerified      = newError(http.StatusConflict, "EMAIL_ALREADY_VERIFIED", "the email address is already verified")
	ErrInvalidCode        = newError(http.StatusBadRequest, "INVALID_CODE", "the code is wrong or expired")
	ErrInvalidToken       = newError(http.StatusBadRequest, "INVALID_TOKEN", "the link or token is invalid or was already used")
	ErrExpiredToken       = newError(http.StatusBadRequest, "EXPIRED_TOKEN", "the link or token has expired")
	ErrTooManyAttempts    = newError(http.StatusTooManyRequests, "TOO_MANY_ATTEMPTS", "too many wrong attempts: ask for a new code")
	ErrTooManyRequests    = newError(http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "too many requests: try again later")
	ErrSignInLocked       = newError(http.StatusTooManyRequests, "PASSWORD_SIGN_IN_LOCKED", "too many wrong passwords for this address: sign in with a magic link or reset the password")
	ErrBusy               = newError(http.StatusServiceUnavailable, "SERVER_BUSY", "the server is busy: try again shortly")
	ErrDuplicateJSONKey   = newError(http.StatusBadRequest, "DUPLICATE_JSON_KEY", "the request body names a field twice (names are matched ignoring case)")
	ErrJSONKeyCase        = newError(http.StatusBadRequest, "JSON_KEY_CASE", "a member of the request body names a field in another case; names are case-sensitive")
	ErrUnavailable        = newError(http.StatusServiceUnavailable, httpauth.CodeStoreUnavailable, "the service is unavailable: try again later")
	ErrInternal           = newError(http.StatusInternalServerError, "INTERNAL", "internal error")
	ErrInvalidCursor      = newError(http.StatusBadRequest, "INVALID_CURSOR", "the cursor is not one this API gave")
)

// errorTable maps the errors of the packages below to API errors; the first
// match (errors.Is) wins. It is the one place that decides statuses.
var errorTable = []struct {
	err error
	api *Error
}{
	// The database's schema refused what the server wrote (a type its
	// column cannot hold, a value too long for it, a NOT NULL column left
	// empty): the server's fault, never the client's, although the error
	// also matches ErrInvalidAttributes or ErrInvalidRequest below.
	{latch.ErrStoreSchema, ErrInternal},
	{latch.ErrInvalidSessionID, ErrUnauthorized},
	{latch.ErrUserDisabled, ErrUserDisabled},
	{latch.ErrInvalidKeyID, ErrInvalidCredentials},
	{latch.ErrInvalidPassword, ErrInvalidCredentials},
	// A retired hash format tells that the account exists: answer like a
	// wrong password; a password reset mends it.
	{latch.ErrOutdatedPassword, ErrInvalidCredentials},
	{latch.ErrDuplicateKeyID, ErrUserExists},
	{latch.ErrInvalidUserID, ErrUserNotFound},
	{latch.ErrInvalidAttributes, ErrInvalidRequest},
	{latch.ErrInvalidRequest, ErrInvalidRequest},
	{token.ErrInvalidToken, ErrInvalidToken},
	{latch.ErrInvalidCursor, ErrInvalidCursor},
	{token.ErrExpiredToken, ErrExpiredToken},
	{token.ErrTooManyAttempts, ErrTooManyAttempts},
	{token.ErrTooManyRequests, ErrTooManyRequests},
	// A store that lost its server (the stores mark it) or ran out of
	// time: 503, never 500, so that clients try again.
	{latch.ErrStoreUnavailable, ErrUnavailable},
	{context.DeadlineExceeded, ErrUnavailable},
}

// defaultRetryAfter is sent with a 429 that has no computed delay (token
// attempt and request limits).
const defaultRetryAfter = time.Minute

// unavailableRetryAfter is sent with a 503: a store outage may be a
// failover of seconds. httpauth's 503 sends the same.
const unavailableRetryAfter = time.Second

// apiError returns the API error for err; unknown errors are ErrInternal.
func apiError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			return row.api
		}
	}
	return ErrInternal
}

// writeError answers with the API error for err. Internal errors are
// logged once, at ERROR, with their cause and the request id (never their
// details sent); the others are the client's.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := apiError(err)
	if e.Status >= 500 {
		h.log.ErrorContext(r.Context(), "request failed", "route", route(r), "status", e.Status, "err", err)
	} else {
		h.debugRefused(r, e, err)
	}
	setRetryAfter(w, e)
	httpauth.WriteError(w, e.Status, e.Code, e.Message)
}

// setRetryAfter sets the Retry-After header of a 429 or a 503, in whole
// seconds rounded up.
func setRetryAfter(w http.ResponseWriter, e *Error) {
	d := e.RetryAfter
	switch {
	case d > 0:
	case e.Status == http.StatusTooManyRequests:
		d = defaultRetryAfter
	case e.Status == http.StatusServiceUnavailable:
		d = unavailableRetryAfter
	default:
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
}

// route names the request's route for logs: the matched pattern, never the
// path (paths carry tokens).
func route(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method + " (unmatched)"
}
