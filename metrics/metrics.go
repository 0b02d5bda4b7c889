// Package metrics exposes latchd's Prometheus metrics: HTTP requests by
// route pattern and status with a latency histogram, sign-ins by method
// and result, throttle refusals, the outbox's depth, deliveries, retries
// and dead letters, tokens by kind and outcome, sessions by outcome,
// store errors by backend and operation, events by type and webhook
// deliveries. The core (package latch) knows nothing of Prometheus: the
// counts come from its hooks (latch.Config.OnEvent and Observe). It has its own registry, so that nothing is
// global and several servers in one process (tests) keep apart.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
)

// Metrics holds the collectors. Create it with New; its methods are safe
// for concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	signIns    *prometheus.CounterVec
	refusals   *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	sessions   *prometheus.CounterVec
	storeErrs  *prometheus.CounterVec
	events     *prometheus.CounterVec
	webhooks   *prometheus.CounterVec
	// The session-validation hot path's counters, resolved once.
	validated, renewed prometheus.Counter
	// backends names the backend of each store ("sessions" → "redis").
	backends map[string]string
}

// Backends names the backend that keeps each store, for the store-error
// metric: keys "users", "keys", "sessions", "tokens"; values such as
// "sqlite", "postgres", "mysql", "redis", "memory".
type Backends map[string]string

// New returns the metrics on a new registry, with the Go runtime's and the
// process's collectors. queue, when not nil, is counted by state at each
// scrape (latch_outbox_jobs).
func New(queue outbox.Queue) *Metrics { return NewWithBackends(queue, nil) }

// NewWithBackends is New with the names of the stores' backends, which
// label latch_store_errors_total.
func NewWithBackends(queue outbox.Queue, backends Backends) *Metrics {
	m := &Metrics{
		backends: backends,
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_tokens_total", Help: "Single-use tokens by kind and outcome (issued, consumed, expired, invalid, too_many_attempts).",
		}, []string{"kind", "outcome"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_sessions_total", Help: "Sessions by outcome (created, validated, renewed, revoked).",
		}, []string{"outcome"}),
		storeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_store_errors_total", Help: "Failed store calls (not missing rows) by backend and operation; outage=\"true\" when the backend did not answer.",
		}, []string{"backend", "operation", "outage"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_events_total", Help: "Events raised (and committed) by type.",
		}, []string{"type"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_webhook_deliveries_total", Help: "Webhook delivery attempts by event type and outcome (delivered, failed).",
		}, []string{"event", "outcome"}),
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "latch_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_sign_ins_total", Help: "Sign-in attempts by method and result (success, failure, throttled, error).",
		}, []string{"method", "result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_throttle_refusals_total", Help: "Requests refused with 429 by a throttle, by route pattern.",
		}, []string{"route"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_outbox_attempts_total", Help: "Outbox delivery attempts by job kind and outcome (delivered, retried, dead).",
		}, []string{"kind", "outcome"}),
	}
	m.validated = m.sessions.WithLabelValues(latch.OutcomeValidated)
	m.renewed = m.sessions.WithLabelValues(latch.OutcomeRenewed)
	m.reg.MustRegister(m.requests, m.latency, m.signIns, m.refusals, m.deliveries,
		m.tokens, m.sessions, m.storeErrs, m.events, m.webhooks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if queue != nil {
		m.reg.MustRegister(&queueCollector{q: queue, desc: prometheus.NewDesc("latch_outbox_jobs",
			"Jobs in the outbox by state (pending, delivered, dead).", []string{"state"}, nil)})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// signInRoutes are the routes that sign in, by method.
var signInRoutes = map[string]string{
	"POST /api/auth/sign-in":                  "password",
	"POST /api/auth/magic-link/verify":        "magic-link",
	"GET /api/auth/magic-link/{token}":        "magic-link",
	"POST /api/auth/one-time-token/verify":    "one-time-token",
	"GET /api/auth/oauth/{provider}/callback": "oauth",
	"POST /api/auth/cli/token":                "cli",
	"POST /api/auth/two-factor/verify":        "two-factor",
	"POST /api/auth/passkey/sign-in/verify":   "passkey",
	"POST /api/auth/password-reset/{token}":   "password-reset",
}

// ObserveRequest counts one answered request. route is the pattern
// ("POST /api/auth/sign-in"), never the path, so that tokens in paths
// never become labels; a request that matched no route should come as
// one fixed name, so that made-up methods and paths add no series.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
	if status == http.StatusTooManyRequests {
		m.refusals.WithLabelValues(route).Inc()
	}
	if method, ok := signInRoutes[route]; ok {
		m.signIns.WithLabelValues(method, result(status)).Inc()
	}
}

func result(status int) string {
	switch {
	case status < 400:
		return "success"
	case status == http.StatusTooManyRequests:
		return "throttled"
	case status >= 500:
		return "error"
	default:
		return "failure"
	}
}

// ObserveDelivery counts one attempt of the outbox (outbox.Runner.Observe).
func (m *Metrics) ObserveDelivery(kind string, o outbox.Outcome) {
	m.deliveries.WithLabelValues(kind, string(o)).Inc()
}

// ObserveEvent counts a committed event (latch.Config.OnEvent): by type,
// and sessions created and revoked.
func (m *Metrics) ObserveEvent(_ context.Context, e latch.Event) {
	m.events.WithLabelValues(e.Type).Inc()
	switch e.Type {
	case latch.EventSessionCreated:
		m.sessions.WithLabelValues("created").Inc()
	case latch.EventSessionRevoked:
		m.sessions.WithLabelValues("revoked").Inc()
	}
}

// Observe counts an outcome of the core (latch.Config.Observe): tokens,
// session validations and renewals, store errors.
func (m *Metrics) Observe(o latch.Observation) {
	switch o.Subject {
	case latch.ObserveSession:
		switch o.Outcome {
		case latch.OutcomeValidated:
			m.validated.Inc()
		case latch.OutcomeRenewed:
			m.renewed.Inc()
		}
	case latch.ObserveToken:
		m.tokens.WithLabelValues(o.Kind, o.Outcome).Inc()
	case latch.ObserveStore:
		backend := m.backends[o.Kind]
		if backend == "" {
			backend = o.Kind
		}
		outage := "false"
		if errors.Is(o.Err, latch.ErrStoreUnavailable) {
			outage = "true"
		}
		m.storeErrs.WithLabelValues(backend, o.Outcome, outage).Inc()
	}
}

// ObserveWebhook counts one webhook delivery attempt
// (webhook.Dispatcher.Observe).
func (m *Metrics) ObserveWebhook(eventType, outcome string) {
	m.webhooks.WithLabelValues(eventType, outcome).Inc()
}

// queueCollector reads the outbox's counts at each scrape.
type queueCollector struct {
	q    outbox.Queue
	desc *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.q.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.Pending), "pending")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.Delivered), "delivered")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.Dead), "dead")
}
