package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// These tests run the tool as a user would and check that what it prints
// and writes is well-formed and complete. They assert nothing about
// timings: the numbers only have to be there.

const tableHeader = "| operation | store | latch ops/s | limit ops/s | ratio | lucia ops/s | ratio | target | met? |"

// raceBuild reports whether this test binary was built with -race.
func raceBuild() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

// buildTestLatchd builds latchd once for the test, with -race when the test
// has it (so that the packages the test compiled are reused).
func buildTestLatchd(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "latchd")
	args := []string{"build", "-o", bin}
	if raceBuild() {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/latchd")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/latchd: %v\n%s", err, out)
	}
	return bin
}

// parseTable checks the table's shape and returns its data rows as cells.
// Lines after the table (the notes) are returned in notes.
func parseTable(t *testing.T, out string) (rows [][]string, notes []string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 || lines[0] != tableHeader {
		t.Fatalf("output does not start with the table header:\n%s", out)
	}
	if lines[1] != "|---|---|--:|--:|--:|--:|--:|---|---|" {
		t.Fatalf("bad separator line %q", lines[1])
	}
	i := 2
	for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
		l := lines[i]
		if !strings.HasSuffix(l, " |") || !strings.HasPrefix(l, "| ") {
			t.Fatalf("malformed row %q", l)
		}
		cells := strings.Split(l[2:len(l)-2], " | ")
		if len(cells) != 9 {
			t.Fatalf("row has %d cells, want 9: %q", len(cells), l)
		}
		for k, c := range cells {
			if strings.TrimSpace(c) == "" {
				t.Fatalf("row %q: cell %d is empty", l, k)
			}
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		t.Fatal("the table has no rows")
	}
	for ; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "|") {
			t.Fatalf("table line %q after the notes", lines[i])
		}
		notes = append(notes, lines[i])
	}
	return rows, notes
}

func readReport(t *testing.T, path string) *Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	rep := &Report{}
	if err := dec.Decode(rep); err != nil {
		t.Fatalf("the JSON does not decode: %v\n%s", err, b)
	}
	return rep
}

