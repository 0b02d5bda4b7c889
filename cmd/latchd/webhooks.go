package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/webhook"
)

// webhookDispatcher is the --webhook-* settings' dispatcher on queue, nil
// when no URL is set. Every URL gets the same secrets and event filter.
// http:// URLs are refused in prod, except to loopback.
func (o *options) webhookDispatcher(queue outbox.Queue) (*webhook.Dispatcher, error) {
	if len(o.webhookURLs) == 0 {
		if len(o.webhookSecrets) > 0 {
			return nil, errors.New("--webhook-secret without --webhook-url")
		}
		return nil, nil
	}
	if queue == nil {
		queue = outbox.NewMemoryQueue() // validation only
	}
	d := &webhook.Dispatcher{Queue: queue, AllowHTTP: o.env == "dev", Timeout: min(o.mailTimeout, webhookTimeout)}
	for _, u := range o.webhookURLs {
		d.Endpoints = append(d.Endpoints, webhook.Endpoint{URL: u, Secrets: o.webhookSecrets, Events: splitList(o.webhookEvents)})
	}
	if err := d.Check(); err != nil {
		// The package's errors show redacted URLs and never a secret.
		return nil, fmt.Errorf("--webhook-url/--webhook-secret: %w", err)
	}
	for _, t := range splitList(o.webhookEvents) {
		if !knownEventFilter(t) {
			return nil, fmt.Errorf("--webhook-events: %q is no event type (%v) nor prefix.*", t, latch.EventTypes)
		}
	}
	return d, nil
}

// webhookTimeout bounds one webhook attempt (less if --mail-timeout is).
const webhookTimeout = 10 * time.Second

// knownEventFilter reports whether f names an event type, or a prefix
// ("user.*") of one.
func knownEventFilter(f string) bool {
	if f == "*" {
		return true
	}
	prefix, isPrefix := strings.CutSuffix(f, "*")
	for _, t := range latch.EventTypes {
		if t == f || (isPrefix && strings.HasSuffix(prefix, ".") && strings.HasPrefix(t, prefix)) {
			return true
		}
	}
	return false
}

// hooks are the Auth's event hooks. The Auth is made before what listens
// (the metrics, the queue's runner), which serve fills in afterwards.
type hooks struct {
	webhooks *webhook.Dispatcher
	metrics  atomic.Pointer[metrics.Metrics]
	notify   atomic.Pointer[func()]
}

// onEvent runs after each commit: count the event, and wake the workers
// for the webhook jobs it queued.
func (h *hooks) onEvent(ctx context.Context, e latch.Event) {
	if m := h.metrics.Load(); m != nil {
		m.ObserveEvent(ctx, e)
	}
	if h.webhooks != nil {
		if n := h.notify.Load(); n != nil {
			(*n)()
		}
	}
}

func (h *hooks) observe(o latch.Observation) {
	if m := h.metrics.Load(); m != nil {
		m.Observe(o)
	}
}

// install sets the hooks on cfg: events when webhooks or metrics want
// them, observations when metrics do.
func (h *hooks) install(cfg *latch.Config, withMetrics bool) {
	if h.webhooks != nil {
		cfg.RecordEvent = h.webhooks.Record
	}
	if h.webhooks != nil || withMetrics {
		cfg.OnEvent = h.onEvent
	}
	if withMetrics {
		cfg.Observe = h.observe
	}
}

// jobHandlers are the queue's handlers of the webhook deliveries.
func (h *hooks) jobHandlers() map[string]outbox.Handler {
	return map[string]outbox.Handler{webhook.JobKind: h.webhooks.Deliver}
}
