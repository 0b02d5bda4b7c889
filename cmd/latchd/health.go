package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/latchauth/latch/httpauth"
)

// readyTimeout bounds each backend's answer to a readiness check.
const readyTimeout = 2 * time.Second

// healthCheck is one backend a readiness probe asks.
type healthCheck struct {
	name string // "database", "redis", "outbox"
	ping func(context.Context) error
}

// addCheck registers a backend for GET /readyz.
func (b *backend) addCheck(name string, ping func(context.Context) error) {
	b.checks = append(b.checks, healthCheck{name: name, ping: ping})
}

// withHealth answers GET /healthz and GET /readyz before next, whatever
// the Host header (probes come by pod IP) and without a session:
//
//   - /healthz: 200 {"status":"ok"} while the process serves.
//   - /readyz: every backend asked at once, each within readyTimeout; 200
//     {"status":"ok","checks":{…}} when all answer, else 503 with
//     "status":"unavailable" and the failing backends named in "failing".
//     Why one failed goes to the log, not to the answer.
func withHealth(next http.Handler, checks []healthCheck, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				methodNotAllowed(w)
				return
			}
			writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
		case "/readyz":
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				methodNotAllowed(w)
				return
			}
			results := runChecks(r.Context(), checks, log)
			failing := []string{}
			for name, res := range results {
				if res != "ok" {
					failing = append(failing, name)
				}
			}
			sort.Strings(failing)
			if len(failing) > 0 {
				writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failing": failing, "checks": results})
				return
			}
			writeHealth(w, http.StatusOK, map[string]any{"status": "ok", "checks": results})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// runChecks asks every backend at once and returns "ok", "timeout" or
// "error" for each.
func runChecks(ctx context.Context, checks []healthCheck, log *slog.Logger) map[string]string {
	results := make(map[string]string, len(checks))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, c := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, readyTimeout)
			defer cancel()
			res := "ok"
			if err := c.ping(cctx); err != nil {
				res = "error"
				if cctx.Err() != nil {
					res = "timeout"
				}
				log.WarnContext(ctx, "readiness check failed", "backend", c.name, "err", err)
			}
			mu.Lock()
			results[c.name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return results
}

// methodNotAllowed answers a probe path asked with another method than
// GET or HEAD, with the API's error body.
func methodNotAllowed(w http.ResponseWriter) {
	w.Header().Set("Allow", "GET, HEAD")
	httpauth.WriteError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use GET or HEAD")
}

func writeHealth(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
