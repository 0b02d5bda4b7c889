package main

import (
	"bufio"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
)

// scrape reads /metrics into series → value; a series is written as the
// exposition format writes it: name{label="value",…} with labels sorted.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

var metricsURLRE = regexp.MustCompile(`Metrics: (\S+)`)

// TestMetrics scripts a flow against latchd and checks that each counter
// moved by what the flow did.
func TestMetrics(t *testing.T) {
	t.Parallel()
	s := start(t, t.TempDir(), "LATCH_METRICS_ADDR=127.0.0.1:0", "LATCH_TRUST_PROXY=true")
	mm := metricsURLRE.FindStringSubmatch(s.stdout.String())
	if mm == nil || !strings.HasPrefix(mm[1], "http://127.0.0.1:") {
		t.Fatalf("no loopback metrics URL on stdout:\n%s", s.stdout)
	}
	murl := mm[1]
	before := scrape(t, murl)
	// Only on --metrics-addr: the public listener has no /metrics (nor
	// /debug/vars), whatever the method.
	for _, path := range []string{"/metrics", "/debug/vars"} {
		for _, method := range []string{"GET", "HEAD", "POST"} {
			req, _ := http.NewRequest(method, s.url+path, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			// A POST without Origin meets the CSRF check first (403).
			if res.StatusCode != http.StatusNotFound && (method != "POST" || res.StatusCode != http.StatusForbidden) ||
				strings.Contains(string(b), "latch_") || strings.Contains(string(b), "memstats") {
				t.Errorf("%s %s on the public listener: %d %.200s", method, path, res.StatusCode, b)
			}
		}
	}

	a := newAgent(s.url)
	email := "metrics-" + testenv.Suffix() + "@example.com"
	st, body := a.must(t, "POST", "/api/auth/sign-up", map[string]string{"email": email, "password": oldPassword}, "")
	if st != 201 {
		t.Fatalf("sign-up: %d %v", st, body)
	}
	tok := str(body, "token")
	for range 3 {
		if st, _ := a.must(t, "GET", "/api/auth/session", nil, tok); st != 200 {
			t.Fatalf("session: %d", st)
		}
	}
	if st, _ := a.must(t, "GET", "/api/auth/session", nil, "not-a-session"); st != 401 {
		t.Fatalf("session with a bad token: %d", st)
	}
	st, body = a.must(t, "POST", "/api/auth/sign-in", map[string]string{"email": email, "password": oldPassword}, "")
	if st != 200 {
		t.Fatalf("sign-in: %d", st)
	}
	if st, _ := a.must(t, "POST", "/api/auth/sign-out", nil, str(body, "token")); st != 204 {
		t.Fatalf("sign-out: %d", st)
	}
	code := codeRE.FindString(waitMail(t, s.url, 1).Text)
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	if st, _ := a.must(t, "POST", "/api/auth/email-verification/verify", map[string]string{"code": wrong}, tok); st != 400 {
		t.Fatalf("verify with a wrong code: %d", st)
	}
	if st, _ := a.must(t, "POST", "/api/auth/email-verification/verify", map[string]string{"code": code}, tok); st != 200 {
		t.Fatalf("verify: %d", st)
	}
	statuses := map[int]int{}
	for range 8 {
		st, _ := a.must(t, "POST", "/api/auth/sign-in", map[string]string{"email": email, "password": "wrong password"}, "")
		statuses[st]++
	}
	if statuses[401] == 0 || statuses[429] == 0 || statuses[401]+statuses[429] != 8 {
		t.Fatalf("8 bad sign-ins answered %v, want 401s then 429s", statuses)
	}
	waitMail(t, s.url, 1) // the verification mail went through the outbox

	var after map[string]float64
	delivered := `latch_outbox_attempts_total{kind="mail",outcome="delivered"}`
	for try := 0; ; try++ { // the worker records the attempt after the send
		after = scrape(t, murl)
		if after[delivered]-before[delivered] == 1 {
			break
		}
		if try == 500 {
			t.Fatalf("%s moved by %v, want 1", delivered, after[delivered]-before[delivered])
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := map[string]float64{
		`latch_http_requests_total{route="POST /api/auth/sign-up",status="201"}`:       1,
		`latch_http_requests_total{route="GET /api/auth/session",status="200"}`:        3,
		`latch_http_requests_total{route="GET /api/auth/session",status="401"}`:        1,
		`latch_http_requests_total{route="POST /api/auth/sign-in",status="200"}`:       1,
		`latch_http_requests_total{route="POST /api/auth/sign-in",status="401"}`:       float64(statuses[401]),
		`latch_http_requests_total{route="POST /api/auth/sign-in",status="429"}`:       float64(statuses[429]),
		`latch_http_request_duration_seconds_count{route="GET /api/auth/session"}`:     4,
		`latch_sign_ins_total{method="password",result="success"}`:                     1,
		`latch_sign_ins_total{method="password",result="failure"}`:                     float64(statuses[401]),
		`latch_sign_ins_total{method="password",result="throttled"}`:                   float64(statuses[429]),
		`latch_throttle_refusals_total{route="POST /api/auth/sign-in"}`:                float64(statuses[429]),
		`latch_outbox_attempts_total{kind="verification-request",outcome="delivered"}`: 1,
		delivered: 1,
		// The two mails' jobs, and one job per failed sign-in, which
		// records it in the user's security activity off the request path.
		`latch_outbox_jobs{state="delivered"}`: 2 + float64(statuses[401]),
		`latch_outbox_jobs{state="dead"}`:      0,
		// Fed by the Auth's hooks (latch.Config.OnEvent and Observe).
		`latch_tokens_total{kind="email-verification",outcome="issued"}`:      1,
		`latch_tokens_total{kind="email-verification-link",outcome="issued"}`: 1,
		`latch_tokens_total{kind="email-verification",outcome="invalid"}`:     1,
		`latch_tokens_total{kind="email-verification",outcome="consumed"}`:    1,
		`latch_sessions_total{outcome="created"}`:                             2, // sign-up, sign-in
		`latch_sessions_total{outcome="revoked"}`:                             1, // sign-out
		// Three GET /api/auth/session, the sign-out's and the two
		// verifications' bearer checks; none was in its idle period.
		`latch_sessions_total{outcome="validated"}`:      6,
		`latch_events_total{type="user.created"}`:        1,
		`latch_events_total{type="user.email_verified"}`: 1,
	}
	for series, n := range want {
		if _, ok := after[series]; !ok {
			t.Errorf("%s missing from /metrics", series)
			continue
		}
		if got := after[series] - before[series]; got != n {
			t.Errorf("%s moved by %v, want %v", series, got, n)
		}
	}
	for series := range after {
		if strings.HasPrefix(series, "latch_store_errors_total") || strings.HasPrefix(series, `latch_sessions_total{outcome="renewed"}`) && after[series] != before[series] {
			t.Errorf("%s = %v after a flow without store errors or renewals", series, after[series])
		}
		if strings.Contains(series, "not-a-session") || strings.Contains(series, email) {
			t.Errorf("a request's content became a label: %s", series)
		}
	}
	s.stop(t)
}

func TestMetricsAddr(t *testing.T) {
	for in, want := range map[string]string{":9090": "127.0.0.1:9090", "0.0.0.0:9090": "0.0.0.0:9090", "[::1]:9090": "[::1]:9090"} {
		if got, err := metricsAddr(in); err != nil || got != want {
			t.Errorf("metricsAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := metricsAddr("9090"); err == nil {
		t.Error(`metricsAddr("9090") succeeded`)
	}
}
