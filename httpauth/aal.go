package httpauth

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CodeAAL2Required is the error code of RequireAAL: the session was made
// without a second factor.
const CodeAAL2Required = "AAL2_REQUIRED"

// AALOptions configure RequireAAL.
type AALOptions struct {
	// SignInURL, when set, is where a browser asking for a page (GET or
	// HEAD with "text/html" in Accept) is redirected instead of the JSON
	// 403, with ?next= set to the page: "/sign-in". Signing in again
	// passes through the second factor.
	SignInURL string
}

// RequireAAL is Middleware that also requires the session to have been
// made at assurance level n or above (latch.Session.AAL: 2 when the user
// proved a second factor). Without a session it answers 401 UNAUTHORIZED,
// as Require does; with a session below n, 403 AAL2_REQUIRED (or the
// redirect of opts.SignInURL for a browser asking for a page).
//
// A session's level is fixed when it is made: a user who adds a factor
// later signs in again to get an AAL2 session.
func (m *Manager) RequireAAL(n int, opts AALOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return m.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := FromContext(r.Context())
			if s.AAL >= n {
				next.ServeHTTP(w, r)
				return
			}
			if opts.SignInURL != "" && safeMethod(r.Method) && strings.Contains(r.Header.Get("Accept"), "text/html") {
				http.Redirect(w, r, opts.SignInURL+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			WriteError(w, http.StatusForbidden, CodeAAL2Required, "this needs a session signed in with a second factor: sign in again with it")
		}))
	}
}

// RequireAAL2 is RequireAAL(2) with the JSON answer.
func (m *Manager) RequireAAL2(next http.Handler) http.Handler {
	return m.RequireAAL(2, AALOptions{})(next)
}

// CookieNameFor returns the name a helper cookie of this Manager gets:
// name with the "__Host-" prefix when the session cookie could carry it
// (Secure, no Domain, Path "/"), so that the helper cookie is bound to
// this host just as strictly.
func (m *Manager) CookieNameFor(name string) string {
	if m.secure && m.cookieDomain == "" {
		return "__Host-" + name
	}
	return name
}

// SetCookie sets a helper cookie beside the session cookie (a pending
// sign-in, for one): HttpOnly, Secure and SameSite as the session cookie,
// Path "/", no Domain, named by CookieNameFor, living maxAge.
func (m *Manager) SetCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := m.helperCookie(name)
	c.Value = value
	c.MaxAge = int(maxAge / time.Second)
	c.Expires = m.auth.Now().Add(maxAge).UTC()
	m.setCookie(w, c)
}

// Cookie returns the value of the helper cookie set by SetCookie, or "".
func (m *Manager) Cookie(r *http.Request, name string) string {
	c, err := r.Cookie(m.CookieNameFor(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// ClearCookie deletes the helper cookie set by SetCookie.
func (m *Manager) ClearCookie(w http.ResponseWriter, name string) {
	c := m.helperCookie(name)
	c.Value = ""
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0).UTC()
	m.setCookie(w, c)
}

func (m *Manager) helperCookie(name string) *http.Cookie {
	sameSite := m.sameSite
	if sameSite == http.SameSiteNoneMode {
		sameSite = http.SameSiteLaxMode // a helper cookie never goes cross-site
	}
	return &http.Cookie{Name: m.CookieNameFor(name), Path: "/", Secure: m.secure, HttpOnly: true, SameSite: sameSite}
}
