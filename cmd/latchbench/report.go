package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Sections of the run and of the table, in order.
const (
	secStore  = "store"
	secHTTP   = "http"
	secGrowth = "growth"
	secHash   = "hash"
	secLucia  = "lucia" // the Node peer; its numbers go in the other sections' rows
)

var allSections = []string{secStore, secLucia, secHTTP, secGrowth, secHash}

// Target is one goal a row is held to.
type Target struct {
	Name string `json:"name"`
	Met  bool   `json:"met"`
}

// HTTPDetail is the latency of an HTTP row.
type HTTPDetail struct {
	Conns    int     `json:"conns"`
	Requests int64   `json:"requests"`
	Seconds  float64 `json:"seconds"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	Errors   int64   `json:"errors"`
	// FirstError is the first failed request, when there were some.
	FirstError string `json:"first_error,omitempty"`
}

// GrowthDetail is a growth row's two sizes.
type GrowthDetail struct {
	Small     int     `json:"small"`
	Big       int     `json:"big"`
	SmallOps  float64 `json:"small_ops_per_sec"`
	BigOps    float64 `json:"big_ops_per_sec"`
	CostRatio float64 `json:"cost_ratio"` // cost per op at Big over cost at Small
	// The limit's rates at both sizes and its cost ratio, measured side
	// by side with Latch's (0 where not measured).
	LimitSmallOps  float64 `json:"limit_small_ops_per_sec"`
	LimitBigOps    float64 `json:"limit_big_ops_per_sec"`
	LimitCostRatio float64 `json:"limit_cost_ratio"`
	SmallCalls     int64   `json:"small_calls"`
	BigCalls       int64   `json:"big_calls"`
	// SmallReads and BigReads are the pages the database read from
	// outside its buffer cache per call (PostgreSQL: this schema's
	// tables; MariaDB: the whole server), where it tells.
	SmallReads *float64 `json:"small_page_reads_per_call,omitempty"`
	BigReads   *float64 `json:"big_page_reads_per_call,omitempty"`
}

// Row is one line of the table. Nil numbers are not measured ("—" or the
// note beside them says why).
type Row struct {
	Section    string        `json:"section"`
	Operation  string        `json:"operation"`
	Store      string        `json:"store"`
	Latch      *float64      `json:"latch_ops_per_sec"`
	LatchCalls int64         `json:"latch_calls,omitempty"`
	Limit      *float64      `json:"limit_ops_per_sec"`
	LimitCalls int64         `json:"limit_calls,omitempty"`
	LimitRatio *float64      `json:"limit_ratio"`
	LimitNote  string        `json:"limit_note,omitempty"`
	Lucia      *float64      `json:"lucia_ops_per_sec"`
	LuciaRatio *float64      `json:"lucia_ratio"`
	LuciaNote  string        `json:"lucia_note,omitempty"`
	Targets    []Target      `json:"targets"`
	Skipped    string        `json:"skipped,omitempty"`
	Error      string        `json:"error,omitempty"`
	HTTP       *HTTPDetail   `json:"http,omitempty"`
	Growth     *GrowthDetail `json:"growth,omitempty"`
	luciaKey   string        // the peer's name of the operation, "" for none
}

// StoreStatus says whether a store was measured.
type StoreStatus struct {
	Name    string `json:"name"`
	Status  string `json:"status"` // ok or skipped
	Reason  string `json:"reason,omitempty"`
	Address string `json:"address,omitempty"`
}

// Report is the JSON document.
type Report struct {
	Version    int           `json:"version"`
	Started    string        `json:"started"`
	Seconds    float64       `json:"seconds"`
	Command    string        `json:"command"`
	Quick      bool          `json:"quick"`
	Duration   string        `json:"duration,omitempty"`
	N          int           `json:"n,omitempty"`
	Machine    Machine       `json:"machine"`
	Stores     []StoreStatus `json:"stores"`
	Lucia      LuciaInfo     `json:"lucia"`
	Rows       []Row         `json:"rows"`
	TargetsMet int           `json:"targets_met"`
	Missed     []string      `json:"targets_missed"`
}

// Machine describes where the run happened.
type Machine struct {
	GoVersion  string `json:"go"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model,omitempty"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// LoadStart and LoadEnd are /proc/loadavg's 1-minute load at the start
	// and end of the run: other work on the machine shows here.
	LoadStart string `json:"load_start,omitempty"`
	LoadEnd   string `json:"load_end,omitempty"`
}

