package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/sqlite"
)

// httpSessions is how many sessions the load generator spreads its
// requests over.
const httpSessions = 100

// httpBackend is a configuration latchd is started with.
type httpBackend struct {
	name  string
	args  []string // latchd flags
	seed  func(ctx context.Context) ([]string, error)
	close func()
}

// buildLatchd builds ./cmd/latchd into dir, or returns cfg.latchd when set.
func buildLatchd(ctx context.Context, cfg *config, dir string) (string, error) {
	if cfg.latchd != "" {
		return cfg.latchd, nil
	}
	bin := filepath.Join(dir, "latchd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/latchd")
	cmd.Dir = cfg.moduleDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/latchd: %v: %s", err, lastLine(string(out)))
	}
	return bin, nil
}

// seedSessions creates users with one active session each and returns the
// session tokens.
func seedSessions(ctx context.Context, a *latch.Auth, n int) ([]string, error) {
	var toks []string
	err := a.InTx(ctx, func(ctx context.Context) error {
		for i := range n {
			email := fmt.Sprintf("http%d@example.com", i)
			u, err := a.CreateUser(ctx, latch.CreateUserOptions{
				Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: email},
				Attributes: latch.Attributes{"email": email, "email_verified": true, "name": fmt.Sprintf("User %d", i)},
			})
			if err != nil {
				return err
			}
			s, err := a.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID, Attributes: sessionAttrs})
			if err != nil {
				return err
			}
			toks = append(toks, s.Token)
		}
		return nil
	})
	return toks, err
}

// httpBackends returns the configurations to measure: SQLite, and
// PostgreSQL with Redis when both answer. Skipped ones come with a reason.
func httpBackends(ctx context.Context, cfg *config, srv *servers, dir string) ([]httpBackend, map[string]string) {
	var out []httpBackend
	skipped := map[string]string{}
	if cfg.hasStore("sqlite") {
		path := filepath.Join(dir, "latchd-"+suffix()+".db")
		out = append(out, httpBackend{
			name: "sqlite",
			args: []string{"--database-url", "sqlite:" + path, "--migrate", "true"},
			seed: func(ctx context.Context) ([]string, error) {
				s, err := sqlite.Open(path)
				if err != nil {
					return nil, err
				}
				defer s.Close()
				if err := s.Migrate(ctx); err != nil {
					return nil, err
				}
				a, err := latch.New(latch.Config{Store: s})
				if err != nil {
					return nil, err
				}
				return seedSessions(ctx, a, httpSessions)
			},
			close: func() {},
		})
	}
	if cfg.hasStore("postgres") && cfg.hasStore("redis") {
		switch {
		case srv.postgresErr != nil:
			skipped["postgres+redis"] = "PostgreSQL: " + shortErr(srv.postgresErr)
		case srv.redisErr != nil:
			skipped["postgres+redis"] = "Redis: " + shortErr(srv.redisErr)
		default:
			pg, err := postgresSchema(ctx, srv.postgres)
			if err != nil {
				skipped["postgres+redis"] = shortErr(err)
				break
			}
			rp, err := redisPrefix(srv.redis)
			if err != nil {
				pg.drop()
				skipped["postgres+redis"] = shortErr(err)
				break
			}
			out = append(out, httpBackend{
				name: "postgres+redis",
				args: []string{"--database-url", pg.url, "--redis-url", srv.redis, "--redis-prefix", rp.name, "--migrate", "false"},
				seed: func(ctx context.Context) ([]string, error) {
					p, err := postgres.Open(ctx, pg.url)
					if err != nil {
						return nil, err
					}
					defer p.Close()
					if err := p.Migrate(ctx); err != nil {
						return nil, err
					}
					r, err := redis.Open(srv.redis, redis.Options{Prefix: rp.name})
					if err != nil {
						return nil, err
					}
					defer r.Close()
					a, err := latch.New(latch.Config{Store: p, Sessions: r, Tokens: r})
					if err != nil {
						return nil, err
					}
					var toks []string
					// Users in one PostgreSQL transaction; sessions in Redis.
					err = p.InTx(ctx, func(ctx context.Context) error {
						toks, err = seedSessions(ctx, a, httpSessions)
						return err
					})
					return toks, err
				},
				close: func() { pg.drop(); rp.drop() },
			})
		}
	}
	return out, skipped
}

