package authapi

import (
	"net/http"
	"strings"

	"github.com/latchauth/latch/httpauth"
)

// With Config.RequireSecondFactor (latchd --require-2fa), every session
// must have been made with a second factor. A user without one still
// signs in (there is no other way to enrol), but the session (AAL 1) is
// good only for enrolment: the paths below. Everything else answers 403
// TWO_FACTOR_ENROLMENT_REQUIRED (a page: a redirect to /account, which
// says so). Once a factor is added the user signs in again, now through
// the second step, and gets an AAL 2 session. The rule is the session's
// level, not whether the user has a factor, so a session made before
// the factor was added is limited alike.

// enrolmentPaths are served to an AAL 1 session under
// RequireSecondFactor: exact paths, and prefixes ending in "/".
var enrolmentPaths = []string{
	"/", "/account", "/sign-in", "/sign-out", "/two-factor", "/static/", "/dev/outbox",
	"/account/two-factor", "/account/two-factor/", "/account/passkeys", "/account/passkeys/",
	"/api/auth/session", "/api/auth/sign-in", "/api/auth/sign-out", "/api/auth/client.js",
	"/api/auth/step-up", "/api/auth/step-up/", "/api/auth/two-factor/", "/api/auth/passkey/register/",
	"/api/dev/outbox", "/api/auth/dev/outbox",
}

func enrolmentPath(p string) bool {
	for _, e := range enrolmentPaths {
		if p == e || (strings.HasSuffix(e, "/") && e != "/" && strings.HasPrefix(p, e)) {
			return true
		}
	}
	return false
}

// requireFactor limits AAL 1 sessions to enrolment when
// Config.RequireSecondFactor is set.
func (h *Handler) requireFactor(next http.Handler) http.Handler {
	if !h.require2FA {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := httpauth.FromContext(r.Context())
		if !ok || s.AAL >= 2 || enrolmentPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasPrefix(r.URL.Path, "/api/") || h.noPage {
			h.writeError(w, r, ErrEnrolmentRequired)
			return
		}
		if safeMethod(r.Method) {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return
		}
		h.renderError(w, r, ErrEnrolmentRequired)
	})
}
