package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// op is one benchmarked operation; i counts the calls of this op (warm-up
// included), so that it can pick a row or make a unique id.
type op func(ctx context.Context, i int) error

// sample is what one side of a measurement did.
type sample struct {
	Ops     int64
	Elapsed time.Duration
}

func (s sample) perSec() float64 {
	if s.Elapsed <= 0 || s.Ops == 0 {
		return 0
	}
	return float64(s.Ops) / s.Elapsed.Seconds()
}

func (s sample) add(o sample) sample {
	return sample{Ops: s.Ops + o.Ops, Elapsed: s.Elapsed + o.Elapsed}
}

// budget is how long (or how many operations) each side of a measurement
// runs, split into rounds.
type budget struct {
	d      time.Duration // total measured time per side when n is 0
	n      int           // total measured operations per side, when > 0
	rounds int           // the sides alternate this many times
	warmup time.Duration // untimed run per side before the first round (n: n/10 ops)
	maxOps int           // when > 0, no side runs more operations than this (in all)
	// noWarmup skips the warm-up, for operations that use up their input.
	noWarmup bool
}

// side is one operation being measured, with its call counter.
type side struct {
	o    op
	next int
	s    sample
}

// run calls o until the round's share of the budget is spent: d of time
// (and at least one call) or n calls.
func (sd *side) run(ctx context.Context, d time.Duration, n int, limit int) (sample, error) {
	var done int64
	start := time.Now()
	for {
		if n > 0 {
			if done >= int64(n) {
				break
			}
		} else if done > 0 && time.Since(start) >= d {
			break
		}
		if limit > 0 && int(sd.s.Ops+done) >= limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return sample{}, err
		}
		if err := sd.o(ctx, sd.next); err != nil {
			return sample{}, fmt.Errorf("call %d: %w", sd.next, err)
		}
		sd.next++
		done++
	}
	return sample{Ops: done, Elapsed: time.Since(start)}, nil
}

// measure runs the ops (nil ones are left out) in alternating rounds, each
// op getting an equal share of the budget per round; the first op of each
// round alternates too. On a shared, busy machine every side then sees the
// same conditions, where back-to-back runs seconds apart may not. It
// returns one sample per op, in order (zero for nil ops).
func measure(ctx context.Context, b budget, ops ...op) ([]sample, error) {
	sides := make([]*side, 0, len(ops))
	index := make([]int, 0, len(ops))
	for i, o := range ops {
		if o != nil {
			sides = append(sides, &side{o: o})
			index = append(index, i)
		}
	}
	rounds := max(b.rounds, 1)
	// Warm-up: caches, prepared statements, connection pools.
	for _, sd := range sides {
		wn := 0
		if b.n > 0 {
			wn = max(b.n/10, 1)
			if b.maxOps > 0 {
				wn = min(wn, max(b.maxOps/10, 1))
			}
		}
		if !b.noWarmup && (b.n > 0 || b.warmup > 0) {
			saved := sd.s
			if _, err := sd.run(ctx, b.warmup, wn, 0); err != nil {
				return nil, fmt.Errorf("warm-up: %w", err)
			}
			sd.s = saved
		}
	}
	for r := 0; r < rounds; r++ {
		for k := range sides {
			j := k
			if r%2 == 1 {
				j = len(sides) - 1 - k
			}
			sd := sides[j]
			d := b.d / time.Duration(rounds)
			n := 0
			if b.n > 0 {
				n = b.n / rounds
				if r == rounds-1 {
					n = b.n - n*(rounds-1)
				}
				if n == 0 {
					continue
				}
			}
			if b.maxOps > 0 && int(sd.s.Ops) >= b.maxOps {
				continue
			}
			s, err := sd.run(ctx, d, n, b.maxOps)
			if err != nil {
				return nil, err
			}
			sd.s = sd.s.add(s)
		}
	}
	out := make([]sample, len(ops))
	for k, sd := range sides {
		out[index[k]] = sd.s
	}
	return out, nil
}

// mediansOf runs each op in b.rounds separate runs, each with an equal
// share of the budget, and returns per op the median of its runs' rates
// and the calls made: a burst of load from elsewhere then spoils one run,
// not the result. The ops take turns run by run (the first of each round
// alternating), so that all see the same machine. Each op sees one call
// counter across its runs; b.maxOps bounds each op's calls in all.
func mediansOf(ctx context.Context, b budget, ops ...op) ([]float64, []int64, error) {
	rounds := max(b.rounds, 1)
	next := make([]int, len(ops))
	rates := make([][]float64, len(ops))
	calls := make([]int64, len(ops))
	for r := range rounds {
		sub := budget{d: b.d / time.Duration(rounds), rounds: 1, noWarmup: b.noWarmup || r > 0, warmup: b.warmup}
		if b.n > 0 {
			sub.n = max(b.n/rounds, 1)
		}
		if b.maxOps > 0 {
			sub.maxOps = max(b.maxOps/rounds, 1)
		}
		for k := range ops {
			j := k
			if r%2 == 1 {
				j = len(ops) - 1 - k
			}
			counted := func(ctx context.Context, _ int) error {
				c := next[j]
				next[j]++
				return ops[j](ctx, c)
			}
			s, err := measure(ctx, sub, counted)
			if err != nil {
				return nil, nil, err
			}
			if s[0].Ops > 0 {
				rates[j] = append(rates[j], s[0].perSec())
				calls[j] += s[0].Ops
			}
		}
	}
	medians := make([]float64, len(ops))
	for j, rs := range rates {
		if len(rs) == 0 {
			continue
		}
		slices.Sort(rs)
		m := rs[len(rs)/2]
		if len(rs)%2 == 0 {
			m = (rs[len(rs)/2-1] + m) / 2
		}
		medians[j] = m
	}
	return medians, calls, nil
}
