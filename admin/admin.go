package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/internal/strictjson"
	"github.com/latchauth/latch/throttle"
)

// MinTokenLength is the shortest admin token accepted, in bytes: 32
// random bytes written in base64url without padding take 43 characters
// (`openssl rand -base64 32` gives 44, `openssl rand -hex 32` 64).
const MinTokenLength = 43

// minTokenSymbols is how many distinct characters an admin token must
// hold at least: a long run of one character is not a secret. Random
// tokens of MinTokenLength characters have far more.
const minTokenSymbols = 12

// Token is one admin bearer token. Name says who holds it; it is what the
// audit log records ("token:<name>"), never the value.
type Token struct {
	Name  string
	Value string
}

// CheckToken returns an error when value is too weak to be an admin
// token: shorter than MinTokenLength bytes, or of too few distinct
// characters to be random.
func CheckToken(value string) error {
	if len(value) < MinTokenLength {
		return fmt.Errorf("admin: the admin token has %d bytes; it must have at least %d (32 random bytes, e.g. from `openssl rand -base64 32`)", len(value), MinTokenLength)
	}
	seen := map[rune]bool{}
	for _, r := range value {
		seen[r] = true
	}
	if len(seen) < minTokenSymbols {
		return fmt.Errorf("admin: the admin token has only %d distinct characters; use 32 random bytes (e.g. `openssl rand -base64 32`)", len(seen))
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("admin: the admin token contains a space or a control character")
	}
	return nil
}

// Mailer sends the support mails of POST /api/admin/users/{id}/password-reset:
// *authapi.Handler is one. The link goes to the user's address through the
// mail queue and is never returned to the caller.
type Mailer interface {
	SendPasswordReset(ctx context.Context, email, ip string) error
	SendMagicLink(ctx context.Context, email string) error
}

// FactorRemover removes every second factor and passkey of a user for
// DELETE /api/admin/users/{id}/factors and returns how many it removed:
// *authapi.Handler is one (authapi.Handler.RemoveFactors also removes the
// recovery codes, ends the user's sessions, records it in their activity
// and mails them a notice; a user with no factor is left as they are).
// For no such user it returns latch.Auth.GetUser's error, which matches
// latch.ErrInvalidUserID.
type FactorRemover interface {
	RemoveFactors(ctx context.Context, userID string) (int, error)
}

// Config configures a Handler. Auth and at least one Token are required.
type Config struct {
	// Auth is the core the handler administers.
	Auth *latch.Auth
	// Tokens are the bearer tokens that open the API; each is checked
	// with CheckToken.
	Tokens []Token
	// Mailer sends the support links; without it, password-reset answers
	// 501 NOT_SUPPORTED.
	Mailer Mailer
	// FactorRemover removes a user's second factors (a lost
	// authenticator); without it, DELETE users/{id}/factors answers 501
	// NOT_SUPPORTED.
	FactorRemover FactorRemover
	// ThrottleStore counts failed authentications per client IP (5 free,
	// then 1 s doubling up to 15 minutes). Default: a throttle.MemoryStore
	// on Auth's clock.
	ThrottleStore throttle.Store
	// Logger receives the audit lines ("admin action") and refused
	// requests; never a token. Default slog.Default().
	Logger *slog.Logger
	// ClientIP returns the client address of a request. Default: the host
	// of RemoteAddr (the admin API is meant for loopback, with no proxy).
	ClientIP func(*http.Request) string
}

// Handler serves the admin API under /api/admin/. It reads no cookie: only
// an Authorization: Bearer header with one of its tokens opens it.
type Handler struct {
	auth     *latch.Auth
	tokens   []tokenDigest
	mailer   Mailer
	remover  FactorRemover
	limit    *throttle.Limiter
	log      *slog.Logger
	clientIP func(*http.Request) string
	mux      *http.ServeMux
}

// tokenDigest keeps a token's SHA-256: every comparison is then of 32
// bytes in constant time, whatever the length of what was sent.
type tokenDigest struct {
	name string
	sum  [sha256.Size]byte
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Auth == nil {
		return nil, errors.New("admin: Config.Auth is required")
	}
	if len(cfg.Tokens) == 0 {
		return nil, errors.New("admin: Config.Tokens needs at least one token")
	}
	h := &Handler{auth: cfg.Auth, mailer: cfg.Mailer, remover: cfg.FactorRemover, log: cfg.Logger, clientIP: cfg.ClientIP}
	names := map[string]bool{}
	for i, t := range cfg.Tokens {
		if t.Name == "" || strings.ContainsFunc(t.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }) || len(t.Name) > 64 {
			return nil, fmt.Errorf("admin: Config.Tokens[%d].Name %q: want 1 to 64 characters without spaces", i, t.Name)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("admin: Config.Tokens: the name %q is used twice", t.Name)
		}
		names[t.Name] = true
		if err := CheckToken(t.Value); err != nil {
			return nil, fmt.Errorf("admin: Config.Tokens[%d] (%s): %w", i, t.Name, err)
		}
		h.tokens = append(h.tokens, tokenDigest{name: t.Name, sum: sha256.Sum256([]byte(t.Value))})
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.clientIP == nil {
		h.clientIP = remoteIP
	}
	store := cfg.ThrottleStore
	if store == nil {
		store = throttle.NewMemoryStore(cfg.Auth.Now)
	}
	var err error
	if h.limit, err = throttle.New(store, throttle.Options{Prefix: "admin:ip:", Free: 5}); err != nil {
		return nil, fmt.Errorf("admin: throttle: %w", err)
	}
	h.mux = h.routes()
	return h, nil
}

