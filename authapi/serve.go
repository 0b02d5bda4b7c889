package authapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/internal/reqid"
	"github.com/latchauth/latch/internal/strictjson"
)

// reqInfo is what the outermost middleware learns from the inner handlers
// for its log line; the route is the pattern, never the path.
type reqInfo struct{ route string }

type infoKey struct{}

func setRoute(r *http.Request) {
	if ri, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		ri.route = routeName(r)
	}
}

// routeName is "METHOD pattern" for the access log; a pattern that names
// its method already ("GET /sign-up") is not given it twice.
func routeName(r *http.Request) string {
	if strings.HasPrefix(r.Pattern, r.Method+" ") {
		return r.Pattern
	}
	return r.Method + " " + r.Pattern
}

// statusWriter records the status written and whether anything was.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// routes builds the handler chain: CORS headers outermost (so that even a
// 413 or 500 reaches a trusted page readable), recovery, logging and
// limits, then the session middleware, then the routes.
func (h *Handler) routes() http.Handler {
	mux := http.NewServeMux()
	h.apiRoutes(mux)
	if h.noPage {
		mux.HandleFunc("/", h.noPages)
	} else {
		h.pageRoutes(mux)
	}
	return h.cors(h.outer(h.sessions.Middleware(h.touch(h.requireFactor(mux)))))
}

func (h *Handler) apiRoutes(mux *http.ServeMux) {
	a := func(path string, m methods) { h.handle(mux, path, h.api(m), m.names()...) }
	a("/api/auth/sign-up", methods{"POST": h.signUp})
	a("/api/auth/sign-in", methods{"POST": h.signInAPI})
	a("/api/auth/sign-out", methods{"POST": h.signOutAPI})
	a("/api/auth/session", methods{"GET": h.getSession})
	a("/api/auth/sessions", methods{"GET": h.listSessions, "DELETE": h.revokeOtherSessions})
	a("/api/auth/sessions/{id}", methods{"DELETE": h.revokeSession})
	a("/api/auth/activity", methods{"GET": h.listActivity})
	a("/api/auth/email-verification", methods{"POST": h.sendVerificationAPI})
	a("/api/auth/email-verification/verify", methods{"POST": h.verifyEmailAPI})
	a("/api/auth/email-verification/verify-link", methods{"POST": h.verifyLinkAPI})
	a("/api/auth/email-verification/{token}", methods{"GET": h.verifyEmailLink})
	a("/api/auth/password-reset", methods{"POST": h.requestPasswordResetAPI})
	a("/api/auth/password-reset/{token}", methods{"POST": h.resetPasswordAPI})
	a("/api/auth/magic-link", methods{"POST": h.requestMagicLinkAPI})
	a("/api/auth/magic-link/verify", methods{"POST": h.verifyMagicLinkAPI})
	a("/api/auth/magic-link/{token}", methods{"GET": h.magicLinkRedirect})
	a("/api/auth/one-time-token/generate", methods{"GET": h.generateOneTimeToken})
	a("/api/auth/one-time-token/verify", methods{"POST": h.verifyOneTimeToken})
	a("/api/auth/cli/token", methods{"POST": h.cliToken})
	a("/api/auth/password", methods{"POST": h.changePasswordAPI})
	a("/api/auth/account", methods{"DELETE": h.deleteAccountAPI})
	a("/api/auth/accounts", methods{"GET": h.listAccountsAPI})
	a("/api/auth/accounts/{provider}", methods{"DELETE": h.unlinkAccountAPI})
	a("/api/auth/email", methods{"POST": h.changeEmailAPI})
	a("/api/auth/email/confirm", methods{"POST": h.confirmEmailChangeAPI})
	a("/api/auth/step-up", methods{"POST": h.stepUpAPI})
	a("/api/auth/step-up/email-code", methods{"POST": h.sendStepUpCodeAPI})
	a("/api/auth/two-factor/verify", methods{"POST": h.verifyTwoFactorAPI})
	a("/api/auth/two-factor/totp", methods{"POST": h.startTOTPAPI, "DELETE": h.disableTOTPAPI})
	a("/api/auth/two-factor/totp/confirm", methods{"POST": h.confirmTOTPAPI})
	a("/api/auth/two-factor/recovery-codes", methods{"POST": h.recoveryCodesAPI})
	h.passkeyRoutes(a)
	a("/api/auth/undo", methods{"POST": h.undoAPI})
	a("/api/auth/client.js", methods{"GET": h.serveClientJS})
	a("/api/auth/openapi.json", methods{"GET": h.serveOpenAPI})
	if h.oauth != nil {
		h.oauthRoutes(mux)
	}
	if h.outbox != nil {
		a("/api/dev/outbox", methods{"GET": h.outboxAPI})
		a("/api/auth/dev/outbox", methods{"GET": h.outboxAPI}) // under the API's prefix, for a handler mounted there
	}
	mux.Handle("/api/", h.api(methods{})) // JSON 404 for every other API path
}

