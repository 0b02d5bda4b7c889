// Command latchbench measures Latch in one run, side by side on every
// store: against the least its storage can cost (the same SQL and Redis
// commands sent straight through the driver), against Lucia v2 in Node on
// the same SQLite file and PostgreSQL database, over HTTP on a real latchd
// process, as tables grow from 10^4 to 10^6 live rows, and in password
// hashing. It prints one markdown table and can write the results as JSON.
//
//	(cd bench/lucia && npm ci)    # once, for the Lucia columns
//	go run ./cmd/latchbench -json bench/results/full.json
//	go run ./cmd/latchbench -quick -stores memory,sqlite
//
// A server that does not answer makes its store "skipped" in the table,
// with the reason; without node (or bench/lucia/node_modules) the Lucia
// columns are "n/a", with the reason. bench/README.md explains each
// column and holds the results of a full run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is the run's settings.
type config struct {
	stores   []string
	sections map[string]bool
	// metricsOverhead: the HTTP section compares latchd with and without
	// --metrics-addr, both running, load alternated.
	metricsOverhead bool
	quick           bool
	jsonPath        string

	duration time.Duration // per side of each store measurement
	n        int           // per side, instead of duration
	rounds   int
	warmup   time.Duration
	users    int

	hashDuration time.Duration // per side of the password operations
	hashN        int

	httpDuration, httpWarmup time.Duration
	conns                    []int
	latchd, latchdLogLevel   string

	growthSmall, growthBig int
	settle                 time.Duration // pause after each bulk load

	postgres, mysql, redis string
	node, luciaDir         string
	moduleDir              string
	cpuprofile             string
	keepDir                bool
	// strict makes a run that measured less than it was asked to (a
	// store skipped, a row failed, the Lucia peer missing) exit 1.
	strict bool

	log     io.Writer
	command string
	start   time.Time
}

// lockedWriter serialises writes to the log: latchbench's own lines and
// the lines of the latchd and Node processes it runs (copied by their own
// goroutines) share it.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (c *config) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "latchbench: %6.1fs: "+format+"\n", append([]any{time.Since(c.start).Seconds()}, args...)...)
}

func (c *config) hasStore(name string) bool { return slices.Contains(c.stores, name) }

// storeBudget is the budget of the fast store operations.
func (c *config) storeBudget() budget {
	return budget{d: c.duration, n: c.n, rounds: c.rounds, warmup: c.warmup}
}

