package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/password/pwned"
)

// options are latchd's settings. Each has a flag and an environment twin
// (LATCH_ + the flag's name in upper case with '_' for '-'); a flag given
// on the command line wins over the environment, which wins over the
// default.
type options struct {
	addr            string
	databaseURL     string
	redisURL        string
	redisPrefix     string
	smtpURL         string
	mailFrom        string
	appName         string
	baseURL         string
	env             string
	schema          string
	migrate         string
	allowedOrigins  string
	corsOrigins     string
	webauthnRPID    string
	webauthnOrigins string
	trustProxy      bool
	trustedProxies  string
	maxHashes       int
	hashWait        time.Duration
	logFormat       string
	logLevel        string
	shutdownTimeout time.Duration
	purgeInterval   time.Duration
	pwnedURL        string
	sessionMaxLife  time.Duration
	debugAddr       string
	mailRetry       time.Duration
	mailLease       time.Duration
	mailTimeout     time.Duration
	metricsAddr     string
	mailMaxAttempts int
	cookieName      string
	cookieDomain    string
	cookiePath      string
	cookieSameSite  string
	ottNoCookie     bool
	ottHeader       bool
	geoipDB         string
	adminAddr       string
	adminToken      string
	adminTokenFile  string
	adminRemote     bool
	require2FA      bool
	secretKey       string
	secretKeyFile   string
	webhookURLs     []string
	webhookSecrets  []string
	webhookEvents   string
	webhooksFile    string
	// getenv reads the settings that have no flag (the OAuth providers).
	getenv func(string) string
}

// setting describes one option for the flag set and for --help.
type setting struct {
	name, usage string
	str         *string
	dur         *time.Duration
	boolean     *bool
	num         *int
	list        *[]string // repeatable; its environment twin is comma-separated
	def         string
}