func runTool(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func positive(v *float64) bool { return v != nil && *v > 0 && !math.IsInf(*v, 0) && !math.IsNaN(*v) }

// TestQuickRun runs the tool in -quick mode on memory and SQLite, and on
// every server when LATCH_TEST_REQUIRE_SERVICES=1, and checks every row.
// The Lucia peer is left out (TestLuciaPeer has it): its columns must then
// say why they are empty.
func TestQuickRun(t *testing.T) {
	t.Parallel()
	required := os.Getenv("LATCH_TEST_REQUIRE_SERVICES") == "1"
	stores := []string{"memory", "sqlite"}
	if required {
		stores = allStores
	}
	jsonPath := filepath.Join(t.TempDir(), "out.json")
	// One round and no warm-up: each password operation (slow under
	// -race) then runs once per side. Growth from 100 to 1000 rows: the
	// bulk loads are slow under -race too.
	code, stdout, stderr := runTool(t, "-quick", "-rounds", "1", "-warmup", "0", "-growth-small", "100", "-growth-big", "1000",
		"-stores", strings.Join(stores, ","),
		"-sections", "store,http,growth,hash", "-json", jsonPath, "-latchd", buildTestLatchd(t))
	if code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", code, stderr)
	}
	table, notes := parseTable(t, stdout)
	rep := readReport(t, jsonPath)

	if !rep.Quick || rep.Version != 1 || rep.Machine.CPUs < 1 || rep.Machine.GoVersion == "" {
		t.Errorf("report header: %+v", rep)
	}
	ok := map[string]bool{}
	for _, st := range rep.Stores {
		switch st.Status {
		case "ok":
			ok[st.Name] = true
		case "skipped":
			if required {
				t.Errorf("store %s skipped with LATCH_TEST_REQUIRE_SERVICES=1: %s", st.Name, st.Reason)
			}
			if st.Reason == "" {
				t.Errorf("store %s skipped without a reason", st.Name)
			}
		default:
			t.Errorf("store %s: status %q", st.Name, st.Status)
		}
	}
	if len(rep.Stores) != len(stores) {
		t.Errorf("%d stores in the report, want %d", len(rep.Stores), len(stores))
	}

	// One table line per JSON row, plus one per skipped store.
	if want := len(rep.Rows) + len(stores) - len(ok); len(table) != want {
		t.Errorf("%d table rows, want %d (JSON rows and skipped stores)", len(table), want)
	}

	count := map[string]int{}
	targets := 0
	for _, r := range rep.Rows {
		count[r.Section+"/"+r.Store]++
		targets += len(r.Targets)
		if r.Error != "" || r.Skipped != "" {
			t.Errorf("%s [%s]: error %q, skipped %q", r.Operation, r.Store, r.Error, r.Skipped)
			continue
		}
		if !positive(r.Latch) {
			t.Errorf("%s [%s]: no Latch rate", r.Operation, r.Store)
		}
		switch r.Section {
		case secStore:
			if (r.Store == "memory") != (r.Limit == nil) {
				t.Errorf("%s [%s]: limit %v (want one exactly when a driver is involved)", r.Operation, r.Store, r.Limit)
			}
			if r.Limit != nil {
				if !positive(r.Limit) || !positive(r.LimitRatio) || math.Abs(*r.LimitRatio - *r.Latch / *r.Limit) > 1e-9 {
					t.Errorf("%s [%s]: limit %v, ratio %v", r.Operation, r.Store, r.Limit, r.LimitRatio)
				}
				if !slices.ContainsFunc(r.Targets, func(t Target) bool { return t.Name == "≥0.85× limit" }) {
					t.Errorf("%s [%s]: no limit target", r.Operation, r.Store)
				}
			}
		case secHTTP:
			h := r.HTTP
			if h == nil || h.Requests < 1 || h.P50Ms <= 0 || h.P99Ms < h.P50Ms || h.Errors != 0 {
				t.Errorf("%s [%s]: HTTP detail %+v", r.Operation, r.Store, h)
				continue
			}
			if r.Store == "sqlite" && h.Conns == 16 && len(r.Targets) != 2 {
				t.Errorf("%s [%s]: targets %v, want the rate and the p99", r.Operation, r.Store, r.Targets)
			}
		case secGrowth:
			g := r.Growth
			if g == nil || g.Small != 100 || g.Big != 1000 || g.SmallOps <= 0 || g.BigOps <= 0 ||
				math.Abs(g.CostRatio-g.SmallOps/g.BigOps) > 1e-9 || len(r.Targets) != 1 {
				t.Errorf("%s [%s]: growth detail %+v, targets %v", r.Operation, r.Store, g, r.Targets)
				continue
			}
			// Every store has its limit measured beside it, the memory
			// store's in plain maps.
			if g.LimitSmallOps <= 0 || g.LimitBigOps <= 0 || math.Abs(g.LimitCostRatio-g.LimitSmallOps/g.LimitBigOps) > 1e-9 {
				t.Errorf("%s [%s]: growth limit %+v", r.Operation, r.Store, g)
			}
		case secHash:
			if r.Store != "(cpu)" {
				t.Errorf("%s: store %q", r.Operation, r.Store)
			}
		default:
			t.Errorf("%s: unknown section %q", r.Operation, r.Section)
		}
		if r.Lucia != nil && (!positive(r.Lucia) || !positive(r.LuciaRatio)) {
			t.Errorf("%s [%s]: Lucia %v, ratio %v", r.Operation, r.Store, *r.Lucia, r.LuciaRatio)
		}
	}
	for name := range ok {
		label := name
		for _, r := range rep.Rows {
			if r.Section == secStore && strings.HasPrefix(r.Store, name) {
				label = r.Store
				break
			}
		}
		if count[secStore+"/"+label] != len(storeOps) || count[secGrowth+"/"+label] != 2 {
			t.Errorf("store %s: %d store rows, %d growth rows; want %d and 2",
				name, count[secStore+"/"+label], count[secGrowth+"/"+label], len(storeOps))
		}
	}
	if count[secHTTP+"/sqlite"] != 3 || count[secHash+"/(cpu)"] != 4 {
		t.Errorf("rows per section and store: %v", count)
	}
	if required && count[secHTTP+"/postgres+redis"] != 3 {
		t.Errorf("no PostgreSQL+Redis HTTP rows: %v", count)
	}
	if rep.TargetsMet+len(rep.Missed) != targets {
		t.Errorf("targets met %d + missed %d, want %d in all", rep.TargetsMet, len(rep.Missed), targets)
	}

	// Without the peer, its columns say why.
	if rep.Lucia.Available || rep.Lucia.Reason != "the lucia section was not selected" {
		t.Errorf("Lucia: %+v, want unavailable because the section was not selected", rep.Lucia)
	}
	if !slices.Contains(notes, "Lucia columns n/a: "+rep.Lucia.Reason) {
		t.Errorf("no note on the Lucia columns:\n%s", stdout)
	}
	for _, cells := range table {
		if cells[1] == "sqlite" && cells[0] == "validate session" && cells[5] != "n/a: "+rep.Lucia.Reason {
			t.Errorf("Lucia cell %q without the peer", cells[5])
		}
	}
}