// latchdProc is a running latchd.
type latchdProc struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// startLatchd starts latchd on a free loopback port and waits until it
// says where it listens.
func startLatchd(ctx context.Context, cfg *config, bin string, args []string) (*latchdProc, error) {
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--env", "dev", "--log-level", cfg.latchdLogLevel,
		"--purge-interval", "0"}, args...)
	cmd := exec.Command(bin, full...)
	// A second-factor key of the run's own: a dev latchd on a database
	// server would otherwise keep one in the user's config directory.
	key, err := benchSecretKey()
	if err != nil {
		return nil, err
	}
	cmd.Env = append(latchdEnv(), "LATCH_SECRET_KEY="+key)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = prefixWriter(cfg.log, "latchd: ")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &latchdProc{cmd: cmd, done: make(chan error, 1)}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Latch is running at "); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case p.url = <-urls:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("latchd exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, errors.New("latchd did not start listening within 60s")
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// latchdEnv is the environment without LATCH_ settings, so that only the
// flags given configure latchd.
func latchdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCH_") {
			env = append(env, kv)
		}
	}
	return env
}

// benchSecretKey is the run's key for LATCH_SECRET_KEY, made once.
var benchSecretKey = sync.OnceValues(mfa.GenerateKey)

// stop ends latchd with SIGTERM, then SIGKILL after 15 s.
func (p *latchdProc) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// loadResult is one load level's outcome.
type loadResult struct {
	requests int64
	elapsed  time.Duration
	p50, p99 time.Duration
	errors   int64
	firstErr string
}

// load sends GET /api/auth/session with bearer tokens from conns
// goroutines over at most conns connections: warmup, then d measured.
// Only requests that start and end inside the measured window count.
func load(ctx context.Context, base string, tokens []string, conns int, warmup, d time.Duration) (loadResult, error) {
	tr := &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := base + "/api/auth/session"
	const (
		warming = iota
		measuring
		stopping
	)
	var (
		phase    atomic.Int32
		wg       sync.WaitGroup
		errCount atomic.Int64
		errOnce  sync.Once
		firstErr string
	)
	lats := make([][]time.Duration, conns)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := w
			for {
				ph := phase.Load()
				if ph == stopping || ctx.Err() != nil {
					return
				}
				start := time.Now()
				err := get(ctx, client, url, tokens[i%len(tokens)])
				dt := time.Since(start)
				i++
				if ph != measuring || phase.Load() != measuring {
					continue
				}
				if err != nil {
					errCount.Add(1)
					errOnce.Do(func() { firstErr = shortErr(err) })
					continue
				}
				lats[w] = append(lats[w], dt)
			}
		}()
	}
	sleep := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	sleep(warmup)
	start := time.Now()
	phase.Store(measuring)
	sleep(d)
	phase.Store(stopping)
	elapsed := time.Since(start)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return loadResult{}, err
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := loadResult{requests: int64(len(all)), elapsed: elapsed, errors: errCount.Load(), firstErr: firstErr}
	if len(all) > 0 {
		r.p50 = all[(len(all)-1)*50/100]
		r.p99 = all[(len(all)-1)*99/100]
	}
	return r, nil
}

// get does one request and checks it is a 200 with the user.
func get(ctx context.Context, c *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return err
}

// benchHTTP measures latchd on each backend at each connection count.
func benchHTTP(ctx context.Context, cfg *config, srv *servers, dir string) []Row {
	var rows []Row
	title := func(conns int) string { return fmt.Sprintf("HTTP GET /api/auth/session, %d conns", conns) }
	fail := func(backend string, err error) {
		for _, c := range cfg.conns {
			rows = append(rows, Row{Section: secHTTP, Operation: title(c), Store: backend, Error: shortErr(err)})
		}
	}
	backends, skipped := httpBackends(ctx, cfg, srv, dir)
	for _, name := range []string{"postgres+redis"} {
		if reason, ok := skipped[name]; ok {
			for _, c := range cfg.conns {
				rows = append(rows, Row{Section: secHTTP, Operation: title(c), Store: name, Skipped: reason})
			}
		}
	}
	if len(backends) == 0 {
		return rows
	}
	cfg.logf("http: building latchd")
	bin, err := buildLatchd(ctx, cfg, dir)
	if err != nil {
		for _, b := range backends {
			fail(b.name, err)
			b.close()
		}
		return rows
	}
	for _, b := range backends {
		rows = append(rows, benchBackend(ctx, cfg, bin, b, title)...)
		b.close()
	}
	return rows
}