func (o *options) settings() []setting {
	return []setting{
		{name: "addr", usage: "address to listen on (default 127.0.0.1:8080 in dev, :8080 in prod)", str: &o.addr},
		{name: "database-url", usage: "users, keys, sessions and tokens: sqlite:PATH, postgres://…, mysql://…", str: &o.databaseURL, def: "sqlite:./latch.db"},
		{name: "redis-url", usage: "keep sessions, tokens and throttling in Redis (redis://…); users and keys stay in the database", str: &o.redisURL},
		{name: "redis-prefix", usage: "prefix of every Redis key latchd writes", str: &o.redisPrefix, def: "latch:"},
		{name: "smtp-url", usage: "send mail by SMTP (smtp://user:pass@host:587, smtps://…); unset: the dev outbox", str: &o.smtpURL},
		{name: "mail-from", usage: "From address of the mail sent", str: &o.mailFrom, def: "Latch <no-reply@localhost>"},
		{name: "app-name", usage: "name of the service in mail", str: &o.appName, def: "Latch"},
		{name: "base-url", usage: "public URL of this server, for links in mail (default http://localhost:PORT)", str: &o.baseURL},
		{name: "env", usage: "dev (cookies without Secure, dev outbox) or prod", str: &o.env, def: "dev"},
		{name: "schema", usage: "schema profile: empty for Latch's own, lucia2 for an existing Lucia v2 database", str: &o.schema},
		{name: "migrate", usage: "apply migrations on start: auto (SQLite only), true or false", str: &o.migrate, def: "auto"},
		{name: "allowed-origins", usage: "comma-separated origins besides this server's that may post with a session cookie", str: &o.allowedOrigins},
		{name: "cors-origins", usage: "comma-separated origins whose pages may call /api/auth from the browser with the session cookie (CORS with credentials; also trusted as --allowed-origins): exact origins, https (http only for loopback in dev), no wildcards", str: &o.corsOrigins},
		{name: "webauthn-rp-id", usage: "the passkeys' relying-party id: a domain, the base URL's host or a parent of it (default the base URL's host; passkeys are off when that is an IP address)", str: &o.webauthnRPID},
		{name: "webauthn-origins", usage: "comma-separated origins besides the base URL's whose pages may use the passkeys", str: &o.webauthnOrigins},
		{name: "trusted-proxies", usage: "comma-separated CIDRs of the reverse proxies in front of latchd: only their X-Forwarded-For (client IP: the rightmost address outside these), X-Forwarded-Host and X-Forwarded-Proto count", str: &o.trustedProxies},
		{name: "trust-proxy", usage: "deprecated: --trusted-proxies 127.0.0.0/8,::1 (a proxy on this machine)", boolean: &o.trustProxy, def: "false"},
		{name: "max-concurrent-hashes", usage: "password hashes and checks run at once (each Argon2id takes 19 MiB); 0: twice the CPUs", num: &o.maxHashes, def: "0"},
		{name: "hash-wait", usage: "how long a request waits for a hashing slot before 503 SERVER_BUSY", dur: &o.hashWait, def: "10s"},
		{name: "log-format", usage: "text or json", str: &o.logFormat, def: "text"},
		{name: "log-level", usage: "debug, info, warn or error", str: &o.logLevel, def: "info"},
		{name: "shutdown-timeout", usage: "how long in-flight requests may run on after SIGTERM", dur: &o.shutdownTimeout, def: "30s"},
		{name: "pwned-url", usage: "refuse new passwords found in data breaches, asking this Pwned Passwords range API (only 5 hex characters of the SHA-1 leave); auto: " + pwned.DefaultURL + " in prod, off in dev; off: no check", str: &o.pwnedURL, def: "auto"},
		{name: "session-max-lifetime", usage: "absolute session timeout: a session ends this long after sign-in however much it is used (0: never; with --schema lucia2 only if user_session has a latch_created_at column)", dur: &o.sessionMaxLife, def: "720h"},
		{name: "purge-interval", usage: "how often expired sessions and tokens are deleted (0: never)", dur: &o.purgeInterval, def: "1h"},
		{name: "mail-retry", usage: "wait before the first retry of a mail (or webhook) that failed; it doubles with each try, up to an hour, with jitter", dur: &o.mailRetry, def: "10s"},
		{name: "mail-max-attempts", usage: "tries before a mail (or webhook) is kept as a dead letter in latch_outbox and logged", num: &o.mailMaxAttempts, def: "10"},
		{name: "mail-timeout", usage: "how long one attempt to send a mail (or call a webhook) may take", dur: &o.mailTimeout, def: "30s"},
		{name: "mail-lease", usage: "how long a mail being sent stays hidden from the other workers and instances (longer than --mail-timeout); after it, the mail of a killed instance is sent again", dur: &o.mailLease, def: "1m"},
		{name: "metrics-addr", usage: "serve Prometheus metrics at GET /metrics on this address (a bare :PORT listens on loopback); unset: off", str: &o.metricsAddr},
		{name: "cookie-name", usage: "session cookie name; auto: __Host-auth_session in prod without --cookie-domain, auth_session otherwise and always with --schema lucia2 (a Lucia app shares it); after a change of the auto name, sessions under the other name go on and move to the new one", str: &o.cookieName, def: "auto"},
		{name: "cookie-domain", usage: "Domain of the session cookie, such as example.com, so that app.example.com and auth.example.com share it; unset: this host only", str: &o.cookieDomain},
		{name: "cookie-path", usage: "Path of the session cookie", str: &o.cookiePath, def: "/"},
		{name: "cookie-same-site", usage: "SameSite of the session cookie: lax, strict or none (none needs --env prod, as browsers take it only with Secure)", str: &o.cookieSameSite, def: "lax"},
		{name: "ott-disable-set-session-cookie", usage: "POST /api/auth/one-time-token/verify answers the session and its token without setting a cookie (better-auth disableSetSessionCookie)", boolean: &o.ottNoCookie, def: "false"},
		{name: "ott-set-header-on-new-session", usage: "every response that creates a session carries a set-ott header with a fresh one-time token for it (better-auth setOttHeaderOnNewSession)", boolean: &o.ottHeader, def: "false"},
		{name: "require-2fa", usage: "every user must have a second factor: a session made without one (AAL 1) serves only enrolment (the account page, step-up, adding a factor) and every other request gets 403 TWO_FACTOR_ENROLMENT_REQUIRED; once a factor is added, the user signs in again with it; with --schema lucia2 only if user_session has an amr column", boolean: &o.require2FA, def: "false"},
		{name: "geoip-db", usage: "a MaxMind-format city or country database (.mmdb, e.g. GeoLite2-City): the account page shows where each session signed in from; unset: addresses only", str: &o.geoipDB},
		{name: "admin-addr", usage: "serve the admin API (/api/admin/…, bearer token only) on this address (a bare :PORT listens on loopback; another host needs --admin-allow-remote); unset: off", str: &o.adminAddr},
		{name: "admin-token", usage: "the admin API's bearer token: at least 32 random bytes (43 characters), e.g. from `openssl rand -base64 32`; prefer --admin-token-file", str: &o.adminToken},
		{name: "admin-token-file", usage: "file holding the admin API's bearer token (its first line)", str: &o.adminTokenFile},
		{name: "admin-allow-remote", usage: "let --admin-addr listen on a non-loopback address (put TLS in front of it)", boolean: &o.adminRemote, def: "false"},
		{name: "secret-key", usage: "the key that encrypts second-factor (TOTP) secrets at rest: comma-separated id:base64 entries of 32 bytes, the current key first, older ones kept to read what they sealed (make one with latchd keys generate); required in prod; in dev, unset: a key kept in a file beside the SQLite database", str: &o.secretKey},
		{name: "secret-key-file", usage: "read --secret-key from this file", str: &o.secretKeyFile},
		{name: "webhook-url", usage: "send events to this URL, signed as Standard Webhooks says (repeatable; https, or http to loopback; in dev http anywhere)", list: &o.webhookURLs},
		{name: "webhook-secret", usage: "secret that signs the webhooks, whsec_ and base64 (latchd webhook secret makes one); give two during a rotation, both sign (repeatable; never logged)", list: &o.webhookSecrets},
		{name: "webhook-events", usage: "comma-separated event types sent to the webhooks, \"user.*\" for a prefix; unset: all", str: &o.webhookEvents},
		{name: "webhooks-file", usage: "a JSON list of webhook endpoints, each with its own secrets and events: [{\"url\":\"https://…\",\"secrets\":[\"whsec_…\"],\"events\":[\"user.*\"]}] (keep it readable by latchd only); added to --webhook-url", str: &o.webhooksFile},
		{name: "debug-addr", usage: "serve GET /debug/vars (goroutines and memory statistics as JSON, ?gc=1 to collect first) on this loopback address, such as 127.0.0.1:6060; unset: off", str: &o.debugAddr},
	}
}