// LuciaInfo is the Node peer's status.
type LuciaInfo struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	Node      string `json:"node,omitempty"`
	Version   string `json:"lucia_version,omitempty"`
}

func f64(v float64) *float64 { return &v }

// ratio returns a/b, nil when either is missing or b is zero.
func ratio(a, b *float64) *float64 {
	if a == nil || b == nil || *b == 0 {
		return nil
	}
	return f64(*a / *b)
}

// fmtOps formats a rate: thousands separated, three significant digits
// below 100.
func fmtOps(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "?"
	case v >= 100:
		return groupThousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

func fmtRatio(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64) + "×"
}

// cell escapes a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "/")
	return strings.ReplaceAll(s, "\n", " ")
}

// writeTable prints the one markdown table of the run and its legend.
func writeTable(w io.Writer, rep *Report) {
	fmt.Fprintln(w, "| operation | store | latch ops/s | limit ops/s | ratio | lucia ops/s | ratio | target | met? |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|---|---|")
	for _, st := range rep.Stores {
		if st.Status == "skipped" {
			fmt.Fprintf(w, "| (every section) | %s | skipped: %s | — | — | — | — | — | — |\n", st.Name, cell(st.Reason))
		}
	}
	for _, r := range rep.Rows {
		fmt.Fprintln(w, rowLine(r))
	}
	if !rep.Lucia.Available {
		fmt.Fprintf(w, "\nLucia columns n/a: %s\n", rep.Lucia.Reason)
	}
	if rep.Machine.LoadStart != "" {
		fmt.Fprintf(w, "\nLoad average (1 min): %s at the start, %s at the end, on %d CPUs.\n",
			rep.Machine.LoadStart, rep.Machine.LoadEnd, rep.Machine.CPUs)
	}
	fmt.Fprintf(w, "\nTargets met: %d; missed: %d", rep.TargetsMet, len(rep.Missed))
	if len(rep.Missed) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(rep.Missed, "; "))
	}
	fmt.Fprintln(w)
}

func rowLine(r Row) string {
	latch, limit, lratio := "—", "—", fmtRatio(r.LimitRatio)
	lucia, uratio := "—", fmtRatio(r.LuciaRatio)
	op := r.Operation
	switch {
	case r.Skipped != "":
		latch = "skipped: " + r.Skipped
	case r.Error != "":
		latch = "error: " + r.Error
	case r.Growth != nil:
		g := r.Growth
		latch = fmtOps(g.SmallOps) + " → " + fmtOps(g.BigOps)
		lratio = strconv.FormatFloat(g.CostRatio, 'f', 2, 64) + " (cost)"
		if g.LimitBigOps > 0 {
			limit = fmtOps(g.LimitSmallOps) + " → " + fmtOps(g.LimitBigOps) +
				" (cost " + strconv.FormatFloat(g.LimitCostRatio, 'f', 2, 64) + ")"
		}
	case r.HTTP != nil:
		latch = fmtOps(*r.Latch) + " req/s"
		op = fmt.Sprintf("%s, p50 %s ms, p99 %s ms", op, fmtMs(r.HTTP.P50Ms), fmtMs(r.HTTP.P99Ms))
		if r.HTTP.Errors > 0 {
			op += fmt.Sprintf(", %d errors (%s)", r.HTTP.Errors, r.HTTP.FirstError)
		}
	case r.Latch != nil:
		latch = fmtOps(*r.Latch)
	}
	if r.Limit != nil {
		limit = fmtOps(*r.Limit)
		if r.LimitNote != "" {
			limit += " (" + r.LimitNote + ")"
		}
	}
	switch {
	case r.Lucia != nil:
		lucia = fmtOps(*r.Lucia)
		if r.LuciaNote != "" {
			lucia += " (" + r.LuciaNote + ")"
		}
	case r.LuciaNote != "":
		lucia = "n/a: " + r.LuciaNote
	}
	target, met := "—", "—"
	if len(r.Targets) > 0 {
		var ts, ms []string
		for _, t := range r.Targets {
			ts = append(ts, t.Name)
			if t.Met {
				ms = append(ms, "yes")
			} else {
				ms = append(ms, "**no**")
			}
		}
		target, met = strings.Join(ts, "; "), strings.Join(ms, "; ")
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |",
		cell(op), cell(r.Store), cell(latch), cell(limit), lratio, cell(lucia), uratio, cell(target), met)
}

func fmtMs(v float64) string {
	if v >= 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// writeJSON writes the report to path.
func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
