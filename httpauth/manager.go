package httpauth

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/reqid"
)

// DefaultCookieName is the session cookie's name when Options.CookieName
// is empty, as in Lucia v2.
const DefaultCookieName = "auth_session"

// persistentCookieAge is the cookie lifetime when Options.SessionCookieExpires
// is false: the session, not the cookie, decides when it ends.
const persistentCookieAge = 365 * 24 * time.Hour

// Options configure a Manager. Every field has a useful zero value.
type Options struct {
	// CookieName names the session cookie. Default "auth_session".
	CookieName string
	// CookieDomain is the cookie's Domain attribute; empty (the default)
	// makes a host-only cookie. Set it ("example.com") to share the session
	// with subdomains (app.example.com and auth.example.com); every
	// subdomain then receives the cookie, so trust them all.
	CookieDomain string
	// CookiePath is the cookie's Path attribute. Default "/". A cookie
	// named "__Host-…" must have Path "/".
	CookiePath string
	// SameSite is the cookie's SameSite attribute: http.SameSiteLaxMode
	// (the default, also for the zero value), http.SameSiteStrictMode or
	// http.SameSiteNoneMode. None sends the cookie on cross-site requests
	// too; browsers accept it only with Secure, so New refuses None
	// without Secure.
	SameSite http.SameSite
	// PreviousCookieNames are names the session cookie had before, such as
	// "auth_session" after a move to "__Host-auth_session". A request
	// without a cookie named CookieName is read under these names (in
	// order); a live session found so is set again under CookieName and
	// the old cookie cleared, so that nobody is signed out by the rename.
	PreviousCookieNames []string
	// Secure sets the cookie's Secure attribute. Default: true, except when
	// the Auth's Env is latch.EnvDev, so that http://localhost works.
	Secure *bool
	// SessionCookieExpires, true by default, makes the cookie expire with
	// the session's idle period. False gives the cookie a lifetime of one
	// year (Lucia's sessionCookie.expires: false); the session still ends
	// when the store says so.
	SessionCookieExpires *bool

	// AllowedOrigins are origins besides the request's own host that may
	// send cookie-carrying requests which change state, exactly as a
	// browser sends them: "https://app.example.com" (scheme, host and
	// port if not the default).
	AllowedOrigins []string
	// AllowedSubdomains are subdomains of the request's host allowed the
	// same: "api" allows api.<host>; "*" allows any subdomain, as Lucia
	// v2's allowedSubDomains. Unlike Lucia, they extend the request's
	// host, not a guessed base domain (which for example.co.uk would be
	// co.uk). A sibling such as app.example.com for auth.example.com goes
	// in AllowedOrigins.
	AllowedSubdomains []string
	// CORSOrigins are origins whose pages may call the JSON API from the
	// browser with the session cookie (authapi answers them with CORS
	// headers, credentials allowed); each is also trusted like an
	// AllowedOrigin. Exact origins only, as browsers send them: https, or
	// http on a loopback host (localhost, *.localhost, 127.0.0.0/8, [::1])
	// when the Auth's Env is dev; never "null" and never a wildcard, so
	// that a forgotten or taken-over subdomain cannot read sessions.
	CORSOrigins []string
	// TrustForwardedHost compares Origin with the first X-Forwarded-Host
	// instead of Host, and the scheme with X-Forwarded-Proto. Set it only
	// behind a proxy that sets those headers; with TrustedProxies, they
	// are read only from requests that come from one.
	TrustForwardedHost bool
	// BaseURL, when set, is the server's own origin for the Origin check:
	// a request's Origin must match its scheme, host and port (or be
	// allowed above), whatever Host says. authapi sets it to its BaseURL.
	// Unset, the own origin is the request's: its Host, and https when it
	// came over TLS (or a trusted proxy says so).
	BaseURL string
	// TrustedProxies are the only peers whose X-Forwarded-* headers are
	// read (see TrustForwardedHost).
	TrustedProxies TrustedProxies
	// DisableCSRF turns the Origin check off, in the middleware and in
	// CheckOrigin. Leave it on unless something else protects against
	// cross-site requests.
	DisableCSRF bool

	// Logger receives session store failures (answered 503). Default
	// slog.Default().
	Logger *slog.Logger
}

