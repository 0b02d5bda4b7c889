package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
	if len(o.webhookURLs) == 0 && len(o.webhookSecrets) > 0 {
		return nil, errors.New("--webhook-secret without --webhook-url")
	}
	var endpoints []webhook.Endpoint
	for _, u := range o.webhookURLs {
		endpoints = append(endpoints, webhook.Endpoint{URL: u, Secrets: o.webhookSecrets, Events: splitList(o.webhookEvents)})
	}
	if o.webhooksFile != "" {
		fromFile, err := readWebhooksFile(o.webhooksFile)
		if err != nil {
			return nil, err
		}
		endpoints = append(endpoints, fromFile...)
	}
	if len(endpoints) == 0 {
		return nil, nil
	}
	if queue == nil {
		queue = outbox.NewMemoryQueue() // validation only
	}
	d := &webhook.Dispatcher{Queue: queue, Endpoints: endpoints, AllowHTTP: o.env == "dev", Timeout: min(o.mailTimeout, webhookTimeout)}
	if err := d.Check(); err != nil {
		// The package's errors show redacted URLs and never a secret.
		return nil, fmt.Errorf("webhooks (--webhook-url, --webhook-secret, --webhooks-file): %w", err)
	}
	for _, e := range endpoints {
		for _, t := range e.Events {
			if !knownEventFilter(t) {
				return nil, fmt.Errorf("webhooks: event filter %q is no event type (%v) nor prefix.*", t, latch.EventTypes)
			}
		}
	}
	return d, nil
}

// readWebhooksFile reads the --webhooks-file list.
func readWebhooksFile(path string) ([]webhook.Endpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--webhooks-file: %w", err)
	}
	var list []struct {
		URL     string   `json:"url"`
		Secrets []string `json:"secrets"`
		Events  []string `json:"events"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		// The decoder's errors name fields and offsets, never values.
		return nil, fmt.Errorf("--webhooks-file %s: want [{\"url\",\"secrets\",\"events\"}]: %v", path, err)
	}
	out := make([]webhook.Endpoint, len(list))
	for i, e := range list {
		out[i] = webhook.Endpoint{URL: e.URL, Secrets: e.Secrets, Events: e.Events}
	}
	return out, nil
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
