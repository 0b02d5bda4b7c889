package authapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/internal/reqid"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/throttle"
	"github.com/latchauth/latch/token"
)

// MaxBodyBytes is the largest request body accepted; a larger one is
// answered 413 BODY_TOO_LARGE.
const MaxBodyBytes = 64 << 10

// Config configures a Handler. Auth, BaseURL and Mailer (or Dev) are
// required; every other field has a default filled in by New.
type Config struct {
	// Auth is the core: users, keys and sessions.
	Auth *latch.Auth
	// Sessions reads and writes session cookies and bearer tokens and checks
	// Origin. Default: httpauth.New(Auth, httpauth.Options{BaseURL: BaseURL}).
	Sessions *httpauth.Manager

	// BaseURL is the absolute URL the handler is served at, without a
	// trailing slash (https://auth.example.com); links in mail start with it.
	BaseURL string
	// Mailer sends mail. When nil and Dev is set, an Outbox is used.
	Mailer mail.Mailer
	// MailTemplates renders the mails; its BaseURL defaults to BaseURL.
	MailTemplates mail.Templates
	// Outbox is listed at GET /api/dev/outbox and /dev/outbox when Dev is
	// set. When nil and Mailer is an *mail.Outbox, that one is listed.
	Outbox *mail.Outbox
	// Dev mounts the dev outbox. It has no other effect here: cookie
	// settings follow Auth's Env through Sessions.
	Dev bool

	// DisablePages serves the JSON API alone (every other path is a JSON
	// 404): for an app with its own pages that mounts the handler beside
	// them, mux.Handle("/api/auth/", h). The dev outbox is then at
	// GET /api/auth/dev/outbox (it is there with pages too).
	DisablePages bool
	// Links are where mailed links and the redirects after them go; the
	// defaults are authapi's pages. See Links.
	Links Links

	// SessionDetails says whether sessions keep the browser's user agent,
	// address, sign-in time and last use (written at most every 5 minutes),
	// shown on the account page, as session attributes (user_agent, ip,
	// signed_in_at, last_used_at). Default on in the default profile; off
	// in the lucia2 profile, whose session table keeps only the attribute
	// columns it has: add those columns and set SessionDetailsOn.
	SessionDetails SessionDetails
	// Locate, when set, names where an address is ("Berlin, Germany") for
	// the account page's sessions; "" when it cannot tell. latchd sets it
	// from --geoip-db with package authapi/geoip.
	Locate func(ip string) string

	// Logger receives one line per request (route pattern, status,
	// duration) and the errors behind 5xx answers; never a secret. Every
	// line of a request carries its request_id, which the answer sends as
	// X-Request-Id. Default: slog.Default().
	Logger *slog.Logger

	// ThrottleStore keeps the counts of the throttles below. Default: a
	// throttle.MemoryStore on Auth's clock, which is per process: several
	// instances of a service need one shared store (store/redis).
	ThrottleStore throttle.Store
	// EmailThrottle slows down failed sign-ins per email address: 5 free,
	// then 1 s doubling up to 15 minutes, remembered for a week from the
	// first failure of a run; after 100 failures password sign-in is locked
	// (429 PASSWORD_SIGN_IN_LOCKED) until a magic link or a password reset.
	// IPThrottle limits sign-in attempts per client IP: 50, then 1 s
	// doubling up to 15 minutes; a success gives its attempt back (many
	// people may share one address). Both count an attempt before the
	// password is checked, so parallel guesses get no more tries.
	// MailThrottle counts every request that sends mail (sign-up, password
	// reset, magic link, new code) per client IP and per user: 10 an hour
	// free, then 1 minute doubling up to an hour. Nil fields get these
	// defaults on ThrottleStore.
	EmailThrottle *throttle.Limiter
	IPThrottle    *throttle.Limiter
	MailThrottle  *throttle.Limiter

	// MaxConcurrentHashes bounds how many password hashes and
	// verifications (sign-up, sign-in, reset) run at once in this handler;
	// each Argon2id call holds 19 MiB. Requests beyond it wait, as long as
	// their context allows and at most HashWait, then get 503 SERVER_BUSY
	// with Retry-After. Defaults: 2 × GOMAXPROCS and 10 seconds.
	MaxConcurrentHashes int
	HashWait            time.Duration

	// The single-use tokens. Each default is created on Auth with the
	// token kind in parentheses; pass your own to change lifetimes or
	// lengths.
	VerificationCodes *token.PasswordTokens // ("email-verification"): 8 digits, 10 minutes (ASVS V2.7.2), 5 attempts
	VerificationLinks *token.IDTokens       // ("email-verification-link"): 24 hours
	PasswordResets    *token.PasswordResets // ("password-reset"): 1 hour, 3 per user in 15 minutes
	MagicLinks        *token.IDTokens       // ("magic-link"): 15 minutes
	OneTimeTokens     *token.OneTimeTokens  // ("one-time-token"): 3 minutes
	// CLICodes are the authorization codes of the sign-in of native and
	// command-line apps (GET /cli/authorize, POST /api/auth/cli/token).
	// Default "cli-authorization-code": 2 minutes.
	CLICodes *token.AuthorizationCodes
	// EmailChanges are the links that confirm a new address (POST
	// /api/auth/email). Default "email-change": 1 hour.
	EmailChanges *token.IDTokens
	// Keyring encrypts second-factor secrets (TOTP) at rest. latchd reads
	// it from LATCH_SECRET_KEY (see mfa.ParseKeyring).
	Keyring *mfa.Keyring
	// TOTPIssuer names the service in authenticator apps (the otpauth://
	// URI's issuer). Default: the host name of BaseURL.
	TOTPIssuer string
	// StepUpTokens are the one-shot action tokens of POST
	// /api/auth/step-up (kind "step-up", 5 minutes by default).
	StepUpTokens *token.IDTokens
	// PendingSignIns are the sign-ins waiting for a second factor (kind
	// "two-factor-pending", 5 minutes by default).
	PendingSignIns *token.IDTokens
	// StepUpCodes are the codes mailed for the "email-code" step-up
	// (POST /api/auth/step-up/email-code; kind "step-up-email-code": 6
	// digits, 10 minutes, 5 attempts by default).
	StepUpCodes *token.PasswordTokens
	// TwoFactorThrottle counts wrong second-factor proofs per user, in
	// the second step of sign-in and in step-up alike: 5 free, then 1 s
	// doubling up to 15 minutes, remembered a week, 100 lock the user's
	// codes; a success clears it. Default on ThrottleStore, so instances
	// sharing that store share the count.
	TwoFactorThrottle *throttle.Limiter
	// RequireSecondFactor makes a second factor mandatory: a session made
	// without one (AAL 1) serves only what enrolment needs (the account
	// page, step-up, adding a factor, the session, signing out); every
	// other request with it is answered 403 TWO_FACTOR_ENROLMENT_REQUIRED.
	// Once a factor is added, the user signs in again with it.
	RequireSecondFactor bool

	// WebAuthnRPID is the passkeys' relying-party id, a domain name that
	// is the base URL's host or a parent of it. Default: the base URL's
	// host; when that is an IP address (WebAuthn refuses them) and this is
	// unset, passkeys are off. WebAuthnOrigins are origins besides the base
	// URL's that may use the passkeys (https://app.example.com).
	WebAuthnRPID    string
	WebAuthnOrigins []string

	// DisableClientOneTimeTokens refuses GET /api/auth/one-time-token/generate
	// (403 FORBIDDEN): the server makes one-time tokens itself, with
	// OneTimeTokens.Generate, and the client only verifies them
	// (better-auth's disableClientRequest).
	DisableClientOneTimeTokens bool
	// OTTDisableSetSessionCookie makes POST /api/auth/one-time-token/verify
	// answer the session without setting the session cookie, for a client
	// that keeps the token itself (better-auth's disableSetSessionCookie):
	// the body then carries the session token even to a browser, since it
	// is the only place the client finds it.
	OTTDisableSetSessionCookie bool
	// SetOTTHeaderOnNewSession adds to every response that creates a
	// session (sign-up, sign-in, password reset, magic link, OAuth, CLI
	// token) a "set-ott" header (SetOTTHeader) with a fresh one-time token
	// for that session, so that a client can hand the session on at once
	// (better-auth's setOttHeaderOnNewSession). Each such token is single
	// use and short-lived like any other (OneTimeTokens).
	SetOTTHeaderOnNewSession bool

	// ClientIP returns the client address used for throttling. Default: the
	// host of Request.RemoteAddr. Behind a proxy, read its header here.
	ClientIP func(*http.Request) string

	// BreachedPasswords, when set, refuses at sign-up and password reset
	// the passwords found in data breaches (400 PASSWORD_BREACHED), as
	// NIST SP 800-63B §5.1.1.2 asks: a *pwned.Checker (package
	// password/pwned) or a list of your own. When the check itself fails
	// (the list cannot be reached), the password is accepted and the
	// failure logged: an outage of the list does not stop sign-ups.
	BreachedPasswords BreachChecker

	// OAuth, when set, offers sign-in with its providers: GET
	// /api/auth/oauth/{provider} and its callback, and a button per
	// provider on /sign-in. Its BaseURL should be this handler's.
	OAuth *oauth.Client

	// Queue keeps every mail (and every reset or magic-link request)
	// before the request answers, until a worker has delivered it:
	// nothing is dropped for being full, and with a durable queue (the SQL
	// stores' Outbox method) nothing is lost when the process dies.
	// Default: an outbox.MemoryQueue, which is not durable.
	Queue outbox.Queue
	// MailWorkers goroutines (default 4) deliver the queue, each attempt
	// bounded by MailTimeout (default 30 s). A failed attempt is retried
	// after MailBackoff (default 10 s), doubling up to an hour, with
	// jitter; after MailMaxAttempts tries (default 10) the mail is kept as
	// a dead letter and logged.
	MailWorkers     int
	MailTimeout     time.Duration
	MailBackoff     time.Duration
	MailMaxAttempts int
	// MailLease is how long a job claimed by a worker stays hidden from
	// the others; after it, the job of a worker that died is run again.
	// Default MailTimeout + 30 s.
	MailLease time.Duration
	// OnDelivery, when set, is called after each delivery attempt of the
	// queue, with the job's kind and outcome (for metrics).
	OnDelivery func(kind string, o outbox.Outcome)
	// OnRequest, when set, is called after each request with its route
	// pattern ("POST /api/auth/sign-in", or "(unmatched)"), status and
	// duration (for metrics).
	OnRequest func(route string, status int, d time.Duration)
	// JobHandlers adds the handlers of other job kinds to the queue's
	// workers: webhook.JobKind's, for one. The handler's own kinds cannot
	// be replaced.
	JobHandlers map[string]outbox.Handler
}