// slowBudget is the budget of the password operations, tens of
// milliseconds each.
func (c *config) slowBudget() budget {
	return budget{d: c.hashDuration, n: c.hashN, rounds: c.rounds}
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseFlags reads the command line. -quick changes the defaults of the
// flags that are not given.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{log: &lockedWriter{w: stderr}, command: "latchbench " + strings.Join(args, " "), start: time.Now()}
	fs := flag.NewFlagSet("latchbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stores := fs.String("stores", strings.Join(allStores, ","), "comma-separated stores: "+strings.Join(allStores, ", "))
	sections := fs.String("sections", strings.Join(allSections, ","), "comma-separated sections: "+strings.Join(allSections, ", "))
	fs.BoolVar(&c.quick, "quick", false, "tiny sizes and short durations, for CI (growth 10^3 vs 10^4)")
	fs.StringVar(&c.jsonPath, "json", "", "also write the results as JSON to this file")
	fs.DurationVar(&c.duration, "duration", 2*time.Second, "measured time per side of each store operation (quick: 50ms)")
	fs.IntVar(&c.n, "n", 0, "measured calls per side of each operation, instead of -duration")
	fs.IntVar(&c.rounds, "rounds", 4, "rounds in which Latch and the limit alternate (quick: 2)")
	fs.DurationVar(&c.warmup, "warmup", 200*time.Millisecond, "untimed calls before measuring (quick: 10ms)")
	fs.IntVar(&c.users, "users", 1000, "users, each with a session and a key, in each store (quick: 200)")
	fs.DurationVar(&c.hashDuration, "hash-duration", 0, "measured time per side of the password operations (default: -duration; quick: 1ms, one call per round)")
	fs.IntVar(&c.hashN, "hash-n", 0, "measured calls per side of the password operations (default with -n: min(n, 20))")
	fs.DurationVar(&c.httpDuration, "http-duration", 5*time.Second, "measured time per HTTP load level (quick: 1s)")
	fs.DurationVar(&c.httpWarmup, "http-warmup", time.Second, "untimed load before each HTTP level (quick: 500ms)")
	conns := fs.String("conns", "1,16,64", "concurrent connections of the HTTP load levels")
	fs.StringVar(&c.latchd, "latchd", "", "latchd binary to run (default: go build ./cmd/latchd)")
	fs.BoolVar(&c.metricsOverhead, "metrics-overhead", false, "http: run a second latchd with --metrics-addr on the same store and alternate the load between the two (-rounds rounds of -http-duration each), to measure what the metrics cost")
	fs.StringVar(&c.latchdLogLevel, "latchd-log-level", "warn", "latchd --log-level during the HTTP load (info logs every request)")
	fs.IntVar(&c.growthSmall, "growth-small", 10_000, "live sessions and tokens of the growth section's first point (quick: 1000)")
	fs.IntVar(&c.growthBig, "growth-big", 1_000_000, "live sessions and tokens of its second point (quick: 10000)")
	fs.DurationVar(&c.settle, "settle", 2*time.Second, "pause after each growth bulk load, once the server has checkpointed (quick: 100ms)")
	fs.StringVar(&c.postgres, "postgres", getenv("LATCH_TEST_POSTGRES", defaultPostgres), "PostgreSQL URL (env LATCH_TEST_POSTGRES)")
	fs.StringVar(&c.mysql, "mysql", getenv("LATCH_TEST_MYSQL", defaultMySQL), "MariaDB/MySQL DSN (env LATCH_TEST_MYSQL)")
	fs.StringVar(&c.redis, "redis", getenv("LATCH_TEST_REDIS", defaultRedis), "Redis URL (env LATCH_TEST_REDIS)")
	fs.StringVar(&c.node, "node", "node", "Node.js executable for the Lucia peer")
	fs.StringVar(&c.luciaDir, "lucia-dir", "", "the Lucia peer (default: bench/lucia of the module)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of this process (not of latchd or node) to this file")
	fs.BoolVar(&c.keepDir, "keep", false, "keep the temporary directory (SQLite files, latchd binary)")
	fs.BoolVar(&c.strict, "strict", false, "exit 1 when anything asked for was not measured: a store skipped, a row with an error, the Lucia peer unavailable (for CI)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if c.quick {
		quick := map[string]func(){
			"duration": func() { c.duration = 50 * time.Millisecond }, "rounds": func() { c.rounds = 2 },
			"warmup": func() { c.warmup = 10 * time.Millisecond }, "users": func() { c.users = 200 },
			"hash-duration": func() { c.hashDuration = time.Millisecond },
			"http-duration": func() { c.httpDuration = time.Second },
			"http-warmup":   func() { c.httpWarmup = 500 * time.Millisecond },
			"growth-small":  func() { c.growthSmall = 1000 }, "growth-big": func() { c.growthBig = 10_000 },
			"settle": func() { c.settle = 100 * time.Millisecond },
		}
		for name, set := range quick {
			if !given[name] {
				set()
			}
		}
	}
	if !given["hash-duration"] && !c.quick {
		c.hashDuration = c.duration
	}
	if !given["hash-n"] && c.n > 0 {
		c.hashN = min(c.n, 20)
	}
	for _, s := range splitList(*stores) {
		if !slices.Contains(allStores, s) {
			return nil, fmt.Errorf("-stores: unknown store %q (want some of %s)", s, strings.Join(allStores, ", "))
		}
		if !slices.Contains(c.stores, s) {
			c.stores = append(c.stores, s)
		}
	}
	slices.SortFunc(c.stores, func(a, b string) int { return slices.Index(allStores, a) - slices.Index(allStores, b) })
	c.sections = map[string]bool{}
	for _, s := range splitList(*sections) {
		if !slices.Contains(allSections, s) {
			return nil, fmt.Errorf("-sections: unknown section %q (want some of %s)", s, strings.Join(allSections, ", "))
		}
		c.sections[s] = true
	}
	for _, s := range splitList(*conns) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-conns: %q is not a positive number", s)
		}
		c.conns = append(c.conns, n)
	}
	switch {
	case len(c.stores) == 0:
		return nil, errors.New("-stores: no store")
	case c.duration <= 0 && c.n <= 0:
		return nil, errors.New("-duration must be positive (or give -n)")
	case c.n < 0 || c.hashN < 0:
		return nil, errors.New("-n and -hash-n must not be negative")
	case c.rounds < 1 || c.users < 1:
		return nil, errors.New("-rounds and -users must be at least 1")
	case c.growthSmall < 10 || c.growthBig <= c.growthSmall:
		return nil, errors.New("-growth-small must be at least 10 and -growth-big larger")
	case c.httpDuration <= 0:
		return nil, errors.New("-http-duration must be positive")
	case len(c.conns) == 0:
		return nil, errors.New("-conns: no level")
	}
	dir, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	c.moduleDir = dir
	if c.luciaDir == "" {
		c.luciaDir = filepath.Join(dir, "bench", "lucia")
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// moduleRoot finds the directory of Latch's go.mod from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/latchauth/latch\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run latchbench inside the Latch module (no go.mod of github.com/latchauth/latch above the working directory)")
		}
		dir = parent
	}
}