// luciaInstalled reports why the Lucia peer cannot run, or "".
func luciaInstalled(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed"
	}
	dir := filepath.Join(root, "bench", "lucia")
	for _, f := range []string{"lucia/package.json", "better-sqlite3/build/Release/better_sqlite3.node"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", f)); err != nil {
			return "bench/lucia/node_modules is not installed (run: cd bench/lucia && npm ci)"
		}
	}
	return ""
}

// TestLuciaPeer runs the store and hash sections with the Node peer on
// SQLite, a few calls each, under -strict, and checks that every Lucia
// cell that should hold a number does. It needs bench/lucia/node_modules:
// installing it (npm ci, which compiles better-sqlite3) takes longer than
// this package's tests may, so the test is skipped without it, even with
// LATCH_TEST_REQUIRE_SERVICES=1; CI installs it and runs the tool itself.
func TestLuciaPeer(t *testing.T) {
	t.Parallel()
	if why := luciaInstalled(t); why != "" {
		t.Skipf("skipping the Lucia peer: %s", why)
	}
	jsonPath := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runTool(t, "-quick", "-strict", "-rounds", "1", "-stores", "sqlite", "-sections", "store,lucia,hash",
		"-n", "20", "-hash-n", "1", "-users", "50", "-json", jsonPath)
	if code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", code, stderr)
	}
	table, notes := parseTable(t, stdout)
	rep := readReport(t, jsonPath)
	if !rep.Lucia.Available || rep.Lucia.Version != "2.7.7" || rep.Lucia.Node == "" {
		t.Errorf("Lucia: %+v, want the pinned 2.7.7 available", rep.Lucia)
	}
	if slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "Lucia columns n/a") }) {
		t.Errorf("a note says the Lucia columns are n/a:\n%s", stdout)
	}
	if len(table) != len(storeOps)+4 {
		t.Errorf("%d table rows, want %d store rows and 4 hash rows", len(table), len(storeOps))
	}
	for _, r := range rep.Rows {
		wantLucia := r.Operation != "use key + password (Argon2id)"
		if got := r.Lucia != nil; got != wantLucia {
			t.Errorf("%s [%s]: Lucia %v (note %q), want a number: %v", r.Operation, r.Store, r.Lucia, r.LuciaNote, wantLucia)
			continue
		}
		if wantLucia && (!positive(r.Lucia) || !positive(r.LuciaRatio) || math.Abs(*r.LuciaRatio - *r.Latch / *r.Lucia) > 1e-9) {
			t.Errorf("%s [%s]: Lucia %v, ratio %v", r.Operation, r.Store, *r.Lucia, r.LuciaRatio)
		}
		if !wantLucia && r.LuciaNote == "" {
			t.Errorf("%s [%s]: no Lucia number and no note", r.Operation, r.Store)
		}
	}
	if !slices.ContainsFunc(rep.Rows, func(r Row) bool {
		return r.Operation == storeOps[0].title && slices.ContainsFunc(r.Targets, func(t Target) bool { return t.Name == "≥3× Lucia" })
	}) {
		t.Error("session validation is not held to ≥3× Lucia")
	}
}

