package authapi

import (
	_ "embed"
	"net/http"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
)

// The session attributes authapi keeps so that a person recognises their
// sessions on the account page: the browser's user agent and address at
// sign-in, when it signed in and when it was last used.
const (
	SessionUserAgentAttribute = "user_agent"
	SessionIPAttribute        = "ip"
	SessionSignedInAttribute  = "signed_in_at"
	SessionLastUsedAttribute  = "last_used_at"
)

// SessionDetails is the choice of Config.SessionDetails.
type SessionDetails int

// The values of Config.SessionDetails.
const (
	SessionDetailsDefault SessionDetails = iota // on, except in the lucia2 profile
	SessionDetailsOn
	SessionDetailsOff
)

// lastUsedEvery is how stale a session's last use may get before a request
// writes it again: a session used all day costs one write every few
// minutes, and validating it stays a read.
const lastUsedEvery = 5 * time.Minute

// maxUserAgent caps the user agent kept (headers can be long).
const maxUserAgent = 256

// sessionDetails are the attributes of a new session made for r, or nil
// when Config.SessionDetails is off.
func (h *Handler) sessionDetails(r *http.Request) latch.Attributes {
	if !h.details {
		return nil
	}
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	now := h.auth.Now()
	return latch.Attributes{
		SessionUserAgentAttribute: strings.ToValidUTF8(ua, ""),
		SessionIPAttribute:        h.clientIP(r),
		SessionSignedInAttribute:  now,
		SessionLastUsedAttribute:  now,
	}
}

// touch records the session's last use at most every lastUsedEvery.
func (h *Handler) touch(next http.Handler) http.Handler {
	if !h.details {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := httpauth.FromContext(r.Context()); ok {
			now := h.auth.Now()
			if last := s.Attributes.Time(SessionLastUsedAttribute); now.Sub(last) >= lastUsedEvery {
				// Best effort: a failed write costs only freshness.
				if err := h.auth.UpdateSessionAttributes(r.Context(), s.ID, latch.Attributes{SessionLastUsedAttribute: now}); err != nil {
					h.log.WarnContext(r.Context(), "recording session use failed", "err", err)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// DescribeUserAgent names the browser and the system of a user agent the
// way a person knows them, "Firefox on Linux"; "" when it says nothing
// recognisable. Order matters: Edge and Opera say Chrome too, Chrome says
// Safari, Android says Linux, iOS says Mac OS X.
func DescribeUserAgent(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Headless Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
		{"Version/", "Safari"}, // Safari says Version/x Safari/y
		{"curl/", "curl"}, {"Go-http-client/", "Go HTTP client"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	if browser == "Safari" && !strings.Contains(ua, "Safari/") {
		browser = ""
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"},
		{"CrOS", "ChromeOS"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"},
		{"Linux", "Linux"}, {"FreeBSD", "FreeBSD"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	}
	return ""
}

//go:embed static/local-time.js
var localTimeJS []byte

//go:embed static/forms.js
var formsJS []byte

// formsJS serves the script that marks and focuses the field in error and
// adds show-password buttons.
func (h *Handler) formsJS(w http.ResponseWriter, r *http.Request) {
	setRoute(r)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(formsJS)
}

// localTimeJS serves the script that shows times in the reader's zone.
func (h *Handler) localTimeJS(w http.ResponseWriter, r *http.Request) {
	setRoute(r)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(localTimeJS)
}

// describeSession fills in what a person recognises a session by.
func (h *Handler) describeSession(v *sessionView, s latch.Session) {
	v.Device = DescribeUserAgent(s.Attributes.String(SessionUserAgentAttribute))
	if v.Device == "" {
		v.Device = "Unknown browser"
	}
	if s.Attributes.String(SessionClientAttribute) == "cli" {
		v.Device = "Command-line app"
	}
	v.IP = s.Attributes.String(SessionIPAttribute)
	if v.IP != "" && h.locate != nil {
		v.Location = h.locate(v.IP)
	}
	if t := s.Attributes.Time(SessionSignedInAttribute); !t.IsZero() {
		t = t.UTC()
		v.SignedIn = &t
	}
	if t := s.Attributes.Time(SessionLastUsedAttribute); !t.IsZero() {
		t = t.UTC()
		v.LastUsed = &t
	}
}