// Handler serves the JSON API under /api/auth, the dev outbox under
// /api/dev and /dev, and the HTML pages. Create it with New and stop it
// with Close, which waits for queued mail.
type Handler struct {
	auth     *latch.Auth
	sessions *httpauth.Manager
	baseURL  string
	mailer   mail.Mailer
	mails    mail.Templates
	outbox   *mail.Outbox
	log      *slog.Logger

	emailLimit *throttle.Limiter
	ipLimit    *throttle.Limiter
	mailLimit  *throttle.Limiter
	hashes     hashGate

	codes    *token.PasswordTokens
	links    *token.IDTokens
	resets   *token.PasswordResets
	magic    *token.IDTokens
	oneTime  *token.OneTimeTokens
	cliCodes *token.AuthorizationCodes
	emailChg *token.IDTokens
	stepUps  *token.IDTokens
	// stepUpMethods are the proofs POST /api/auth/step-up takes, by
	// method name (see registerStepUp).
	stepUpMethods map[string]stepUpMethod
	// factorKinds are the kinds of second factor, by name, registered in
	// factorOrder (see registerFactor).
	factorKinds map[string]secondFactor
	factorOrder []string
	// keyring seals factor secrets at rest (Config.Keyring).
	keyring    *mfa.Keyring
	totpIssuer string
	passkeys   passkeyState               // passkeys.go
	undos      map[string]*token.IDTokens // undo links by field (undo.go)
	// pending are the sign-ins waiting for a second factor; stepUpCodes
	// the mailed step-up codes (twofactor.go); factorLimit counts wrong
	// second-factor proofs per user, in sign-in and step-up alike (it is
	// counted by each kind's verify: totp.go).
	pending       *token.IDTokens
	stepUpCodes   *token.PasswordTokens
	factorLimit   *throttle.Limiter
	codeLimit     *throttle.Limiter // mailed step-up codes, per user
	throttleStore throttle.Store
	require2FA    bool // Config.RequireSecondFactor
	noClientOT    bool
	ottNoCookie   bool // Config.OTTDisableSetSessionCookie
	ottHeader     bool // Config.SetOTTHeaderOnNewSession
	clientIP      func(*http.Request) string
	oauth         *oauth.Client
	breached      BreachChecker

	queue     outbox.Queue
	runner    *outbox.Runner
	onRequest func(route string, status int, d time.Duration)
	pages     *pageSet
	noPage    bool
	linkTo    Links
	// details: sessions keep user agent, IP and times (Config.SessionDetails).
	details bool
	locate  func(ip string) string
	// oauthLanding is where an OAuth sign-in without a next lands:
	// Links.SignedIn when set, else the account page (or "/" without pages).
	oauthLanding string
	root         http.Handler

	client  cachedFile // GET /api/auth/client.js
	openAPI cachedFile // GET /api/auth/openapi.json

	// served lists the API routes the mux serves, pattern → methods, for
	// the OpenAPI document's completeness test.
	served map[string][]string
}

