package oauth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// The errors of the flow. The errors returned by Client wrap one of them
// (match with errors.Is) with the provider and the reason.
var (
	// ErrUnknownProvider: no provider of that id is configured.
	ErrUnknownProvider = errors.New("oauth: unknown provider")
	// ErrInvalidState: the callback's state is missing or does not match
	// the flow cookie (a forged, replayed or expired callback).
	ErrInvalidState = errors.New("oauth: invalid or expired state")
	// ErrConsentDenied: the user declined at the provider (error=access_denied).
	ErrConsentDenied = errors.New("oauth: the user denied consent")
	// ErrAuthorization: the provider answered the callback with another
	// error (invalid_scope, server_error, ...).
	ErrAuthorization = errors.New("oauth: the provider refused the authorization")
	// ErrExchange: the code could not be exchanged for tokens (a code used
	// twice, a wrong PKCE verifier or client secret, a provider down).
	ErrExchange = errors.New("oauth: exchanging the authorization code failed")
	// ErrInvalidIDToken: the ID token is missing, or fails verification of
	// its signature, issuer, audience, expiry or nonce.
	ErrInvalidIDToken = errors.New("oauth: invalid ID token")
	// ErrUserInfo: the provider's user could not be read or has no id.
	ErrUserInfo = errors.New("oauth: reading the provider's user failed")
	// ErrDiscovery: the OIDC discovery document could not be fetched or
	// does not describe the configured issuer.
	ErrDiscovery = errors.New("oauth: OIDC discovery failed")
)

// flowError wraps one of the errors above with the provider and a reason.
type flowError struct {
	kind     error
	provider string
	reason   string
	cause    error
}

func (e *flowError) Error() string {
	var b strings.Builder
	b.WriteString(e.kind.Error())
	if e.provider != "" {
		fmt.Fprintf(&b, " (%s)", e.provider)
	}
	if e.reason != "" {
		b.WriteString(": ")
		b.WriteString(e.reason)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Unwrap returns the kind and, when there is one, the cause, so that
// errors.Is matches both (ErrExchange and a *oauth2.RetrieveError, say).
func (e *flowError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func fail(kind error, provider, reason string, cause error) error {
	return &flowError{kind: kind, provider: provider, reason: reason, cause: cause}
}

// AuthorizationError is the error a provider put in the callback's query
// (error, error_description). It is wrapped in the ErrConsentDenied or
// ErrAuthorization returned by Callback; get it with errors.As.
type AuthorizationError struct {
	Code        string
	Description string
}

func (e *AuthorizationError) Error() string {
	if e.Description == "" {
		return "provider error " + e.Code
	}
	return "provider error " + e.Code + ": " + e.Description
}

// printable keeps at most n runes of s that are printable, so that text from
// the network cannot forge log lines.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("…")
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			b.WriteRune('?')
		}
		n--
	}
	return b.String()
}
