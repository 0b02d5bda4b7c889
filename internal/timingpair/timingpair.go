// Package timingpair measures two operations side by side, for benchmarks
// that show two code paths take the same time (a wrong token close to a
// live one and one far from it; an unknown account and a wrong password).
//
// Consecutive benchmark runs on a shared machine differ by more than the
// differences looked for, so the two sides are not run one after the other:
// Run interleaves them call by call, alternating which goes first, and
// reports each side's mean and their ratio from the same minutes. An A/A
// pair (one operation against itself) measured the same way shows the
// noise floor the ratio should be read against.
package timingpair

import (
	"slices"
	"testing"
	"time"
)

// Run calls a and b once each per iteration of b.Loop, in alternating
// order, and reports the median time of a call of each (a-ns/op, b-ns/op)
// and their ratio a/b (1.00: the same time). Medians, not means: a garbage
// collection or a neighbour's burst lands on one call of one side and would
// move a mean by more than the differences looked for. Either function may
// call tb.Fatal.
func Run(tb *testing.B, a, b func()) {
	var da, db []time.Duration
	i := 0
	for tb.Loop() {
		if i%2 == 0 {
			da = append(da, timed(a))
			db = append(db, timed(b))
		} else {
			db = append(db, timed(b))
			da = append(da, timed(a))
		}
		i++
	}
	if i == 0 {
		return
	}
	ma, mb := Median(da), Median(db)
	tb.ReportMetric(float64(ma.Nanoseconds()), "a-ns/op")
	tb.ReportMetric(float64(mb.Nanoseconds()), "b-ns/op")
	if mb > 0 {
		tb.ReportMetric(float64(ma)/float64(mb), "a/b")
	}
}

// Median returns the median of d, which it sorts.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func timed(f func()) time.Duration {
	t0 := time.Now()
	f()
	return time.Since(t0)
}