// methods maps the HTTP methods of one admin path to their handlers.
type methods map[string]handlerFunc

// routes registers each admin path once with its methods, so that a
// known path asked with another method answers 405 with Allow rather
// than falling through to the catch-all's 404.
func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for path, m := range map[string]methods{
		"/api/admin/users":                     {http.MethodGet: h.listUsers, http.MethodPost: h.createUser},
		"/api/admin/users/{id}":                {http.MethodGet: h.showUser, http.MethodDelete: h.deleteUser},
		"/api/admin/users/{id}/disable":        {http.MethodPost: h.disableUser},
		"/api/admin/users/{id}/enable":         {http.MethodPost: h.enableUser},
		"/api/admin/users/{id}/sessions":       {http.MethodDelete: h.revokeSessions},
		"/api/admin/users/{id}/factors":        {http.MethodDelete: h.removeFactors},
		"/api/admin/users/{id}/password-reset": {http.MethodPost: h.sendLink},
	} {
		mux.Handle(path, h.authorized(m.dispatch()))
	}
	// Anything else: authenticate first, so that the API's shape is no
	// answer to a caller without a token; then 404.
	mux.Handle("/", h.authorized(func(w http.ResponseWriter, r *http.Request, who string) error {
		return errNotFound
	}))
	return mux
}

// dispatch runs the handler of the request's method (GET's for HEAD).
// Any other method is 405 with the path's methods in Allow; it runs
// inside authorized, so only a caller with a token learns them.
func (m methods) dispatch() handlerFunc {
	allow := make([]string, 0, len(m)+1)
	for k := range m {
		allow = append(allow, k)
		if k == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	sort.Strings(allow)
	return func(w http.ResponseWriter, r *http.Request, who string) error {
		fn, ok := m[r.Method]
		if !ok && r.Method == http.MethodHead {
			fn, ok = m[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return errMethodNotAllowed
		}
		return fn(w, r, who)
	}
}

// ServeHTTP serves the admin API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	h.mux.ServeHTTP(w, r)
}

// maxBody is the largest request body accepted.
const maxBody = 64 << 10

type handlerFunc func(w http.ResponseWriter, r *http.Request, who string) error

// authorized checks the bearer token under the per-IP throttle and runs
// fn with the token's audit name; its error is answered as JSON.
func (h *Handler) authorized(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, err := h.authenticate(r)
		if err == nil {
			err = fn(w, r, who)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})
}