// methods maps HTTP methods to the handlers of one path.
type methods map[string]func(http.ResponseWriter, *http.Request) error

func (m methods) names() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// handle registers an API route and notes it in h.served, which the
// OpenAPI document's completeness test compares with the document.
func (h *Handler) handle(mux *http.ServeMux, pattern string, handler http.Handler, methods ...string) {
	mux.Handle(pattern, handler)
	if h.served == nil {
		h.served = make(map[string][]string)
	}
	h.served[pattern] = methods
}

// api serves one API path: method dispatch with a JSON 405, the Origin
// check, and errors written as JSON.
func (h *Handler) api(m methods) http.Handler {
	allow := make([]string, 0, len(m)+1)
	for k := range m {
		allow = append(allow, k)
		if k == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	sort.Strings(allow)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r)
		w.Header().Set("Cache-Control", "no-store")
		if len(m) == 0 {
			h.writeError(w, r, ErrNotFound)
			return
		}
		if h.preflight(w, r, allow) {
			return
		}
		fn, ok := m[r.Method]
		if !ok && r.Method == http.MethodHead {
			fn, ok = m[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			h.writeError(w, r, ErrMethodNotAllowed)
			return
		}
		// The session middleware checks Origin when a cookie comes along;
		// a browser request without one (sign-in, sign-up) is checked
		// here too, against login CSRF. API clients send no Origin.
		if !safeMethod(r.Method) && r.Header.Get("Origin") != "" {
			if err := h.sessions.CheckOrigin(r); err != nil {
				h.sessions.DebugOrigin(r, err)
				h.writeError(w, r, ErrInvalidOrigin)
				return
			}
		}
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// outer gives the request its id, recovers panics into a bare 500, caps
// request bodies, sets the headers every answer carries and logs one line
// per request.
func (h *Handler) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{}
		// A new id for every request (a client's own X-Request-Id is not
		// trusted into the logs): in every log line of the request, and in
		// the answer, so that a user can quote it.
		id := reqid.New()
		rw.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(reqid.With(r.Context(), id), infoKey{}, ri))
		w := &statusWriter{ResponseWriter: rw}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.ErrorContext(r.Context(), "panic serving request", "route", ri.route, "panic", v, "stack", string(debug.Stack()))
				if w.status == 0 {
					// Logged above, once: not through writeError.
					httpauth.WriteError(w, ErrInternal.Status, ErrInternal.Code, ErrInternal.Message)
				}
			}
			d := time.Since(start)
			h.log.InfoContext(r.Context(), "request", "route", orDefault(ri.route, r.Method+" (unmatched)"),
				"status", w.status, "duration", d.Round(time.Microsecond))
			if h.onRequest != nil {
				h.onRequest(orDefault(ri.route, "(unmatched)"), orDefault(w.status, http.StatusOK), d)
			}
		}()
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		if r.ContentLength > MaxBodyBytes {
			h.writeError(w, r, ErrBodyTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// decodeJSON reads a JSON object into v. Unknown fields are ignored;
// anything but one object is ErrInvalidBody, a body over the limit
// ErrBodyTooLarge, a member named twice at any depth (ignoring case)
// ErrDuplicateJSONKey, a member that names a field in another case
// ("Email" for "email", which encoding/json would take) ErrJSONKeyCase.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrBodyTooLarge
		}
		return ErrInvalidBody
	}
	trimmed := strings.TrimLeft(string(body), " \t\r\n")
	if !strings.HasPrefix(trimmed, "{") {
		return ErrInvalidBody
	}
	if err := json.Unmarshal(body, v); err != nil {
		return ErrInvalidBody
	}
	switch err := strictjson.Check(body, v); {
	case errors.Is(err, strictjson.ErrDuplicateKey):
		return ErrDuplicateJSONKey
	case errors.Is(err, strictjson.ErrKeyCase):
		return ErrJSONKeyCase
	case err != nil:
		return ErrInvalidBody
	}
	return nil
}