// envName is the environment twin of a flag.
func envName(flagName string) string {
	return "LATCH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a flag set with every option, defaults taken from the
// environment. Extra flags of a subcommand are added by the caller.
func newFlagSet(name string, o *options, getenv func(string) string, out io.Writer) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	o.getenv = getenv
	for _, s := range o.settings() {
		def := s.def
		if v := getenv(envName(s.name)); v != "" {
			def = v
		}
		usage := fmt.Sprintf("%s (env %s)", s.usage, envName(s.name))
		switch {
		case s.list != nil:
			// The environment's values are the default; flags replace them.
			*s.list = splitList(def)
			fromEnv := true
			fs.Func(s.name, usage, func(v string) error {
				if fromEnv {
					*s.list, fromEnv = nil, false
				}
				*s.list = append(*s.list, v)
				return nil
			})
		case s.str != nil:
			fs.StringVar(s.str, s.name, def, usage)
		case s.dur != nil:
			d, err := time.ParseDuration(def)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: %v", envName(s.name), def, err)
			}
			fs.DurationVar(s.dur, s.name, d, usage)
		case s.num != nil:
			n, err := strconv.Atoi(def)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want a whole number", envName(s.name), def)
			}
			fs.IntVar(s.num, s.name, n, usage)
		case s.boolean != nil:
			b, err := strconv.ParseBool(def)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want true or false", envName(s.name), def)
			}
			fs.BoolVar(s.boolean, s.name, b, usage)
		case s.num != nil:
			n, err := strconv.Atoi(def)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want a whole number", envName(s.name), def)
			}
			fs.IntVar(s.num, s.name, n, usage)
		}
	}
	return fs, nil
}

