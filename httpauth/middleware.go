package httpauth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/latchauth/latch"
)

type contextKey struct{}

// state is what the middleware found, kept in the request's context. Its
// presence also tells a nested Middleware (or Require) that the work is done.
type state struct {
	session latch.Session
	ok      bool
}

// FromContext returns the session the middleware found for the request,
// with its user in Session.User. s.User.DecodeAttributes and
// s.DecodeAttributes fill the application's own structs from them.
func FromContext(ctx context.Context) (latch.Session, bool) {
	st, _ := ctx.Value(contextKey{}).(*state)
	if st == nil || !st.ok {
		return latch.Session{}, false
	}
	return st.session, true
}

// NewContext returns a copy of ctx carrying s, as the middleware stores it;
// for tests of handlers, and for handlers that call others after signing in.
func NewContext(ctx context.Context, s latch.Session) context.Context {
	return context.WithValue(ctx, contextKey{}, &state{session: s, ok: true})
}

// Middleware finds the request's session and puts it in the context
// (FromContext), without requiring one; see Require.
//
// The token comes from a well-formed "Authorization: Bearer" header when
// there is one, from the session cookie otherwise. A session that was just
// renewed (Fresh) has its cookie set again; a cookie that names no live
// session is cleared. Malformed, oversized or repeated headers count as no
// token, never as an error.
//
// Requests that carry the session cookie and may change state (every method
// but GET, HEAD, OPTIONS, TRACE) must pass CheckOrigin, or are answered 403
// INVALID_ORIGIN without reaching next. Requests without the cookie (API
// clients with a bearer token) are not checked: a browser never adds that
// header to a cross-site request by itself.
//
// When the session store fails, the answer is 503 STORE_UNAVAILABLE and the
// error goes to the Logger, not to the client.
//
// A second Middleware (or Require) on the same request does nothing more.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, done := r.Context().Value(contextKey{}).(*state); done {
			next.ServeHTTP(w, r)
			return
		}
		st, ok := m.load(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, st)))
	})
}

// Require is Middleware that also answers 401 UNAUTHORIZED, without calling
// next, when the request has no valid session.
func (m *Manager) Require(next http.Handler) http.Handler {
	return m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := FromContext(r.Context()); !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "sign in to continue")
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// load finds the session; false means it has answered the request itself.
// Each decision is explained at debug level, never with a token.
func (m *Manager) load(w http.ResponseWriter, r *http.Request) (*state, bool) {
	ctx := r.Context()
	_, cookieName, hasCookie := m.cookie(r)
	if hasCookie && !safeMethod(r.Method) {
		if err := m.CheckOrigin(r); err != nil {
			m.debugOrigin(r, err)
			WriteError(w, http.StatusForbidden, CodeInvalidOrigin, "this request must come from a page of this site (Origin check failed)")
			return nil, false
		}
	}
	st := &state{}
	token, fromCookie := m.SessionToken(r)
	source := "bearer"
	if fromCookie {
		source = "cookie " + cookieName
	}
	if token == "" {
		if fromCookie { // an empty cookie
			m.debug(ctx, "httpauth: no session: the session cookie is empty; clearing it", "cookie", cookieName)
			m.ClearSessionCookie(w)
		}
		return st, true
	}
	s, err := m.auth.ValidateSession(ctx, token)
	switch {
	case err == nil:
		st.session, st.ok = s, true
		renamed := fromCookie && cookieName != m.cookieName
		switch {
		case renamed:
			m.debug(ctx, "httpauth: session found under a previous cookie name; setting it under the new one",
				"from", cookieName, "to", m.cookieName, "user", s.UserID)
			m.clearCookie(w, cookieName)
			m.SetSessionCookie(w, s)
		case s.Fresh && fromCookie:
			m.debug(ctx, "httpauth: session renewed: its active period had ended, it was in its idle period; cookie set again",
				"user", s.UserID, "idleExpires", s.IdleExpires)
			m.SetSessionCookie(w, s)
		case s.Fresh:
			m.debug(ctx, "httpauth: session renewed: its active period had ended, it was in its idle period (bearer: no cookie to set)",
				"user", s.UserID, "idleExpires", s.IdleExpires)
		default:
			m.debug(ctx, "httpauth: session accepted", "source", source, "user", s.UserID)
		}
	case errors.Is(err, latch.ErrInvalidSessionID):
		m.debug(ctx, "httpauth: session refused: no live session has this token (unknown, expired, revoked or malformed)",
			"source", source, "tokenLength", len(token))
		if fromCookie {
			m.ClearSessionCookie(w)
		}
	default:
		if !errors.Is(err, context.Canceled) { // a client that left is no failure
			m.log.ErrorContext(ctx, "httpauth: session lookup failed", "err", err)
		}
		w.Header().Set("Retry-After", "1")
		WriteError(w, http.StatusServiceUnavailable, CodeStoreUnavailable, "sessions cannot be checked right now; try again")
		return nil, false
	}
	return st, true
}

// SessionToken returns the session token the request carries: from a
// well-formed "Authorization: Bearer <token>" header (scheme matched in any
// case, exactly one such header) if there is one, else from the session
// cookie (or, without one, a cookie under Options.PreviousCookieNames).
// fromCookie reports that it is the cookie's; a cookie that is
// present but empty gives ("", true). The token is not validated.
func (m *Manager) SessionToken(r *http.Request) (token string, fromCookie bool) {
	if t, ok := bearerToken(r.Header); ok {
		return t, false
	}
	if v, _, ok := m.cookie(r); ok {
		return v, true
	}
	return "", false
}

// cookie returns the session cookie's value and name and whether the
// request has one: under CookieName, else under a previous name. Go drops
// cookies whose values are not valid cookie values.
func (m *Manager) cookie(r *http.Request) (value, name string, ok bool) {
	if c, err := r.Cookie(m.cookieName); err == nil {
		return c.Value, c.Name, true
	}
	for _, name := range m.previous {
		if c, err := r.Cookie(name); err == nil {
			return c.Value, c.Name, true
		}
	}
	return "", "", false
}

// maxAuthorizationLength bounds the Authorization header we look into: a
// token is at most latch.MaxIDLength bytes. A longer header (1 MB, say) is
// ignored without being scanned.
const maxAuthorizationLength = len("Bearer ") + latch.MaxIDLength + 16

// bearerToken extracts an RFC 6750 bearer token.
func bearerToken(h http.Header) (string, bool) {
	vals := h.Values("Authorization")
	if len(vals) != 1 || len(vals[0]) > maxAuthorizationLength {
		return "", false
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.Trim(tok, " ")
	if tok == "" || !isB64Token(tok) {
		return "", false
	}
	return tok, true
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