// Manager reads and writes session cookies and bearer tokens for an Auth.
// It is safe for concurrent use.
type Manager struct {
	auth         *latch.Auth
	cookieName   string
	cookieDomain string
	cookiePath   string
	sameSite     http.SameSite
	previous     []string // earlier cookie names, read and then replaced
	secure       bool
	expires      bool

	origins            map[string]bool // "scheme://host[:port]", lower case
	cors               map[string]bool // the CORSOrigins, as origins are
	anySubdomain       bool
	subdomains         []string // lower case, without the host
	trustForwardedHost bool
	baseOrigin         string // "scheme://host[:port]" of Options.BaseURL, lower case
	proxies            TrustedProxies
	disableCSRF        bool
	log                *slog.Logger
}

// New validates opts, fills in defaults and returns a Manager for auth.
func New(auth *latch.Auth, opts Options) (*Manager, error) {
	if auth == nil {
		return nil, errors.New("httpauth: New: auth is nil")
	}
	m := &Manager{
		auth:               auth,
		cookieName:         opts.CookieName,
		cookieDomain:       opts.CookieDomain,
		cookiePath:         opts.CookiePath,
		sameSite:           opts.SameSite,
		secure:             auth.Env() != latch.EnvDev,
		expires:            true,
		origins:            map[string]bool{},
		cors:               map[string]bool{},
		trustForwardedHost: opts.TrustForwardedHost,
		proxies:            opts.TrustedProxies,
		disableCSRF:        opts.DisableCSRF,
		log:                opts.Logger,
	}
	if m.cookieName == "" {
		m.cookieName = DefaultCookieName
	}
	if m.cookiePath == "" {
		m.cookiePath = "/"
	}
	if m.sameSite == 0 {
		m.sameSite = http.SameSiteLaxMode
	}
	if opts.Secure != nil {
		m.secure = *opts.Secure
	}
	if opts.SessionCookieExpires != nil {
		m.expires = *opts.SessionCookieExpires
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.log = reqid.Logger(m.log) // with authapi's request id, when there is one
	c := m.baseCookie()
	c.Domain = ""
	if err := c.Valid(); err != nil {
		return nil, fmt.Errorf("httpauth: Options.CookieName %q: %w", m.cookieName, err)
	}
	if err := m.baseCookie().Valid(); err != nil {
		return nil, fmt.Errorf("httpauth: Options.CookieDomain %q: %w", m.cookieDomain, err)
	}
	if !strings.HasPrefix(m.cookiePath, "/") || strings.ContainsAny(m.cookiePath, ";\x00\r\n") {
		return nil, fmt.Errorf("httpauth: Options.CookiePath %q: want a path starting with \"/\"", m.cookiePath)
	}
	switch m.sameSite {
	case http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if !m.secure {
			return nil, errors.New("httpauth: Options.SameSite None needs Secure: browsers refuse a SameSite=None cookie without it (in dev, set Options.Secure and serve https, or keep Lax)")
		}
	default:
		return nil, fmt.Errorf("httpauth: Options.SameSite %d: want http.SameSiteLaxMode, SameSiteStrictMode or SameSiteNoneMode", m.sameSite)
	}
	if strings.HasPrefix(m.cookieName, "__Secure-") && !m.secure {
		return nil, fmt.Errorf("httpauth: Options.CookieName %q needs Secure", m.cookieName)
	}
	if strings.HasPrefix(m.cookieName, "__Host-") && (!m.secure || m.cookieDomain != "" || m.cookiePath != "/") {
		return nil, fmt.Errorf("httpauth: Options.CookieName %q needs Secure, no CookieDomain and CookiePath \"/\"", m.cookieName)
	}
	for _, name := range opts.PreviousCookieNames {
		if name == m.cookieName || (&http.Cookie{Name: name, Value: "x"}).Valid() != nil {
			return nil, fmt.Errorf("httpauth: Options.PreviousCookieNames: %q is not a cookie name other than CookieName", name)
		}
		m.previous = append(m.previous, name)
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("httpauth: Options.BaseURL %q: want an absolute http(s) URL", opts.BaseURL)
		}
		m.baseOrigin = originKey(u.Scheme, u.Host)
	}
	for _, o := range opts.AllowedOrigins {
		norm, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("httpauth: Options.AllowedOrigins: %q: %v", o, err)
		}
		m.origins[norm] = true
	}
	for _, o := range opts.CORSOrigins {
		norm, err := corsOrigin(o, auth.Env() == latch.EnvDev)
		if err != nil {
			return nil, fmt.Errorf("httpauth: Options.CORSOrigins: %q: %v", o, err)
		}
		m.cors[norm] = true
		m.origins[norm] = true
	}
	for _, s := range opts.AllowedSubdomains {
		if s == "*" {
			m.anySubdomain = true
			continue
		}
		if !validSubdomain(s) {
			return nil, fmt.Errorf("httpauth: Options.AllowedSubdomains: %q: want \"*\" or labels such as \"api\"", s)
		}
		m.subdomains = append(m.subdomains, strings.ToLower(s))
	}
	return m, nil
}