// migrateOnStart decides the --migrate setting for the database.
func (o *options) migrateOnStart(isSQLite bool) (bool, error) {
	if o.migrate == "auto" {
		return isSQLite, nil
	}
	b, err := strconv.ParseBool(o.migrate)
	if err != nil {
		return false, fmt.Errorf("--migrate %q: want auto, true or false", o.migrate)
	}
	return b, nil
}

func (o *options) validate() error {
	switch o.env {
	case "dev", "prod":
	default:
		return fmt.Errorf("--env %q: want dev or prod", o.env)
	}
	switch o.schema {
	case "", "lucia2":
	default:
		return fmt.Errorf("--schema %q: want empty or lucia2", o.schema)
	}
	switch o.logFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format %q: want text or json", o.logFormat)
	}
	if o.env == "prod" && o.smtpURL == "" {
		return fmt.Errorf("--env prod needs --smtp-url (LATCH_SMTP_URL): the dev outbox is for dev only")
	}
	if _, err := o.breachChecker(); err != nil {
		return err
	}
	for _, c := range splitList(o.corsOrigins) {
		if err := httpauth.CheckCORSOrigin(c, o.env == "dev"); err != nil {
			return fmt.Errorf("--cors-origins: %q: %v", c, err)
		}
	}
	if _, err := o.cookieOptions(); err != nil {
		return err
	}
	if o.debugAddr != "" {
		if err := checkDebugAddr(o.debugAddr); err != nil {
			return err
		}
	}
	if _, err := o.proxies(); err != nil {
		return err
	}
	if err := o.checkAdmin(); err != nil {
		return err
	}
	if o.maxHashes < 0 || o.hashWait < 0 {
		return fmt.Errorf("--max-concurrent-hashes and --hash-wait must not be negative")
	}
	if o.metricsAddr != "" {
		if _, err := metricsAddr(o.metricsAddr); err != nil {
			return err
		}
	}
	if o.mailRetry <= 0 || o.mailMaxAttempts < 1 || o.mailTimeout <= 0 || o.mailLease <= o.mailTimeout {
		return fmt.Errorf("--mail-retry and --mail-timeout must be positive, --mail-max-attempts at least 1 and --mail-lease longer than --mail-timeout")
	}
	if _, err := o.webhookDispatcher(nil); err != nil {
		return err
	}
	if o.shutdownTimeout < 0 || o.purgeInterval < 0 || o.sessionMaxLife < 0 {
		return fmt.Errorf("--shutdown-timeout, --purge-interval and --session-max-lifetime must not be negative")
	}
	return nil
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// breachChecker is the --pwned-url setting's checker, nil when off.
func (o *options) breachChecker() (*pwned.Checker, error) {
	u := o.pwnedURL
	if u == "auto" {
		u = "off"
		if o.env == "prod" {
			u = pwned.DefaultURL
		}
	}
	if u == "off" || u == "" {
		return nil, nil
	}
	c, err := pwned.New(u, pwned.Options{UserAgent: "latchd"})
	if err != nil {
		return nil, fmt.Errorf("--pwned-url: %w", err)
	}
	return c, nil
}