// run executes one command line and returns the exit code: 0 for a
// completed run (whatever it measured), 1 for a failure, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "latchbench:", err)
		return 2
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "latchbench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "latchbench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "latchbench:", err)
		return 1
	}
	writeTable(stdout, rep)
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, rep); err != nil {
			fmt.Fprintln(stderr, "latchbench:", err)
			return 1
		}
	}
	if cfg.strict {
		if gaps := unmeasured(cfg, rep); len(gaps) > 0 {
			fmt.Fprintln(stderr, "latchbench: -strict: not measured:\n\t"+strings.Join(gaps, "\n\t"))
			return 1
		}
	}
	return 0
}

// unmeasured lists what the run was asked to measure and did not: skipped
// stores, rows with an error or skipped, and the Lucia peer when its
// section was selected. Missed targets are not in it: they are results.
func unmeasured(cfg *config, rep *Report) []string {
	var gaps []string
	for _, st := range rep.Stores {
		if st.Status != "ok" {
			gaps = append(gaps, fmt.Sprintf("store %s: %s", st.Name, st.Reason))
		}
	}
	for _, r := range rep.Rows {
		switch {
		case r.Error != "":
			gaps = append(gaps, fmt.Sprintf("%s [%s]: error: %s", r.Operation, r.Store, r.Error))
		case r.Skipped != "":
			gaps = append(gaps, fmt.Sprintf("%s [%s]: skipped: %s", r.Operation, r.Store, r.Skipped))
		case r.Lucia == nil && r.luciaKey != "" && rep.Lucia.Available:
			gaps = append(gaps, fmt.Sprintf("%s [%s]: Lucia: %s", r.Operation, r.Store, r.LuciaNote))
		}
	}
	if cfg.sections[secLucia] && !rep.Lucia.Available {
		gaps = append(gaps, "the Lucia peer: "+rep.Lucia.Reason)
	}
	return gaps
}

// skip returns why a store cannot be measured, or "".
func (s *servers) skip(store string) string {
	var err error
	var what, addr string
	switch store {
	case "postgres":
		err, what, addr = s.postgresErr, "PostgreSQL", s.postgres
	case "mysql":
		err, what, addr = s.mysqlErr, "MariaDB/MySQL", s.mysql
	case "redis":
		err, what, addr = s.redisErr, "Redis", s.redis
	}
	if err == nil {
		return ""
	}
	return fmt.Sprintf("%s at %s does not answer (%s)", what, redactURL(addr), shortErr(err))
}

// checkServers finds which servers answer.
func checkServers(ctx context.Context, cfg *config) *servers {
	s := &servers{postgres: cfg.postgres, mysql: cfg.mysql, redis: cfg.redis}
	need := func(names ...string) bool {
		for _, n := range names {
			if cfg.hasStore(n) {
				return true
			}
		}
		return false
	}
	notAsked := errors.New("not selected by -stores")
	s.postgresErr, s.mysqlErr, s.redisErr = notAsked, notAsked, notAsked
	if need("postgres", "redis") {
		s.postgresErr = pingPostgres(ctx, cfg.postgres)
	}
	if need("mysql") {
		s.mysqlErr = pingMySQL(ctx, cfg.mysql)
	}
	if need("redis") {
		s.redisErr = pingRedis(ctx, cfg.redis)
	}
	return s
}

