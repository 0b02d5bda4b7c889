package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
	"github.com/latchauth/latch/webhook"
)

// specVerify checks a webhook as the Standard Webhooks specification
// tells a receiver to, independently of package webhook: HMAC-SHA256
// under the base64 key after "whsec_" of "id.timestamp.body", compared
// with each space-separated "v1,…" signature; timestamp within 5 minutes.
func specVerify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	ts := h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + ts + "." + string(body)))
	want := []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, s, ok := strings.Cut(sig, ","); ok && v == "v1" && hmac.Equal([]byte(s), want) {
			return true
		}
	}
	return false
}

// hookSink is a webhook receiver on loopback that is down (503) for its
// first downFor requests, verifies each request under both secrets of a
// rotation separately, and processes each webhook-id once.
type hookSink struct {
	oldSecret, newSecret string
	downFor              int

	mu       sync.Mutex
	requests int
	attempts map[string]int
	bad      []string
	got      map[string]webhook.Message
	order    []string
}

func (k *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.requests++
	id := r.Header.Get("webhook-id")
	if !specVerify(k.oldSecret, r.Header, body) || !specVerify(k.newSecret, r.Header, body) {
		k.bad = append(k.bad, id)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	k.attempts[id]++
	if k.requests <= k.downFor {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if _, seen := k.got[id]; !seen {
		var m webhook.Message
		_ = json.Unmarshal(body, &m)
		k.got[id] = m
		k.order = append(k.order, id)
	}
	w.WriteHeader(http.StatusOK)
}

// types returns the accepted messages' types for a user, sorted.
func (k *hookSink) types(userID string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, id := range k.order {
		if m := k.got[id]; m.Data["userId"] == userID {
			t := m.Type
			if kind := m.Data["kind"]; kind != "" {
				t += ":" + kind
			}
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// TestWebhooks scripts an account's life against latchd with a webhook
// endpoint that is down for its first requests, during a secret
// rotation, and checks every event arrived signed with both secrets,
// once per webhook-id, with the metrics to match: on SQLite, on
// PostgreSQL (the jobs written in the changes' transactions), and on
// PostgreSQL with sessions and tokens in Redis (their jobs written right
// after the Redis write).
func TestWebhooks(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testWebhooks(t)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testWebhooks(t, "LATCH_DATABASE_URL="+testenv.Postgres(t), "LATCH_MIGRATE=true")
	})
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		redisURL, prefix := testenv.Redis(t)
		testWebhooks(t, "LATCH_DATABASE_URL="+testenv.Postgres(t), "LATCH_MIGRATE=true", "LATCH_REDIS_URL="+redisURL, "LATCH_REDIS_PREFIX="+prefix)
	})
}

func testWebhooks(t *testing.T, env ...string) {
	sink := &hookSink{oldSecret: webhook.NewSecret(), newSecret: webhook.NewSecret(), downFor: 3,
		attempts: map[string]int{}, got: map[string]webhook.Message{}}
	rcv := httptest.NewServer(sink)
	t.Cleanup(rcv.Close)
	env = append([]string{"LATCH_METRICS_ADDR=127.0.0.1:0", "LATCH_TRUST_PROXY=true", "LATCH_MAIL_RETRY=50ms",
		"LATCH_WEBHOOK_URL=" + rcv.URL + "/hooks", "LATCH_WEBHOOK_SECRET=" + sink.newSecret + "," + sink.oldSecret}, env...)
	s := start(t, t.TempDir(), env...)
	mm := metricsURLRE.FindStringSubmatch(s.stdout.String())
	if mm == nil {
		t.Fatalf("no metrics URL:\n%s", s.stdout)
	}
	before := scrape(t, mm[1])

	a := newAgent(s.url)
	email := "hooks-" + testenv.Suffix() + "@example.com"
	st, body := a.must(t, "POST", "/api/auth/sign-up", map[string]string{"email": email, "password": oldPassword}, "")
	if st != 201 {
		t.Fatalf("sign-up: %d %v", st, body)
	}
	tok, userID := str(body, "token"), str(body, "user", "id")
	code := codeRE.FindString(waitMail(t, s.url, 1).Text)
	if st, body := a.must(t, "POST", "/api/auth/email-verification/verify", map[string]string{"code": code}, tok); st != 200 {
		t.Fatalf("verify: %d %v", st, body)
	}
	st, body = a.must(t, "POST", "/api/auth/sign-in", map[string]string{"email": email, "password": oldPassword}, "")
	if st != 200 {
		t.Fatalf("sign-in: %d %v", st, body)
	}
	if st, _ := a.must(t, "POST", "/api/auth/sign-out", nil, str(body, "token")); st != 204 {
		t.Fatalf("sign-out: %d", st)
	}
	if st, body := a.must(t, "DELETE", "/api/auth/account", map[string]string{"password": oldPassword}, tok); st != 204 {
		t.Fatalf("delete account: %d %v", st, body)
	}

	want := []string{
		"session.created", "session.created", // sign-up, sign-in
		"session.revoked",                      // sign-out
		"token.consumed:email-verification",    // the code
		"token.issued:email-verification",      // the code
		"token.issued:email-verification-link", // the link in the same mail
		"user.created", "user.deleted", "user.email_verified",
	}
	slices.Sort(want)
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Equal(sink.types(userID), want) {
		if time.Now().After(deadline) {
			t.Fatalf("webhooks received:\n%v\nwant\n%v", sink.types(userID), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sink.mu.Lock()
	if len(sink.bad) > 0 {
		t.Errorf("%d requests failed the signature check under one of the two secrets", len(sink.bad))
	}
	retried, tries := 0, 0
	for _, n := range sink.attempts {
		tries += n
		if n > 1 {
			retried++
		}
	}
	if retried == 0 || tries != len(sink.got)+sink.downFor {
		t.Errorf("attempts %v: want the %d refused requests retried under their own webhook-id", sink.attempts, sink.downFor)
	}
	for _, id := range sink.order {
		if m := sink.got[id]; !strings.HasPrefix(id, "evt_") || m.Timestamp.IsZero() {
			t.Errorf("webhook %s: %+v", id, m)
		}
	}
	delivered := float64(len(sink.got))
	sink.mu.Unlock()

	var after map[string]float64
	for try := 0; ; try++ {
		after = scrape(t, mm[1])
		sum := 0.0
		for k, v := range after {
			if strings.HasPrefix(k, "latch_webhook_deliveries_total{") && strings.Contains(k, `outcome="delivered"`) {
				sum += v - before[k]
			}
		}
		if sum == delivered {
			break
		}
		if try == 500 {
			t.Fatalf("webhook deliveries counted %v, want %v", sum, delivered)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for series, n := range map[string]float64{
		`latch_outbox_attempts_total{kind="webhook",outcome="retried"}`: float64(sink.downFor),
		`latch_events_total{type="user.created"}`:                       1,
		`latch_events_total{type="session.revoked"}`:                    1,
	} {
		if got := after[series] - before[series]; got != n {
			t.Errorf("%s moved by %v, want %v", series, got, n)
		}
	}
	s.stop(t)
	if strings.Contains(s.stderr.String(), sink.oldSecret) || strings.Contains(s.stderr.String(), sink.newSecret) || strings.Contains(s.stdout.String(), sink.newSecret) {
		t.Error("a webhook secret is in latchd's output")
	}
}

// TestWebhookSettings checks the --webhook-* settings: secrets stay out of
// --help and errors, http:// is refused in prod except to loopback, a
// secret needs a URL, and flags replace the environment's list.
func TestWebhookSettings(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	var out, errOut strings.Builder
	if code := run(t.Context(), []string{"--help"}, strings.NewReader(""), &out, &errOut, env(map[string]string{"LATCH_WEBHOOK_SECRET": secret})); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	if strings.Contains(out.String()+errOut.String(), secret) {
		t.Error("--help shows the webhook secret of the environment")
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		ok   bool
	}{
		{map[string]string{"LATCH_ENV": "prod", "LATCH_SMTP_URL": "smtp://localhost:25", "LATCH_WEBHOOK_URL": "http://hooks.example.com/x", "LATCH_WEBHOOK_SECRET": secret}, nil, false},
		{map[string]string{"LATCH_ENV": "prod", "LATCH_SMTP_URL": "smtp://localhost:25", "LATCH_WEBHOOK_URL": "http://127.0.0.1:9000/x", "LATCH_WEBHOOK_SECRET": secret}, nil, true},
		{map[string]string{"LATCH_ENV": "prod", "LATCH_SMTP_URL": "smtp://localhost:25", "LATCH_WEBHOOK_URL": "https://hooks.example.com/x", "LATCH_WEBHOOK_SECRET": secret}, nil, true},
		{map[string]string{"LATCH_WEBHOOK_SECRET": secret}, nil, false},
		{map[string]string{"LATCH_WEBHOOK_URL": "https://a.example.com/", "LATCH_WEBHOOK_SECRET": "whsec_nope"}, nil, false},
		{map[string]string{"LATCH_WEBHOOK_URL": "https://a.example.com/", "LATCH_WEBHOOK_SECRET": secret, "LATCH_WEBHOOK_EVENTS": "user.*,nope.created"}, nil, false},
		{map[string]string{"LATCH_WEBHOOK_URL": "https://a.example.com/", "LATCH_WEBHOOK_SECRET": "whsec_nope"}, []string{"--webhook-secret", secret}, true},
	} {
		var o options
		fs, err := newFlagSet("latchd", &o, env(tc.env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		err = o.validate()
		if (err == nil) != tc.ok {
			t.Errorf("%v %v: validate = %v", tc.env, tc.args, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// TestWebhooksFile reads per-endpoint secrets and filters from
// --webhooks-file, beside --webhook-url.
func TestWebhooksFile(t *testing.T) {
	t.Parallel()
	s1, s2, s3 := webhook.NewSecret(), webhook.NewSecret(), webhook.NewSecret()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `[{"url":"https://a.example.com/h","secrets":["`+s1+`","`+s2+`"],"events":["user.*"]},{"url":"https://b.example.com/h","secrets":["`+s3+`"]}]`)
	o := options{env: "prod", webhookURLs: []string{"https://c.example.com/h"}, webhookSecrets: []string{s3}, webhooksFile: good, mailTimeout: 30 * time.Second}
	d, err := o.webhookDispatcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Endpoints) != 3 || d.Endpoints[1].URL != "https://a.example.com/h" || len(d.Endpoints[1].Secrets) != 2 || d.Endpoints[1].Events[0] != "user.*" || len(d.Endpoints[2].Events) != 0 {
		t.Errorf("endpoints %+v", d.Endpoints)
	}
	for name, text := range map[string]string{
		"unknown-field.json": `[{"url":"https://a.example.com/h","secret":"` + s1 + `"}]`,
		"bad-event.json":     `[{"url":"https://a.example.com/h","secrets":["` + s1 + `"],"events":["user.nope"]}]`,
		"http.json":          `[{"url":"http://a.example.com/h","secrets":["` + s1 + `"]}]`,
		"no-secret.json":     `[{"url":"https://a.example.com/h"}]`,
		"not-json.json":      `{`,
	} {
		o := options{env: "prod", webhooksFile: write(name, text), mailTimeout: 30 * time.Second}
		_, err := o.webhookDispatcher(nil)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), s1) {
			t.Errorf("%s: the error shows a secret: %v", name, err)
		}
	}
}
