package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
)

// JobKind is the outbox job kind of one delivery: register
// Dispatcher.Deliver as its handler on the Runner.
const JobKind = "webhook"

// Dispatcher queues and delivers events to endpoints. Set its fields, call
// Check once, then use Record and Deliver; it is safe for concurrent use
// and must not be changed afterwards.
type Dispatcher struct {
	// Queue is the durable outbox the deliveries go through. Required.
	// With a SQL store's queue (its Outbox method) Record writes in the
	// transaction of the change that raised the event.
	Queue outbox.Queue
	// Endpoints receive the events.
	Endpoints []Endpoint
	// AllowHTTP lets endpoints use http:// to any host, not only loopback
	// (for development only).
	AllowHTTP bool
	// Client makes the requests. Default: a client that follows no
	// redirect (a 3xx is a failed attempt).
	Client *http.Client
	// Timeout bounds one attempt. Default 10 s; the Runner's own Timeout
	// should be longer.
	Timeout time.Duration
	// Now is the clock of webhook-timestamp. Default time.Now.
	Now func() time.Time
	// Notify, when set, is called after Record queued something, to wake
	// the Runner (outbox.Runner.Notify); called before a commit, the
	// workers find the job at their next poll.
	Notify func()
	// Observe, when set, is called after each attempt with the event type
	// and "delivered" or "failed", for metrics.
	Observe func(eventType, outcome string)
}

// Check validates the fields and fills in the defaults.
func (d *Dispatcher) Check() error {
	if d.Queue == nil {
		return errors.New("webhook: Dispatcher.Queue is required")
	}
	seen := map[string]bool{}
	for _, e := range d.Endpoints {
		if err := e.check(d.AllowHTTP); err != nil {
			return err
		}
		if seen[e.URL] {
			return fmt.Errorf("webhook: endpoint %q given twice", Redact(e.URL))
		}
		seen[e.URL] = true
	}
	if d.Client == nil {
		d.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return nil
}

// job is the payload of a delivery job. It holds no secret: the
// endpoint's current secrets sign each attempt, so a rotation applies to
// the retries of messages queued before it.
type job struct {
	Endpoint string          `json:"endpoint"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Body     json.RawMessage `json:"body"`
}

// Message is the body of a webhook, as the Standard Webhooks
// specification shapes it. Data holds "userId" and the event's Data.
type Message struct {
	Type      string            `json:"type"`
	Timestamp time.Time         `json:"timestamp"`
	Data      map[string]string `json:"data"`
}

// Record queues one delivery of e to every endpoint that wants it. Set it
// as latch.Config.RecordEvent.
func (d *Dispatcher) Record(ctx context.Context, e latch.Event) error {
	var body []byte
	queued := false
	for _, ep := range d.Endpoints {
		if !ep.wants(e.Type) {
			continue
		}
		if body == nil {
			data := map[string]string{}
			maps.Copy(data, e.Data)
			if e.UserID != "" {
				data["userId"] = e.UserID
			}
			var err error
			if body, err = json.Marshal(Message{Type: e.Type, Timestamp: e.At.UTC(), Data: data}); err != nil {
				return fmt.Errorf("webhook: %w", err)
			}
		}
		payload, err := json.Marshal(job{Endpoint: ep.URL, ID: e.ID, Type: e.Type, Body: body})
		if err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
		err = d.Queue.Enqueue(ctx, outbox.Job{ID: e.ID + "." + endpointKey(ep.URL), Kind: JobKind, Payload: payload, RunAt: d.Now()})
		if err != nil && !errors.Is(err, outbox.ErrDuplicate) {
			return fmt.Errorf("webhook: queueing %s for %s: %w", e.Type, Redact(ep.URL), err)
		}
		queued = true
	}
	if queued && d.Notify != nil {
		d.Notify()
	}
	return nil
}

// endpointKey is a short stable name of an endpoint for job ids.
func endpointKey(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:8])
}

// Deliver makes one attempt of a delivery job: the outbox.Handler of
// JobKind. A 2xx answer delivers it; any other answer or a network error
// is returned for a retry; a job of an endpoint no longer configured
// fails permanently.
func (d *Dispatcher) Deliver(ctx context.Context, j outbox.Job) error {
	var p job
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("webhook: payload: %w", err))
	}
	var ep *Endpoint
	for i := range d.Endpoints {
		if d.Endpoints[i].URL == p.Endpoint {
			ep = &d.Endpoints[i]
		}
	}
	if ep == nil {
		return outbox.Permanent(fmt.Errorf("webhook: endpoint %s is no longer configured", Redact(p.Endpoint)))
	}
	err := d.post(ctx, ep, p)
	if d.Observe != nil {
		outcome := "delivered"
		if err != nil {
			outcome = "failed"
		}
		d.Observe(p.Type, outcome)
	}
	return err
}

func (d *Dispatcher) post(ctx context.Context, ep *Endpoint, p job) error {
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	ts := d.Now()
	sig, err := Sign(ep.Secrets, p.ID, ts, p.Body)
	if err != nil {
		return outbox.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(p.Body))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("webhook: %s: %w", Redact(ep.URL), err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "latch-webhooks")
	req.Header.Set("webhook-id", p.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.Client.Do(req)
	if err != nil {
		// The error names the URL; keep only its redacted form.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: %s: %w", Redact(ep.URL), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s: status %d", Redact(ep.URL), resp.StatusCode)
	}
	return nil
}