// bench runs every section and assembles the report.
func bench(ctx context.Context, cfg *config) (*Report, error) {
	started := time.Now()
	rep := &Report{
		Version: 1, Started: started.UTC().Format(time.RFC3339), Command: cfg.command, Quick: cfg.quick,
		Machine: Machine{
			GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
			CPUs: runtime.NumCPU(), CPUModel: cpuModel(), GOMAXPROCS: runtime.GOMAXPROCS(0),
			LoadStart: loadAverage(),
		},
	}
	if cfg.n > 0 {
		rep.N = cfg.n
	} else {
		rep.Duration = cfg.duration.String()
	}
	dir, err := os.MkdirTemp("", "latchbench-")
	if err != nil {
		return nil, err
	}
	if cfg.keepDir {
		cfg.logf("keeping %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	srv := checkServers(ctx, cfg)
	for _, name := range cfg.stores {
		st := StoreStatus{Name: name, Status: "ok"}
		if reason := srv.skip(name); reason != "" {
			st.Status, st.Reason = "skipped", reason
			cfg.logf("%s: skipped: %s", name, reason)
		}
		if name == "redis" && st.Status == "ok" && srv.postgresErr != nil {
			st.Reason = "users and keys in SQLite: PostgreSQL does not answer"
		}
		rep.Stores = append(rep.Stores, st)
	}
	h, err := makeHashes()
	if err != nil {
		return nil, err
	}

	// Lucia runs after the Go store measurements, on the same SQLite file
	// and PostgreSQL schema, so the two never compete for the machine.
	rep.Lucia = LuciaInfo{Reason: "the lucia section was not selected"}
	if cfg.sections[secLucia] {
		if node, _, err := luciaPeer(cfg); err != nil {
			rep.Lucia.Reason = err.Error()
		} else {
			rep.Lucia = LuciaInfo{Available: true, Node: node}
		}
	}
	var rows []Row
	var kept []*env
	if cfg.sections[secStore] {
		var r []Row
		r, kept = benchStores(ctx, cfg, srv, dir, h, rep.Lucia.Available)
		rows = append(rows, r...)
	}
	if cfg.sections[secHash] {
		rows = append(rows, benchHash(ctx, cfg, h)...)
	}
	var peer *luciaOutput
	if rep.Lucia.Available {
		job := luciaJob{
			DurationMS: cfg.duration.Milliseconds(), N: cfg.n, WarmupMS: cfg.warmup.Milliseconds(),
			Users: cfg.users, PasswordUsers: passwordUsers, Password: benchPassword,
			Hash: cfg.sections[secHash], HashDurationMS: max(cfg.hashDuration.Milliseconds(), 1), HashN: cfg.hashN,
		}
		for _, e := range kept {
			switch e.name {
			case "sqlite":
				job.SQLite = e.sqlitePath
			case "postgres":
				base, _, _ := strings.Cut(e.pgURL, "?")
				job.PostgresURL, job.PostgresSchema = base, e.pgSchema
				if q := queryWithout(e.pgURL, "search_path"); q != "" {
					job.PostgresURL += "?" + q
				}
			}
		}
		if job.SQLite != "" || job.PostgresURL != "" || job.Hash {
			cfg.logf("lucia: running the Node peer")
			out, err := runLucia(ctx, cfg, job)
			if err != nil {
				rep.Lucia = LuciaInfo{Reason: shortErr(err)}
				cfg.logf("lucia: %v", err)
			} else {
				peer = out
				rep.Lucia.Version = out.Lucia
			}
		}
	}
	for _, e := range kept {
		e.close()
	}
	fillLucia(rows, peer, rep.Lucia)
	if cfg.sections[secHTTP] {
		rows = append(rows, benchHTTP(ctx, cfg, srv, dir)...)
	}
	if cfg.sections[secGrowth] {
		rows = append(rows, benchGrowth(ctx, cfg, srv, dir, h)...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortRows(rows)
	evaluate(rows)
	rep.Rows = rows
	for _, r := range rows {
		for _, t := range r.Targets {
			if t.Met {
				rep.TargetsMet++
			} else {
				rep.Missed = append(rep.Missed, fmt.Sprintf("%s [%s] %s", r.Operation, r.Store, t.Name))
			}
		}
	}
	rep.Seconds = time.Since(started).Seconds()
	rep.Machine.LoadEnd = loadAverage()
	return rep, nil
}

// queryWithout returns the query of rawURL without the named parameter.
func queryWithout(rawURL, name string) string {
	_, q, ok := strings.Cut(rawURL, "?")
	if !ok {
		return ""
	}
	var keep []string
	for _, kv := range strings.Split(q, "&") {
		if k, _, _ := strings.Cut(kv, "="); k != name && kv != "" {
			keep = append(keep, kv)
		}
	}
	return strings.Join(keep, "&")
}

// benchStores measures the store operations on each store, Latch and the
// limit in alternating rounds. It returns the envs the Lucia peer will use
// (SQLite and PostgreSQL), still open.
func benchStores(ctx context.Context, cfg *config, srv *servers, dir string, h hashes, lucia bool) ([]Row, []*env) {
	var rows []Row
	var kept []*env
	for _, name := range cfg.stores {
		if srv.skip(name) != "" {
			continue
		}
		fail := func(label string, err error) {
			cfg.logf("%s: %v", name, err)
			for _, o := range storeOps {
				rows = append(rows, Row{Section: secStore, Operation: o.title, Store: label, Error: shortErr(err)})
			}
		}
		cfg.logf("%s: opening and seeding %d users", name, cfg.users)
		e, err := openEnv(ctx, name, srv, dir)
		if err != nil {
			fail(name, err)
			continue
		}
		if err := e.seed(ctx, cfg.users, true, h); err != nil {
			fail(e.label, err)
			e.close()
			continue
		}
		pairs, err := e.pairs(h)
		if err != nil {
			fail(e.label, err)
			e.close()
			continue
		}
		for _, o := range storeOps {
			p := pairs[o.key]
			b := cfg.storeBudget()
			if strings.HasPrefix(o.key, "key_") {
				b = cfg.slowBudget()
			}
			r := Row{Section: secStore, Operation: o.title, Store: e.label, LimitNote: p.limitNote}
			switch {
			case name != "sqlite" && name != "postgres":
				r.LuciaNote = "the peer runs on SQLite and PostgreSQL"
			case o.key == "key_argon2id":
				r.LuciaNote = "Lucia v2 has no Argon2id; see the s2 row"
			default:
				r.luciaKey = o.key
			}
			s, err := measure(ctx, b, p.latch, p.limit)
			if err != nil {
				r.Error = shortErr(err)
				cfg.logf("%s: %s: %v", name, o.title, err)
				rows = append(rows, r)
				continue
			}
			r.Latch, r.LatchCalls = f64(s[0].perSec()), s[0].Ops
			if p.limit != nil {
				r.Limit, r.LimitCalls = f64(s[1].perSec()), s[1].Ops
				r.LimitRatio = ratio(r.Latch, r.Limit)
			}
			cfg.logf("%s: %s: latch %.0f ops/s, limit %.0f ops/s", e.label, o.title, s[0].perSec(), s[1].perSec())
			rows = append(rows, r)
		}
		if lucia && cfg.sections[secLucia] && (name == "sqlite" || name == "postgres") {
			kept = append(kept, e)
		} else {
			e.close()
		}
	}
	return rows, kept
}

// fillLucia puts the peer's numbers beside Latch's.
func fillLucia(rows []Row, peer *luciaOutput, info LuciaInfo) {
	for i := range rows {
		r := &rows[i]
		if r.luciaKey == "" {
			continue
		}
		if !info.Available || peer == nil {
			r.LuciaNote = info.Reason
			continue
		}
		store := r.Store
		if r.Section == secHash {
			store = "cpu"
		}
		res, ok := peer.find(store, r.luciaKey)
		switch {
		case !ok && peer.Errors[store] != "":
			r.LuciaNote = "error: " + shortErr(errors.New(peer.Errors[store]))
		case !ok:
			r.LuciaNote = "not measured"
		case res.Error != "":
			r.LuciaNote = "error: " + shortErr(errors.New(res.Error))
		default:
			r.Lucia = f64(res.OpsPerSec)
			r.LuciaRatio = ratio(r.Latch, r.Lucia)
			if res.Note != "" {
				r.LuciaNote = res.Note
			}
		}
	}
}

// sortRows orders the table: store operations side by side by store,
// then HTTP, growth and hashing, each in the order measured.
func sortRows(rows []Row) {
	secOrder := map[string]int{secStore: 0, secHTTP: 1, secGrowth: 2, secHash: 3}
	opOrder := map[string]int{}
	for i, o := range storeOps {
		opOrder[o.title] = i
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if d := secOrder[a.Section] - secOrder[b.Section]; d != 0 {
			return d
		}
		if a.Section == secStore {
			return opOrder[a.Operation] - opOrder[b.Operation]
		}
		return 0
	})
}

// evaluate attaches the targets to the rows they apply to.
func evaluate(rows []Row) {
	for i := range rows {
		r := &rows[i]
		if r.Error != "" || r.Skipped != "" {
			continue
		}
		switch r.Section {
		case secStore:
			if r.LimitRatio != nil {
				r.Targets = append(r.Targets, Target{Name: "≥0.85× limit", Met: *r.LimitRatio >= 0.85})
			}
			if r.Operation == storeOps[0].title && r.LuciaRatio != nil {
				r.Targets = append(r.Targets, Target{Name: "≥3× Lucia", Met: *r.LuciaRatio >= 3})
			}
		case secHTTP:
			if r.Store == "sqlite" && r.HTTP != nil && r.HTTP.Conns == 16 {
				r.Targets = append(r.Targets,
					Target{Name: "≥10,000 req/s", Met: *r.Latch >= 10_000},
					Target{Name: "p99 <10 ms", Met: r.HTTP.P99Ms < 10 && r.HTTP.Errors == 0})
			}
		}
	}
}

// cpuModel reads the processor's name on Linux.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage is the 1-minute load average on Linux, "" elsewhere.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