// parseForm parses a form body: a body over the limit is
// ErrBodyTooLarge, a malformed one ErrInvalidBody.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrBodyTooLarge
		}
		return ErrInvalidBody
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	httpauth.WriteJSON(w, status, v)
}

// userJSON is a user as the API shows it.
type userJSON struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	EmailVerified bool       `json:"emailVerified"`
	Name          string     `json:"name,omitempty"`
	CreatedAt     *time.Time `json:"createdAt,omitempty"`
}

// sessionJSON is a session as the API shows it: its handle (sessionHandle,
// never its stored id, which is the token itself under the lucia2 profile)
// and expiries, never its token.
type sessionJSON struct {
	ID            string    `json:"id"`
	ActiveExpires time.Time `json:"activeExpires"`
	IdleExpires   time.Time `json:"idleExpires"`
	Fresh         bool      `json:"fresh"`
	// AAL is the assurance level the session was made with (2: with a
	// second factor), AMR how (RFC 8176 values; "fed" for OAuth).
	AAL int      `json:"aal"`
	AMR []string `json:"amr"`
	// Current marks the session of the request, in lists.
	Current *bool `json:"current,omitempty"`
}

// authJSON answers a sign-in. Token is the session token, sent only to
// clients that are not browsers (no Origin header): they use it as a
// bearer token. Browsers get the HttpOnly cookie alone, so a script on the
// page can never read the token.
type authJSON struct {
	User    userJSON    `json:"user"`
	Session sessionJSON `json:"session"`
	Token   string      `json:"token,omitempty"`
}

func toUserJSON(u latch.User) userJSON {
	out := userJSON{
		ID: u.ID, Email: u.Attributes.String(attrEmail),
		EmailVerified: u.Attributes.Bool(attrEmailVerified), Name: u.Attributes.String(attrName),
	}
	if t := u.Attributes.Time(attrCreatedAt); !t.IsZero() {
		out.CreatedAt = &t
	}
	return out
}

func toSessionJSON(s latch.Session) sessionJSON {
	amr := s.AMR
	if amr == nil {
		amr = []string{}
	}
	return sessionJSON{ID: sessionHandle(s.ID), ActiveExpires: s.ActiveExpires, IdleExpires: s.IdleExpires, Fresh: s.Fresh, AAL: max(s.AAL, 1), AMR: amr}
}

func authBody(r *http.Request, s latch.Session) authJSON {
	out := authJSON{User: toUserJSON(s.User), Session: toSessionJSON(s)}
	if r.Header.Get("Origin") == "" {
		out.Token = s.Token
	}
	return out
}

// The user attributes authapi reads and writes.
const (
	attrEmail         = "email"
	attrEmailVerified = "email_verified"
	attrName          = "name"
	attrCreatedAt     = "created_at"
)

// optionalAttributes returns attrs without those the user store has no
// column for (latch.Auth.KeepsUserAttribute): name and created_at are
// profile data a Lucia v2 user table may lack, and writing one there
// would fail the sign-up with a 500. New logs once which are left out.
func optionalAttributes(a *latch.Auth, attrs latch.Attributes) latch.Attributes {
	maps.DeleteFunc(attrs, func(k string, _ any) bool { return !a.KeepsUserAttribute(k) })
	return attrs
}

// emailProvider is the key provider of email-and-password keys.
const emailProvider = "email"
