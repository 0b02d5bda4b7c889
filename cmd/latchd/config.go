package main

import (
	"flag"
	"fmt"
	"io"
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
	geoipDB         string
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
		{name: "geoip-db", usage: "a MaxMind-format city or country database (.mmdb, e.g. GeoLite2-City): the account page shows where each session signed in from; unset: addresses only", str: &o.geoipDB},
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
	if o.debugAddr != "" {
		if err := checkDebugAddr(o.debugAddr); err != nil {
			return err
		}
	}
	if _, err := o.proxies(); err != nil {
		return err
	}
	if o.maxHashes < 0 || o.hashWait < 0 {
		return fmt.Errorf("--max-concurrent-hashes and --hash-wait must not be negative")
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