func benchBackend(ctx context.Context, cfg *config, bin string, b httpBackend, title func(int) string) []Row {
	var rows []Row
	fail := func(err error) []Row {
		for _, c := range cfg.conns {
			rows = append(rows, Row{Section: secHTTP, Operation: title(c), Store: b.name, Error: shortErr(err)})
		}
		return rows
	}
	cfg.logf("http: %s: seeding %d sessions", b.name, httpSessions)
	tokens, err := b.seed(ctx)
	if err != nil {
		return fail(fmt.Errorf("seeding: %w", err))
	}
	p, err := startLatchd(ctx, cfg, bin, b.args)
	if err != nil {
		return fail(err)
	}
	defer p.stop()
	cfg.logf("http: %s: latchd at %s", b.name, p.url)
	// One request first: a session that does not validate is a setup
	// error, not a number.
	if err := get(ctx, http.DefaultClient, p.url+"/api/auth/session", tokens[0]); err != nil {
		return fail(fmt.Errorf("first request: %w", err))
	}
	if cfg.metricsOverhead {
		return append(rows, compareMetrics(ctx, cfg, bin, b, p, tokens, title)...)
	}
	for _, c := range cfg.conns {
		r, err := load(ctx, p.url, tokens, c, cfg.httpWarmup, cfg.httpDuration)
		row := Row{Section: secHTTP, Operation: title(c), Store: b.name}
		if err != nil {
			row.Error = shortErr(err)
			rows = append(rows, row)
			continue
		}
		rps := float64(r.requests) / r.elapsed.Seconds()
		row.Latch, row.LatchCalls = f64(rps), r.requests
		row.HTTP = &HTTPDetail{
			Conns: c, Requests: r.requests, Seconds: r.elapsed.Seconds(),
			P50Ms: float64(r.p50) / 1e6, P99Ms: float64(r.p99) / 1e6,
			Errors: r.errors, FirstError: r.firstErr,
		}
		cfg.logf("http: %s: %d conns: %.0f req/s, p50 %v, p99 %v, %d errors", b.name, c, rps, r.p50, r.p99, r.errors)
		rows = append(rows, row)
	}
	return rows
}

// compareMetrics runs a second latchd with --metrics-addr beside plain
// (same store, same sessions) and, for each load level, alternates the
// load between the two for -rounds rounds (plain first in odd rounds,
// second in even ones), so that the machine's drift falls on both. It
// returns a row for each and logs the ratio.
func compareMetrics(ctx context.Context, cfg *config, bin string, b httpBackend, plain *latchdProc, tokens []string, title func(int) string) []Row {
	var rows []Row
	name := b.name + "+metrics"
	withM, err := startLatchd(ctx, cfg, bin, append(slices.Clone(b.args), "--metrics-addr", "127.0.0.1:0"))
	if err == nil {
		defer withM.stop()
		err = get(ctx, http.DefaultClient, withM.url+"/api/auth/session", tokens[0])
	}
	if err != nil {
		for _, c := range cfg.conns {
			rows = append(rows, Row{Section: secHTTP, Operation: title(c), Store: name, Error: shortErr(err)})
		}
		return rows
	}
	for _, c := range cfg.conns {
		var sum [2]loadResult
		var failed error
		for round := range cfg.rounds {
			order := []int{0, 1}
			if round%2 == 1 {
				order = []int{1, 0}
			}
			for _, i := range order {
				base := []string{plain.url, withM.url}[i]
				r, err := load(ctx, base, tokens, c, cfg.httpWarmup, cfg.httpDuration)
				if err != nil {
					failed = err
					continue
				}
				sum[i].requests += r.requests
				sum[i].elapsed += r.elapsed
				sum[i].errors += r.errors
				sum[i].p50 += r.p50 / time.Duration(cfg.rounds) // the rounds' mean
				sum[i].p99 = max(sum[i].p99, r.p99)             // the worst round's
			}
		}
		var rps [2]float64
		for i, store := range []string{b.name, name} {
			row := Row{Section: secHTTP, Operation: title(c), Store: store}
			if failed != nil || sum[i].elapsed == 0 {
				row.Error = shortErr(failed)
				rows = append(rows, row)
				continue
			}
			rps[i] = float64(sum[i].requests) / sum[i].elapsed.Seconds()
			row.Latch, row.LatchCalls = f64(rps[i]), sum[i].requests
			row.HTTP = &HTTPDetail{Conns: c, Requests: sum[i].requests, Seconds: sum[i].elapsed.Seconds(), Errors: sum[i].errors,
				P50Ms: float64(sum[i].p50) / 1e6, P99Ms: float64(sum[i].p99) / 1e6}
			if i == 1 && rps[0] > 0 {
				row.LimitNote = fmt.Sprintf("%.3f× %s without metrics, alternated over %d rounds", rps[1]/rps[0], b.name, cfg.rounds)
			}
			rows = append(rows, row)
		}
		if rps[0] > 0 {
			cfg.logf("http: %s: %d conns: %.0f req/s without metrics, %.0f with: ratio %.3f", b.name, c, rps[0], rps[1], rps[1]/rps[0])
		}
	}
	return rows
}
