package metrics_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// outageStore is a memory store whose session reads fail while down is set.
type outageStore struct {
	*memory.Store
	down *atomic.Bool
}

var errOutage = fmt.Errorf("%w: connection refused", latch.ErrStoreUnavailable)

func (s outageStore) GetSession(ctx context.Context, id string) (latch.SessionRecord, error) {
	if s.down.Load() {
		return latch.SessionRecord{}, errOutage
	}
	return s.Store.GetSession(ctx, id)
}

func (s outageStore) GetSessionAndUser(ctx context.Context, id string) (latch.SessionRecord, latch.UserRecord, error) {
	if s.down.Load() {
		return latch.SessionRecord{}, latch.UserRecord{}, errOutage
	}
	return s.Store.GetSessionAndUser(ctx, id)
}

func scrape(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatal(err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestCoreCounters drives an Auth wired to the metrics through its hooks
// (no HTTP) and checks the token, session and store-error counters, the
// outcomes that a latchd flow cannot reach without moving its clock.
func TestCoreCounters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	down := &atomic.Bool{}
	st := outageStore{Store: memory.New(), down: down}
	m := metrics.NewWithBackends(nil, metrics.Backends{"sessions": "memory"})
	auth, err := latch.New(latch.Config{Store: st, Now: func() time.Time { return now }, ActivePeriod: time.Hour,
		OnEvent: m.ObserveEvent, Observe: m.Observe})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	codes, err := token.NewPasswordTokens(auth, "code", token.PasswordTokenOptions{MaxAttempts: 2, ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	links, err := token.NewIDTokens(auth, "link", token.IDTokenOptions{ExpiresIn: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c, err := codes.Issue(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "00000000"[:len(c.String())]
	if wrong == c.String() {
		wrong = "11111111"[:len(c.String())]
	}
	for range 3 { // invalid, invalid + too many, too many
		_, _ = codes.Validate(ctx, wrong, u.ID)
	}
	l, err := links.Issue(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := links.Issue(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := links.Validate(ctx, l2.String()); err != nil {
		t.Fatal(err)
	}
	s, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := links.Validate(ctx, l.String()); !errors.Is(err, token.ErrExpiredToken) {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := auth.ValidateSession(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour) // idle: renewed
	if _, err := auth.ValidateSession(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	if _, err := auth.ValidateSession(ctx, s.Token); !errors.Is(err, latch.ErrStoreUnavailable) {
		t.Fatalf("validate during an outage: %v", err)
	}
	down.Store(false)
	if err := auth.InvalidateSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}

	got := scrape(t, m)
	for series, want := range map[string]float64{
		`latch_tokens_total{kind="code",outcome="issued"}`:                                 1,
		`latch_tokens_total{kind="code",outcome="invalid"}`:                                2,
		`latch_tokens_total{kind="code",outcome="too_many_attempts"}`:                      2,
		`latch_tokens_total{kind="link",outcome="issued"}`:                                 2,
		`latch_tokens_total{kind="link",outcome="consumed"}`:                               1,
		`latch_tokens_total{kind="link",outcome="expired"}`:                                1,
		`latch_sessions_total{outcome="created"}`:                                          1,
		`latch_sessions_total{outcome="validated"}`:                                        2,
		`latch_sessions_total{outcome="renewed"}`:                                          1,
		`latch_sessions_total{outcome="revoked"}`:                                          1,
		`latch_store_errors_total{backend="memory",operation="get_session",outage="true"}`: 1,
		`latch_events_total{type="token.issued"}`:                                          3,
		`latch_events_total{type="token.consumed"}`:                                        1,
		`latch_events_total{type="user.created"}`:                                          1,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
}
