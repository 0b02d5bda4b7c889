package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/admin"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/authapi/geoip"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/oauth"
	"github.com/latchauth/latch/throttle"
	"github.com/latchauth/latch/token"
	"github.com/latchauth/latch/webhook"
)

// serve runs the server until ctx ends (SIGTERM), then lets in-flight
// requests finish and queued mail go out.
func serve(ctx context.Context, o *options, log *slog.Logger, stdout io.Writer) error {
	providers, err := oauthProviders(o.getenv)
	if err != nil {
		return err
	}
	kr, err := o.keyring(log)
	if err != nil {
		return err
	}
	b, err := openBackend(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	if m, err := o.migrateOnStart(b.isSQLite); err != nil {
		return err
	} else if m {
		if err := b.migrate(ctx); err != nil {
			return fmt.Errorf("migrating: %w", err)
		}
	}
	ln, err := net.Listen("tcp", o.listenAddr())
	if err != nil {
		return err
	}
	base := o.baseURL
	if base == "" {
		base = localURL(ln.Addr())
		if o.addr == "" && o.env == "dev" {
			base = "http://localhost:8080" // the default address, as the README says
		}
	}
	proxies, _ := o.proxies() // validated with the options
	if o.trustProxy {
		log.Warn("--trust-proxy is deprecated: it means --trusted-proxies 127.0.0.0/8,::1")
	}
	dev := o.env == "dev"
	var (
		mailer mail.Mailer
		outbox *mail.Outbox
	)
	if o.smtpURL != "" {
		if mailer, err = mail.NewSMTP(o.smtpURL, o.mailFrom); err != nil {
			ln.Close()
			return fmt.Errorf("--smtp-url: %w", err)
		}
	} else {
		// The outbox logs who got which mail, never its body.
		outbox = &mail.Outbox{Logger: log}
		mailer = outbox
	}
	var origins []string
	for _, s := range strings.Split(o.allowedOrigins, ",") {
		if s = strings.TrimSpace(s); s != "" {
			origins = append(origins, s)
		}
	}
	// The Origin check compares with --base-url when it is set; otherwise
	// with the request's own origin (any loopback name works in dev).
	cookieOpts, err := o.cookieOptions()
	if err != nil { // checked in validate
		ln.Close()
		return err
	}
	cookieOpts.AllowedOrigins, cookieOpts.CORSOrigins, cookieOpts.BaseURL = origins, splitList(o.corsOrigins), o.baseURL
	cookieOpts.TrustForwardedHost, cookieOpts.TrustedProxies, cookieOpts.Logger = len(proxies) > 0, proxies, log
	sessions, err := httpauth.New(b.auth, cookieOpts)
	if err != nil {
		ln.Close()
		return err
	}
	// Throttle counts are shared, so that every instance sees every
	// failure: in Redis when latchd has it, else in the database's
	// latch_throttle table (on SQLite too: processes on the file share it,
	// and counts outlive a restart). Only a Lucia v2 database without
	// Redis leaves them in each process's memory.
	var throttles throttle.Store
	switch {
	case b.redis != nil:
		throttles = b.redis
	case b.sqlThrottle != nil:
		throttles = b.sqlThrottle(b.auth.Now)
	default:
		log.Warn("throttle counts are kept in this process's memory (a Lucia v2 database has no latch_throttle table): instances behind one load balancer each throttle on their own; set --redis-url to share them")
	}
	cfg := authapi.Config{
		Auth: b.auth, Sessions: sessions, BaseURL: base, Dev: dev, Logger: log,
		Mailer: mailer, Outbox: outbox, MailTemplates: mail.Templates{AppName: o.appName},
		ThrottleStore: throttles, MaxConcurrentHashes: o.maxHashes, HashWait: o.hashWait,
		Queue: b.outbox, MailBackoff: o.mailRetry, MailMaxAttempts: o.mailMaxAttempts, MailLease: o.mailLease, MailTimeout: o.mailTimeout,
		OTTDisableSetSessionCookie: o.ottNoCookie, SetOTTHeaderOnNewSession: o.ottHeader, Keyring: kr,
		RequireSecondFactor: o.require2FA,
		WebAuthnRPID:        o.webauthnRPID, WebAuthnOrigins: splitList(o.webauthnOrigins),
	}
	if len(proxies) > 0 {
		cfg.ClientIP = proxies.ClientIP
	}
	var m *metrics.Metrics
	if o.metricsAddr != "" {
		m = metrics.NewWithBackends(b.outbox, b.backends)
		cfg.OnRequest, cfg.OnDelivery = m.ObserveRequest, m.ObserveDelivery
		b.hooks.metrics.Store(m)
	}
	if d := b.hooks.webhooks; d != nil {
		if m != nil {
			d.Observe = m.ObserveWebhook
		}
		cfg.JobHandlers = b.hooks.jobHandlers()
		urls := make([]string, len(d.Endpoints))
		for i, e := range d.Endpoints {
			urls[i] = webhook.Redact(e.URL)
		}
		log.Info("webhooks", "urls", strings.Join(urls, ","), "secrets", len(o.webhookSecrets), "events", o.webhookEvents)
	}
	if c, _ := o.breachChecker(); c != nil { // validated with the options
		cfg.BreachedPasswords = c
		log.Info("breached-password check", "url", o.pwnedURL)
	}
	if len(providers) > 0 {
		if cfg.OAuth, err = oauth.New(oauth.Config{BaseURL: base, Providers: providers, Secure: o.env == "prod"}); err != nil {
			ln.Close()
			return err
		}
		ids := make([]string, len(providers))
		for i, p := range providers {
			ids[i] = p.ID
		}
		log.Info("oauth sign-in", "providers", strings.Join(ids, ","))
	}
	if o.geoipDB != "" {
		db, err := geoip.Open(o.geoipDB)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--geoip-db: %w", err)
		}
		defer db.Close()
		cfg.Locate = db.Locate
		log.Info("session locations", "geoip-db", o.geoipDB)
	}
	h, err := authapi.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	notify := h.NotifyQueue
	b.hooks.notify.Store(&notify)
	guarded, err := newHostGuard(h, o, base, proxies)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           withHealth(guarded, b.checks, log), // probes answered whatever the Host
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if o.debugAddr != "" {
		u, stop, err := startDebug(o.debugAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
		log.Info("debug listener", "url", u)
		fmt.Fprintf(stdout, "Debug variables: %s\n", u)
	}
	if m != nil {
		u, stop, err := startMetrics(o.metricsAddr, m, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
		log.Info("metrics listener", "url", u)
		fmt.Fprintf(stdout, "Metrics: %s\n", u)
	}
	if o.adminAddr != "" {
		u, stop, err := startAdmin(o, b.auth, h, throttles, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
		log.Info("admin listener", "url", u)
		fmt.Fprintf(stdout, "Admin API: %s\n", u)
	}
	if o.purgeInterval > 0 {
		go purgeLoop(ctx, b.auth, log, o.purgeInterval)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("latchd listening", "url", base, "addr", ln.Addr().String(), "env", o.env, "database", dbKind(o.databaseURL))
	fmt.Fprintf(stdout, "Latch is running at %s\n", base)
	if dev {
		fmt.Fprintf(stdout, "Dev mail outbox: %s/dev/outbox\n", base)
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("latchd shutting down", "timeout", o.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if cerr := h.Close(sctx); cerr != nil && err == nil {
		err = fmt.Errorf("draining the outbox: %w", cerr)
	}
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	log.Info("latchd stopped")
	return nil
}

// localURL is the URL of a listening address for a browser on this machine.
func localURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

func dbKind(u string) string {
	if i := strings.IndexByte(u, ':'); i > 0 {
		return u[:i]
	}
	return "?"
}

// purgeLoop deletes expired sessions and tokens, and security activity
// past its retention, every interval.
func purgeLoop(ctx context.Context, a *latch.Auth, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.PurgeActivity(ctx); err != nil {
				log.Warn("purging old security activity failed", "err", err)
			} else if n > 0 {
				log.Info("purged old security activity", "events", n)
			}
			s, tk, err := purgeExpired(ctx, a)
			if err != nil {
				log.Warn("purging expired sessions and tokens failed", "err", err)
				continue
			}
			log.Info("purged expired sessions and tokens", "sessions", s, "tokens", tk)
		}
	}
}

func purgeExpired(ctx context.Context, a *latch.Auth) (sessions, tokens int64, err error) {
	if sessions, err = a.DeleteExpiredSessions(ctx); err != nil {
		return 0, 0, err
	}
	if tokens, err = token.DeleteExpired(ctx, a); err != nil {
		return sessions, 0, err
	}
	return sessions, tokens, nil
}

// migrate applies the migrations.
func migrate(ctx context.Context, o *options, log *slog.Logger, stdout io.Writer) error {
	b, err := openBackend(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.migrate(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	fmt.Fprintln(stdout, "migrated", dbKind(o.databaseURL), "database")
	return nil
}

// purge deletes expired sessions and tokens once.
func purge(ctx context.Context, o *options, log *slog.Logger, stdout io.Writer) error {
	b, err := openBackend(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	s, t, err := purgeExpired(ctx, b.auth)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %d expired sessions and %d expired tokens\n", s, t)
	return nil
}

// createUser makes a user with an email key, as sign-up does.
func createUser(ctx context.Context, o *options, log *slog.Logger, stdout io.Writer, email, password string, verified bool) error {
	if email == "" {
		return errors.New("user create: --email is required")
	}
	b, err := openBackend(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	u, err := authapi.CreateUser(ctx, b.auth, authapi.NewUser{Email: email, Password: password, Verified: verified})
	if err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	admin.Audit(ctx, b.auth, log, admin.Entry{Who: cliWho(o.getenv), Action: "create", UserID: u.ID})
	fmt.Fprintf(stdout, "created user %s <%s>\n", u.ID, u.Attributes.String("email"))
	return nil
}