// authenticate returns "token:<name>" of the request's bearer token. The
// attempt is counted against the client IP before the token is looked at
// (throttle.Limiter.Attempt, so parallel guesses get no more tries than
// guesses one by one), and given back when the token is right; an IP in
// its back-off is refused whatever it sends.
func (h *Handler) authenticate(r *http.Request) (string, error) {
	ctx := r.Context()
	ip := h.clientIP(r)
	wait, err := h.limit.Attempt(ctx, ip)
	if err != nil {
		return "", err
	}
	if wait > 0 {
		return "", errTooManyRequests.withRetry(wait)
	}
	given, ok := bearer(r)
	if ok {
		sum := sha256.Sum256([]byte(given))
		name := ""
		for _, t := range h.tokens { // every token compared: no early exit
			if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 {
				name = t.name
			}
		}
		if name != "" {
			if err := h.limit.Refund(ctx, ip); err != nil {
				h.log.WarnContext(ctx, "admin throttle refund failed", "err", err)
			}
			return "token:" + name, nil
		}
	}
	h.log.WarnContext(ctx, "admin authentication failed", "ip", ip, "route", route(r), "bearer", ok)
	return "", errUnauthorized
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Values("Authorization")
	if len(v) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(v[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// route names the request's route for logs: the method and the matched
// pattern, never the path alone (it is the admin's, but keep the habit).
func route(r *http.Request) string {
	if r.Pattern != "" && r.Pattern != "/" {
		return r.Method + " " + r.Pattern
	}
	return r.Method + " (unmatched)"
}

// Error is an admin API error: status, code and message of the JSON body
// {"error":{"code","message"}}, as authapi's.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func (e *Error) withRetry(d time.Duration) *Error { c := *e; c.RetryAfter = d; return &c }

// The errors the admin API answers with, by code; authapi's errors (bad
// email, short password, ...) are answered as authapi answers them.
var (
	errUnauthorized     = &Error{Status: http.StatusUnauthorized, Code: "ADMIN_UNAUTHORIZED", Message: "a valid admin token is required: Authorization: Bearer <token>"}
	errTooManyRequests  = &Error{Status: http.StatusTooManyRequests, Code: "TOO_MANY_REQUESTS", Message: "too many failed authentications: try again later"}
	errNotFound         = &Error{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: "no such resource"}
	errMethodNotAllowed = &Error{Status: http.StatusMethodNotAllowed, Code: "METHOD_NOT_ALLOWED", Message: "method not allowed: see the Allow header"}
	errUserNotFound     = &Error{Status: http.StatusNotFound, Code: "USER_NOT_FOUND", Message: "no such user"}
	errInvalidBody      = &Error{Status: http.StatusBadRequest, Code: "INVALID_BODY", Message: "the request body is not a JSON object of the expected shape"}
	errDuplicateKey     = &Error{Status: http.StatusBadRequest, Code: "DUPLICATE_JSON_KEY", Message: "the request body names a field twice (names are matched ignoring case)"}
	errKeyCase          = &Error{Status: http.StatusBadRequest, Code: "JSON_KEY_CASE", Message: "a member of the request body names a field in another case; names are case-sensitive"}
	errBodyTooLarge     = &Error{Status: http.StatusRequestEntityTooLarge, Code: "BODY_TOO_LARGE", Message: "the request body is larger than 64 KiB"}
	errInvalidRequest   = &Error{Status: http.StatusBadRequest, Code: "INVALID_REQUEST", Message: "the request is not valid"}
	errInvalidCursor    = &Error{Status: http.StatusBadRequest, Code: "INVALID_CURSOR", Message: "the cursor is not one this API gave"}
	errUserExists       = &Error{Status: http.StatusConflict, Code: "USER_ALREADY_EXISTS", Message: "an account with this email already exists"}
	errUserDisabled     = &Error{Status: http.StatusConflict, Code: "USER_DISABLED", Message: "the user is disabled: enable them first"}
	errNoEmail          = &Error{Status: http.StatusConflict, Code: "NO_EMAIL", Message: "the user has no email address to send a link to"}
	errNotSupported     = &Error{Status: http.StatusNotImplemented, Code: "NOT_SUPPORTED", Message: "this server cannot do that"}
	errUnavailable      = &Error{Status: http.StatusServiceUnavailable, Code: httpauth.CodeStoreUnavailable, Message: "the service is unavailable: try again later"}
	errInternal         = &Error{Status: http.StatusInternalServerError, Code: "INTERNAL", Message: "internal error"}
)

// errorTable maps the errors of the core to the admin API's; first match wins.
var errorTable = []struct {
	err error
	api *Error
}{
	{latch.ErrStoreSchema, errInternal},
	{latch.ErrInvalidUserID, errUserNotFound},
	{latch.ErrDuplicateKeyID, errUserExists},
	{latch.ErrInvalidCursor, errInvalidCursor},
	{latch.ErrListUnsupported, errNotSupported},
	{latch.ErrInvalidAttributes, errInvalidRequest},
	{latch.ErrInvalidRequest, errInvalidRequest},
	{latch.ErrStoreUnavailable, errUnavailable},
	{context.DeadlineExceeded, errUnavailable},
}

func apiError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ae *authapi.Error
	if errors.As(err, &ae) {
		return &Error{Status: ae.Status, Code: ae.Code, Message: ae.Message, RetryAfter: ae.RetryAfter}
	}
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			return row.api
		}
	}
	return errInternal
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := apiError(err)
	if e.Status >= 500 {
		h.log.ErrorContext(r.Context(), "admin request failed", "route", route(r), "status", e.Status, "err", err)
	}
	switch {
	case e.RetryAfter > 0:
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	case e.Status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="latch-admin"`)
	}
	httpauth.WriteError(w, e.Status, e.Code, e.Message)
}

// decodeJSON reads a JSON object body into v; unknown fields are refused,
// so that a typo is an error rather than an ignored option, and so are a
// member named twice and one that names a field in another case (which
// encoding/json alone would take). An empty body
// leaves v as it is when allowEmpty.
func decodeJSON(r *http.Request, v any, allowEmpty bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBodyTooLarge
		}
		return errInvalidBody
	}
	if allowEmpty && strings.TrimSpace(string(body)) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if !strings.HasPrefix(strings.TrimLeft(string(body), " \t\r\n"), "{") || dec.Decode(v) != nil || dec.More() {
		return errInvalidBody
	}
	switch err := strictjson.Check(body, v); {
	case errors.Is(err, strictjson.ErrDuplicateKey):
		return errDuplicateKey
	case errors.Is(err, strictjson.ErrKeyCase):
		return errKeyCase
	case err != nil:
		return errInvalidBody
	}
	return nil
}