// normalizeOrigin checks that o is an origin (scheme://host[:port], no
// path) and returns it in lower case.
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return "", errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("want an http or https origin")
	case u.Host == "" || u.User != nil || u.Opaque != "":
		return "", errors.New("want scheme://host[:port]")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("an origin has no path or query")
	}
	return originKey(u.Scheme, u.Host), nil
}

// originKey is an origin as AllowedOrigins are compared: lower case,
// without a default port (browsers leave it out of Origin).
func originKey(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return scheme + "://" + host
}

func validSubdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// CookieName returns the session cookie's name.
func (m *Manager) CookieName() string { return m.cookieName }

func (m *Manager) baseCookie() *http.Cookie {
	return &http.Cookie{
		Name:     m.cookieName,
		Value:    "x", // Valid wants one; callers replace it
		Path:     m.cookiePath,
		Domain:   m.cookieDomain,
		Secure:   m.secure,
		HttpOnly: true,
		SameSite: m.sameSite,
	}
}

// SetSessionCookie sets the session cookie to s.Token (HttpOnly; SameSite,
// Path, Secure and Domain as configured), expiring with the
// session's idle period or in a year (Options.SessionCookieExpires). It
// replaces any session cookie already set on w. A session without a Token
// (one from a list) sets nothing.
func (m *Manager) SetSessionCookie(w http.ResponseWriter, s latch.Session) {
	if s.Token == "" {
		return
	}
	c := m.baseCookie()
	c.Value = s.Token
	now := m.auth.Now()
	switch {
	case !m.expires:
		c.Expires = now.Add(persistentCookieAge).UTC()
		c.MaxAge = int(persistentCookieAge / time.Second)
	case !s.IdleExpires.IsZero():
		left := s.IdleExpires.Sub(now)
		if left <= 0 { // dead already: do not keep it
			m.ClearSessionCookie(w)
			return
		}
		c.Expires = s.IdleExpires.UTC()
		c.MaxAge = int(math.Ceil(left.Seconds()))
	}
	m.setCookie(w, c)
}

// ClearSessionCookie tells the browser to delete the session cookie, and
// any cookie under Options.PreviousCookieNames, replacing any session
// cookie already set on w.
func (m *Manager) ClearSessionCookie(w http.ResponseWriter) {
	m.clearCookie(w, m.cookieName)
	for _, name := range m.previous {
		m.clearCookie(w, name)
	}
}

// clearCookie deletes the cookie of this name with the session cookie's
// path and domain.
func (m *Manager) clearCookie(w http.ResponseWriter, name string) {
	c := m.baseCookie()
	c.Name = name
	c.Value = ""
	c.MaxAge = -1 // Max-Age=0
	c.Expires = time.Unix(0, 0).UTC()
	if strings.HasPrefix(name, "__Host-") {
		c.Domain, c.Path = "", "/"
	}
	m.setCookie(w, c)
}

// setCookie adds c to w's header after removing an earlier Set-Cookie of
// the same name, so that a response never carries two answers (the
// middleware renews, then sign-out clears).
func (m *Manager) setCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	prefix := c.Name + "="
	var kept []string
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, prefix) {
			kept = append(kept, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range kept {
		h.Add("Set-Cookie", v)
	}
	if v := c.String(); v != "" {
		h.Add("Set-Cookie", v)
	}
}
