package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/webhook"
)

// verifySpec checks a webhook as a receiver following the Standard
// Webhooks specification would, written from the specification and not
// from the package: the secret is base64 after "whsec_"; the signed
// content is "{webhook-id}.{webhook-timestamp}.{body}"; the header holds
// space-separated "v1,{base64 HMAC-SHA256}" entries, any one of which
// may match; the timestamp must be within 5 minutes.
func verifySpec(secret string, h http.Header, body []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, part := range strings.Split(h.Get("webhook-signature"), " ") {
		if v, sig, ok := strings.Cut(part, ","); ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// receiver is a webhook endpoint on loopback that verifies every request
// with verifySpec under its secret, answers failFirst requests with 503,
// and keeps the messages it accepted, deduplicated by webhook-id.
type receiver struct {
	t         *testing.T
	secret    string
	srv       *httptest.Server
	mu        sync.Mutex
	failFirst int
	requests  int
	attempts  map[string]int // webhook-id → requests seen
	accepted  map[string]webhook.Message
	order     []string
	bad       int
	got       chan string
}

func newReceiver(t *testing.T, secret string, failFirst int) *receiver {
	r := &receiver{t: t, secret: secret, failFirst: failFirst, attempts: map[string]int{}, accepted: map[string]webhook.Message{}, got: make(chan string, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || !verifySpec(r.secret, req.Header, body, time.Now()) {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := req.Header.Get("webhook-id")
	r.attempts[id]++
	if r.requests <= r.failFirst {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if _, dup := r.accepted[id]; dup {
		w.WriteHeader(http.StatusNoContent) // a repeat: already processed
		return
	}
	var m webhook.Message
	if err := json.Unmarshal(body, &m); err != nil {
		r.t.Errorf("body %s: %v", body, err)
	}
	r.accepted[id] = m
	r.order = append(r.order, id)
	w.WriteHeader(http.StatusNoContent)
	r.got <- id
}

// wait waits for n accepted messages.
func (r *receiver) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-r.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d webhooks received", i, n)
		}
	}
}

// start starts a Runner delivering d's jobs, with quick retries.
func start(t *testing.T, d *webhook.Dispatcher, q outbox.Queue) *outbox.Runner {
	t.Helper()
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	r := &outbox.Runner{
		Queue: q, Handlers: map[string]outbox.Handler{webhook.JobKind: d.Deliver},
		Workers: 2, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		PollInterval: 5 * time.Millisecond, Timeout: 5 * time.Second,
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	d.Notify = r.Notify
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = r.Close(ctx)
	})
	return r
}

func event(typ, user string) latch.Event {
	return latch.Event{ID: "evt_" + strconv.FormatInt(time.Now().UnixNano(), 36), Type: typ, At: time.Now(), UserID: user, Data: map[string]string{"kind": "password-reset"}}
}

func TestDeliverSignedAndRetried(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	rcv := newReceiver(t, secret, 3) // down for the first three requests
	q := outbox.NewMemoryQueue()
	d := &webhook.Dispatcher{Queue: q, Endpoints: []webhook.Endpoint{{URL: rcv.srv.URL + "/hook?token=receiver-credential", Secrets: []string{secret}}}}
	start(t, d, q)
	e1, e2 := event(latch.EventTokenIssued, "u1"), event(latch.EventUserCreated, "u2")
	e2.ID += "b"
	for _, e := range []latch.Event{e1, e2} {
		if err := d.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	rcv.wait(t, 2)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.bad != 0 {
		t.Errorf("%d requests failed the independent signature check", rcv.bad)
	}
	if rcv.attempts[e1.ID]+rcv.attempts[e2.ID] != 5 {
		t.Errorf("attempts %v: want 3 refused + 2 accepted, all under the two event ids", rcv.attempts)
	}
	m := rcv.accepted[e1.ID]
	if m.Type != latch.EventTokenIssued || m.Data["userId"] != "u1" || m.Data["kind"] != "password-reset" || !m.Timestamp.Equal(e1.At.UTC().Truncate(time.Nanosecond)) {
		t.Errorf("message %+v", m)
	}
}

func TestRotationSignsWithBoth(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := webhook.NewSecret(), webhook.NewSecret()
	// Two receivers, one knowing only the old secret, one only the new:
	// during the rotation both accept.
	oldRcv, newRcv := newReceiver(t, oldSecret, 0), newReceiver(t, newSecret, 0)
	q := outbox.NewMemoryQueue()
	d := &webhook.Dispatcher{Queue: q, Endpoints: []webhook.Endpoint{
		{URL: oldRcv.srv.URL, Secrets: []string{newSecret, oldSecret}},
		{URL: newRcv.srv.URL, Secrets: []string{newSecret, oldSecret}},
	}}
	start(t, d, q)
	if err := d.Record(t.Context(), event(latch.EventSessionCreated, "u")); err != nil {
		t.Fatal(err)
	}
	oldRcv.wait(t, 1)
	newRcv.wait(t, 1)
	// And a receiver whose secret is in neither refuses.
	other := newReceiver(t, webhook.NewSecret(), 0)
	d2 := &webhook.Dispatcher{Queue: outbox.NewMemoryQueue(), Endpoints: []webhook.Endpoint{{URL: other.srv.URL, Secrets: []string{newSecret}}}}
	if err := d2.Check(); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"endpoint": other.srv.URL, "id": "evt_x", "type": "user.created", "body": json.RawMessage(`{}`)})
	if err := d2.Deliver(t.Context(), outbox.Job{ID: "x", Kind: webhook.JobKind, Payload: payload}); err == nil {
		t.Error("delivery to a receiver with another secret succeeded")
	}
	if other.bad != 1 {
		t.Errorf("receiver with another secret: %d bad requests, want 1", other.bad)
	}
}

func TestSlowEndpointBlocksNoOther(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	fast := newReceiver(t, secret, 0)
	q := outbox.NewMemoryQueue()
	d := &webhook.Dispatcher{Queue: q, Timeout: time.Second, Endpoints: []webhook.Endpoint{
		{URL: slow.URL, Secrets: []string{secret}},
		{URL: fast.srv.URL, Secrets: []string{secret}},
	}}
	start(t, d, q)
	for i := range 3 {
		e := event(latch.EventUserCreated, "u")
		e.ID += strconv.Itoa(i)
		if err := d.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	fast.wait(t, 3)
}

func TestEndpointChecks(t *testing.T) {
	t.Parallel()
	good := webhook.NewSecret()
	for _, tc := range []struct {
		name string
		ep   webhook.Endpoint
		ok   bool
	}{
		{"https", webhook.Endpoint{URL: "https://hooks.example.com/latch", Secrets: []string{good}}, true},
		{"http loopback", webhook.Endpoint{URL: "http://127.0.0.1:9/x", Secrets: []string{good}}, true},
		{"http remote", webhook.Endpoint{URL: "http://hooks.example.com/latch", Secrets: []string{good}}, false},
		{"no secret", webhook.Endpoint{URL: "https://hooks.example.com/latch"}, false},
		{"three secrets", webhook.Endpoint{URL: "https://hooks.example.com/latch", Secrets: []string{good, good, good}}, false},
		{"bad secret", webhook.Endpoint{URL: "https://hooks.example.com/latch", Secrets: []string{"whsec_short"}}, false},
		{"no prefix", webhook.Endpoint{URL: "https://hooks.example.com/latch", Secrets: []string{strings.TrimPrefix(good, "whsec_")}}, false},
		{"ftp", webhook.Endpoint{URL: "ftp://hooks.example.com/", Secrets: []string{good}}, false},
		{"user info", webhook.Endpoint{URL: "https://a:b@hooks.example.com/", Secrets: []string{good}}, false},
	} {
		d := &webhook.Dispatcher{Queue: outbox.NewMemoryQueue(), Endpoints: []webhook.Endpoint{tc.ep}}
		err := d.Check()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Check = %v", tc.name, err)
		}
		for _, sec := range tc.ep.Secrets {
			if err != nil && strings.Contains(err.Error(), sec) {
				t.Errorf("%s: the error shows a secret: %v", tc.name, err)
			}
		}
	}
}

func TestFilterAndVerify(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	q := outbox.NewMemoryQueue()
	d := &webhook.Dispatcher{Queue: q, Endpoints: []webhook.Endpoint{{URL: "https://h.example.com/", Secrets: []string{secret}, Events: []string{"user.*", latch.EventSessionRevoked}}}}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []string{latch.EventUserCreated, latch.EventSessionCreated, latch.EventSessionRevoked, latch.EventTokenIssued, latch.EventUserDeleted} {
		e := event(typ, "u")
		e.ID += strconv.Itoa(i)
		if err := d.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if s, _ := q.Stats(t.Context()); s.Pending != 3 {
		t.Errorf("%d jobs queued, want 3 (user.created, session.revoked, user.deleted)", s.Pending)
	}
	// Verify agrees with the independent verifier.
	now := time.Now()
	body := []byte(`{"type":"user.created"}`)
	sig, err := webhook.Sign([]string{secret}, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", sig)
	if !verifySpec(secret, h, body, now) {
		t.Error("independent verifier refuses Sign's signature")
	}
	if err := webhook.Verify([]string{secret}, "msg_1", h.Get("webhook-timestamp"), sig, body, now, 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := webhook.Verify([]string{secret}, "msg_1", h.Get("webhook-timestamp"), sig, append(body, ' '), now, 0); err == nil {
		t.Error("Verify accepted a changed body")
	}
	if err := webhook.Verify([]string{secret}, "msg_1", h.Get("webhook-timestamp"), sig, body, now.Add(6*time.Minute), 0); err == nil {
		t.Error("Verify accepted an old timestamp")
	}
}