// New validates cfg, fills in its defaults and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Auth == nil {
		return nil, errors.New("authapi: Config.Auth is required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if cfg.BaseURL == "" || err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("authapi: Config.BaseURL %q: want an absolute http(s) URL", cfg.BaseURL)
	}
	h := &Handler{
		auth: cfg.Auth, sessions: cfg.Sessions, baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		mailer: cfg.Mailer, mails: cfg.MailTemplates, outbox: cfg.Outbox, log: cfg.Logger,
		emailLimit: cfg.EmailThrottle, ipLimit: cfg.IPThrottle, mailLimit: cfg.MailThrottle,
		codes: cfg.VerificationCodes, links: cfg.VerificationLinks, resets: cfg.PasswordResets,
		magic: cfg.MagicLinks, oneTime: cfg.OneTimeTokens, cliCodes: cfg.CLICodes, emailChg: cfg.EmailChanges, stepUps: cfg.StepUpTokens, keyring: cfg.Keyring, noClientOT: cfg.DisableClientOneTimeTokens,
		ottNoCookie: cfg.OTTDisableSetSessionCookie, ottHeader: cfg.SetOTTHeaderOnNewSession,
		clientIP: cfg.ClientIP, oauth: cfg.OAuth, breached: cfg.BreachedPasswords,
	}
	if h.mails.BaseURL == "" {
		h.mails.BaseURL = h.baseURL
	}
	h.noPage, h.linkTo, h.locate = cfg.DisablePages, cfg.Links, cfg.Locate
	switch cfg.SessionDetails {
	case SessionDetailsDefault:
		h.details = cfg.Auth.Profile() != latch.ProfileLucia2
	case SessionDetailsOn:
		h.details = true
	case SessionDetailsOff:
	default:
		return nil, fmt.Errorf("authapi: Config.SessionDetails %d: want SessionDetailsDefault, On or Off", cfg.SessionDetails)
	}
	h.oauthLanding = cfg.Links.SignedIn
	if h.oauthLanding == "" {
		h.oauthLanding = "/account"
		if h.noPage {
			h.oauthLanding = "/"
		}
	}
	if err := h.linkTo.fill(!h.noPage); err != nil {
		return nil, err
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = reqid.Logger(h.log) // every line of a request carries its id
	for _, name := range []string{attrName, attrCreatedAt} {
		if !cfg.Auth.KeepsUserAttribute(name) {
			h.log.Info("the user store has no column for the optional user attribute "+name+": new users are created without it", "attribute", name)
		}
	}
	if h.mailer == nil {
		if !cfg.Dev {
			return nil, errors.New("authapi: Config.Mailer is required outside dev")
		}
		if h.outbox == nil {
			h.outbox = mail.NewOutbox()
		}
		h.mailer = h.outbox
	}
	if h.outbox == nil {
		h.outbox, _ = h.mailer.(*mail.Outbox)
	}
	if !cfg.Dev {
		h.outbox = nil
	}
	if h.sessions == nil {
		if h.sessions, err = httpauth.New(cfg.Auth, httpauth.Options{BaseURL: h.baseURL}); err != nil {
			return nil, fmt.Errorf("authapi: Config.Sessions: %w", err)
		}
	}
	if err := h.defaultThrottles(cfg.ThrottleStore); err != nil {
		return nil, err
	}
	if err := h.defaultTokens(); err != nil {
		return nil, err
	}
	if err := h.initStepUp(); err != nil {
		return nil, err
	}
	if err := h.initTwoFactor(cfg); err != nil {
		return nil, err
	}
	if err := h.initTOTP(cfg.Dev, cfg.TOTPIssuer); err != nil {
		return nil, err
	}
	if err := h.initPasskeys(cfg); err != nil {
		return nil, err
	}
	if h.clientIP == nil {
		h.clientIP = remoteIP
	}
	if cfg.MaxConcurrentHashes < 0 || cfg.HashWait < 0 {
		return nil, errors.New("authapi: Config.MaxConcurrentHashes and HashWait must not be negative")
	}
	h.hashes = hashGate{
		slots: make(chan struct{}, orDefault(cfg.MaxConcurrentHashes, 2*runtime.GOMAXPROCS(0))),
		wait:  orDefault(cfg.HashWait, 10*time.Second),
	}
	if cfg.MailWorkers < 0 || cfg.MailTimeout < 0 || cfg.MailBackoff < 0 || cfg.MailMaxAttempts < 0 || cfg.MailLease < 0 {
		return nil, errors.New("authapi: Config.MailWorkers, MailTimeout, MailBackoff, MailMaxAttempts and MailLease must not be negative")
	}
	if h.pages, err = newPageSet(); err != nil {
		return nil, fmt.Errorf("authapi: %w", err)
	}
	if h.client, err = loadClientJS(); err != nil {
		return nil, fmt.Errorf("authapi: client.js: %w", err)
	}
	h.openAPI = newCachedFile(openAPIDoc)
	h.queue, h.onRequest = cfg.Queue, cfg.OnRequest
	if h.queue == nil {
		h.queue = outbox.NewMemoryQueue()
	}
	h.root = h.routes()
	handlers := h.jobHandlers()
	for kind, f := range cfg.JobHandlers {
		if _, taken := handlers[kind]; taken || f == nil {
			return nil, fmt.Errorf("authapi: Config.JobHandlers: kind %q is taken or its handler nil", kind)
		}
		handlers[kind] = f
	}
	h.runner = &outbox.Runner{
		Queue: h.queue, Handlers: handlers, Workers: cfg.MailWorkers,
		MaxAttempts: cfg.MailMaxAttempts, Backoff: cfg.MailBackoff, Timeout: cfg.MailTimeout, Lease: cfg.MailLease,
		Now: h.auth.Now, Logger: h.log, Observe: cfg.OnDelivery,
	}
	if err := h.runner.Start(); err != nil {
		return nil, fmt.Errorf("authapi: %w", err)
	}
	return h, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (h *Handler) defaultTokens() error {
	var err error
	if h.codes == nil {
		h.codes, err = token.NewPasswordTokens(h.auth, "email-verification", token.PasswordTokenOptions{
			ExpiresIn: 10 * time.Minute, Length: 8, MaxAttempts: 5,
		})
		if err != nil {
			return kindClash("VerificationCodes", err)
		}
	}
	if h.links == nil {
		h.links, err = token.NewIDTokens(h.auth, "email-verification-link", token.IDTokenOptions{ExpiresIn: 24 * time.Hour})
		if err != nil {
			return kindClash("VerificationLinks", err)
		}
	}
	if h.resets == nil {
		h.resets, err = token.NewPasswordResets(h.auth, token.PasswordResetOptions{ExpiresIn: time.Hour})
		if err != nil {
			return kindClash("PasswordResets", err)
		}
	}
	if h.magic == nil {
		h.magic, err = token.NewIDTokens(h.auth, "magic-link", token.IDTokenOptions{ExpiresIn: 15 * time.Minute})
		if err != nil {
			return kindClash("MagicLinks", err)
		}
	}
	if h.oneTime == nil {
		h.oneTime, err = token.NewOneTimeTokens(h.auth, "one-time-token", token.OneTimeTokenOptions{ExpiresIn: 3 * time.Minute})
		if err != nil {
			return kindClash("OneTimeTokens", err)
		}
	}
	if h.cliCodes == nil {
		h.cliCodes, err = token.NewAuthorizationCodes(h.auth, "cli-authorization-code", token.AuthorizationCodeOptions{})
		if err != nil {
			return kindClash("CLICodes", err)
		}
	}
	if h.emailChg == nil {
		h.emailChg, err = token.NewIDTokens(h.auth, "email-change", token.IDTokenOptions{ExpiresIn: time.Hour})
		if err != nil {
			return fmt.Errorf("authapi: email-change links: %w", err)
		}
	}
	return h.newUndoTokens()
}

// kindClash names the Config field to set when a default token handler
// cannot be made, most often because the Auth already has a handler of
// that kind (a second Handler on one Auth, or your own token.New...).
func kindClash(field string, err error) error {
	return fmt.Errorf("authapi: the default Config.%s: %w (pass the handler you already made in authapi.Config.%s, or use one Handler per Auth)", field, err, field)
}

// ServeHTTP serves the API and the pages.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// Close stops the outbox workers gracefully: they deliver what is due,
// then stop; Close waits for them or for ctx. What is left stays in a
// durable Queue for the next start. Call it after http.Server.Shutdown.
func (h *Handler) Close(ctx context.Context) error { return h.runner.Close(ctx) }

// NotifyQueue wakes the queue's workers to look for due jobs now: call it
// after queueing a job of Config.JobHandlers (after its transaction
// committed).
func (h *Handler) NotifyQueue() { h.runner.Notify() }

// Sessions returns the session manager the handler uses, for wrapping the
// application's own handlers with the same cookies.
func (h *Handler) Sessions() *httpauth.Manager { return h.sessions }

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// The per-address sign-in limit (NIST SP 800-63B §5.2.2: at most 100
// consecutive failures). Failures are remembered for a week from the first
// of a run (or until a success), so the back-off keeps growing while they
// go on: reaching 100 takes about 21 hours at its pace, and the 100th
// locks password sign-in until a magic link or a reset proves the mailbox.
const (
	signInLockAfter     = 100
	signInFailureMemory = 7 * 24 * time.Hour
)

// defaultThrottles fills in the throttles that Config leaves nil.
func (h *Handler) defaultThrottles(store throttle.Store) error {
	if store == nil {
		store = throttle.NewMemoryStore(h.auth.Now)
	}
	h.throttleStore = store
	for _, d := range []struct {
		l    **throttle.Limiter
		opts throttle.Options
	}{
		{&h.emailLimit, throttle.Options{Prefix: "signin:email:", Window: signInFailureMemory, LockAfter: signInLockAfter}},
		{&h.ipLimit, throttle.Options{Prefix: "signin:ip:", Free: 49}},
		{&h.mailLimit, throttle.Options{Prefix: "mail:", Free: 10, Base: time.Minute, Max: time.Hour, Window: time.Hour}},
		{&h.factorLimit, throttle.Options{Prefix: "2fa:", Window: factorMemory, LockAfter: factorLockAfter}},
	} {
		if *d.l != nil {
			continue
		}
		l, err := throttle.New(store, d.opts)
		if err != nil {
			return fmt.Errorf("authapi: throttle %s: %w", d.opts.Prefix, err)
		}
		*d.l = l
	}
	return nil
}