// TestUnavailable points the tool at servers and a node that are not
// there: the stores are reported as skipped and the Lucia columns as n/a,
// each with its reason, and the run completes.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	jsonPath := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runTool(t, "-quick", "-rounds", "1", "-warmup", "0", "-sections", "store,lucia,hash",
		"-stores", "memory,postgres,mysql,redis",
		"-postgres", "postgres://root@127.0.0.1:1/test?sslmode=disable&connect_timeout=2",
		"-mysql", "root@tcp(127.0.0.1:1)/test?timeout=2s",
		"-redis", "redis://127.0.0.1:1/0",
		"-node", filepath.Join(t.TempDir(), "no-node"),
		"-json", jsonPath)
	if code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", code, stderr)
	}
	table, notes := parseTable(t, stdout)
	rep := readReport(t, jsonPath)
	skipped := map[string]string{}
	for _, cells := range table {
		if cells[0] == "(every section)" {
			skipped[cells[1]] = cells[2]
		}
	}
	for _, name := range []string{"postgres", "mysql", "redis"} {
		if !strings.HasPrefix(skipped[name], "skipped: ") || !strings.Contains(skipped[name], "does not answer") {
			t.Errorf("store %s: %q, want skipped with the reason", name, skipped[name])
		}
	}
	for _, st := range rep.Stores {
		if (st.Name == "memory") != (st.Status == "ok") {
			t.Errorf("store %s: status %q (%s)", st.Name, st.Status, st.Reason)
		}
	}
	if rep.Lucia.Available || !strings.Contains(rep.Lucia.Reason, "not found") {
		t.Errorf("Lucia: %+v, want unavailable because node is not found", rep.Lucia)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "Lucia columns n/a: ") }) {
		t.Errorf("no note on the Lucia columns:\n%s", stdout)
	}
	var memoryRows int
	for _, r := range rep.Rows {
		if r.Store == "memory" {
			memoryRows++
		}
		if r.Section == secHash && !strings.HasPrefix(r.LuciaNote, rep.Lucia.Reason) {
			t.Errorf("%s: Lucia note %q, want the reason", r.Operation, r.LuciaNote)
		}
	}
	if memoryRows != len(storeOps) {
		t.Errorf("%d memory rows, want %d", memoryRows, len(storeOps))
	}

	// -strict turns what was not measured into a failure, and says what.
	// (No SQLite store: the http section then has nothing to run.)
	code, _, stderr = runTool(t, "-quick", "-strict", "-sections", "lucia,http", "-stores", "memory,redis",
		"-redis", "redis://127.0.0.1:1/0", "-node", filepath.Join(t.TempDir(), "no-node"))
	if code != 1 || !strings.Contains(stderr, "store redis: ") || !strings.Contains(stderr, "the Lucia peer: ") {
		t.Errorf("-strict: exit code %d, want 1 naming redis and the Lucia peer\nstderr:\n%s", code, stderr)
	}
}

// TestUsage checks that bad command lines are refused with status 2.
func TestUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-stores", "oracle"},
		{"-sections", "everything"},
		{"-conns", "0"},
		{"-growth-small", "100", "-growth-big", "100"},
		{"stray"},
	} {
		if code, _, _ := runTool(t, args...); code != 2 {
			t.Errorf("%v: exit code %d, want 2", args, code)
		}
	}
	if code, _, _ := runTool(t, "-h"); code != 0 {
		t.Errorf("-h: exit code %d, want 0", code)
	}
}
