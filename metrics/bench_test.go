package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/store/memory"
)

// BenchmarkSession measures GET /api/auth/session on the memory store
// without and with metrics, side by side in one run:
//
//	go test -run '^$' -bench BenchmarkSession -benchtime 20000x -count 3 ./metrics
func BenchmarkSession(b *testing.B) {
	for _, withMetrics := range []bool{false, true} {
		name := "plain"
		if withMetrics {
			name = "metrics"
		}
		b.Run(name, func(b *testing.B) {
			lc := latch.Config{Store: memory.New(), Env: latch.EnvDev}
			var m *metrics.Metrics
			if withMetrics {
				m = metrics.New(nil)
				lc.OnEvent, lc.Observe = m.ObserveEvent, m.Observe
			}
			auth, err := latch.New(lc)
			if err != nil {
				b.Fatal(err)
			}
			cfg := authapi.Config{Auth: auth, BaseURL: "http://localhost", Dev: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if withMetrics {
				cfg.OnRequest, cfg.OnDelivery = m.ObserveRequest, m.ObserveDelivery
			}
			h, err := authapi.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close(context.Background())
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/auth/sign-up", strings.NewReader(`{"email":"bench@example.com","password":"a bench password"}`)))
			if rec.Code != http.StatusCreated {
				b.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
			}
			cookies := rec.Result().Cookies()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/api/auth/session", nil)
					for _, c := range cookies {
						req.AddCookie(c)
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Errorf("session: %d", w.Code)
						return
					}
				}
			})
		})
	}
}

// BenchmarkObserveRequest is the whole cost metrics add to a request: one
// call of ObserveRequest.
func BenchmarkObserveRequest(b *testing.B) {
	m := metrics.New(nil)
	for b.Loop() {
		m.ObserveRequest("GET /api/auth/session", http.StatusOK, 1000)
	}
}

// BenchmarkObserveValidated is what the session hook adds to each
// validation: one latch.Config.Observe call that counts it.
func BenchmarkObserveValidated(b *testing.B) {
	m := metrics.New(nil)
	o := latch.Observation{Subject: latch.ObserveSession, Outcome: latch.OutcomeValidated}
	for b.Loop() {
		m.Observe(o)
	}
}