// proxies is the --trusted-proxies setting; --trust-proxy, deprecated,
// adds loopback (a proxy on the same machine), the only proxy it could
// safely have meant.
func (o *options) proxies() (httpauth.TrustedProxies, error) {
	p, err := httpauth.ParseTrustedProxies(o.trustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if o.trustProxy {
		p = append(p, httpauth.LoopbackProxies...)
	}
	return p, nil
}

// listenAddr is --addr, or its default: loopback only in dev, so that the
// dev outbox (which holds sign-in links) is not on the network.
func (o *options) listenAddr() string {
	switch {
	case o.addr != "":
		return o.addr
	case o.env == "dev":
		return "127.0.0.1:8080"
	}
	return ":8080"
}

// cookieOptions are the session cookie's httpauth options from the
// --cookie-* settings. The checks that need the Auth (Secure) are
// httpauth.New's; the ones here give the flags' names.
func (o *options) cookieOptions() (httpauth.Options, error) {
	var opts httpauth.Options
	// Empty settings (options built in code, not by the flag set) are the
	// flags' defaults.
	switch strings.ToLower(o.cookieSameSite) {
	case "lax", "":
		opts.SameSite = http.SameSiteLaxMode
	case "strict":
		opts.SameSite = http.SameSiteStrictMode
	case "none":
		if o.env != "prod" {
			return opts, fmt.Errorf("--cookie-same-site none needs --env prod: browsers accept a SameSite=None cookie only with Secure, which dev leaves off")
		}
		opts.SameSite = http.SameSiteNoneMode
	default:
		return opts, fmt.Errorf("--cookie-same-site %q: want lax, strict or none", o.cookieSameSite)
	}
	opts.CookiePath = o.cookiePath
	if opts.CookiePath == "" {
		opts.CookiePath = "/"
	}
	if !strings.HasPrefix(opts.CookiePath, "/") {
		return opts, fmt.Errorf("--cookie-path %q: want a path starting with /", o.cookiePath)
	}
	opts.CookieDomain = strings.TrimSpace(o.cookieDomain)
	if strings.Contains(opts.CookieDomain, "://") || strings.ContainsAny(opts.CookieDomain, "/:") {
		return opts, fmt.Errorf("--cookie-domain %q: want a domain such as example.com, no scheme, port or path", o.cookieDomain)
	}
	const hostName = "__Host-" + httpauth.DefaultCookieName
	name := o.cookieName
	if name == "" {
		name = "auto"
	}
	switch {
	case name == "auto" && o.schema == "lucia2":
		opts.CookieName = httpauth.DefaultCookieName
	case name == "auto" && o.env == "prod" && opts.CookieDomain == "" && opts.CookiePath == "/":
		// __Host-: no subdomain (or a page served over http) can set or
		// shadow it. Sessions from before the change keep working.
		opts.CookieName = hostName
		opts.PreviousCookieNames = []string{httpauth.DefaultCookieName}
	case name == "auto" && o.env == "prod":
		opts.CookieName = httpauth.DefaultCookieName
		opts.PreviousCookieNames = []string{hostName}
	case name == "auto":
		opts.CookieName = httpauth.DefaultCookieName
	case strings.HasPrefix(name, "__Host-") && o.schema == "lucia2":
		return opts, fmt.Errorf("--cookie-name %q: not with --schema lucia2, where the Lucia app reads the session cookie under its own name (auth_session)", name)
	case strings.HasPrefix(name, "__Host-") && (o.env != "prod" || opts.CookieDomain != "" || opts.CookiePath != "/"):
		return opts, fmt.Errorf("--cookie-name %q: a __Host- cookie needs --env prod (Secure), no --cookie-domain and --cookie-path /", name)
	case strings.HasPrefix(name, "__Secure-") && o.env != "prod":
		return opts, fmt.Errorf("--cookie-name %q: a __Secure- cookie needs --env prod (Secure)", name)
	default:
		opts.CookieName = name
	}
	if (&http.Cookie{Name: opts.CookieName, Value: "x", Domain: opts.CookieDomain}).Valid() != nil {
		return opts, fmt.Errorf("--cookie-name %q or --cookie-domain %q is not valid in a cookie", o.cookieName, o.cookieDomain)
	}
	return opts, nil
}
