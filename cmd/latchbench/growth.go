package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// growthUsers is how many users the growth fixtures spread their rows over.
const growthUsers = 1000

// growthSamples is how many distinct sessions the validation loop cycles
// through.
const growthSamples = 1 << 16

// Session tokens and token values of the bulk-loaded rows, from their
// index: the stored ids are their SHA-256, as Latch stores them.
func growthSessionToken(i int) string { return fmt.Sprintf("gs%038d", i) }
func growthTokenValue(i int) string   { return fmt.Sprintf("gt%041d", i) }

// bulkChunk is how many rows the loaders get at a time.
const bulkChunk = 50000

// bulkLoad writes sessions and tokens [from, to) straight into the store's
// tables (or keys), as Latch would have written them. The rows go in
// order of their ids, so that the loads append to the primary-key
// B-trees instead of splitting pages all over them.
func (e *env) bulkLoad(ctx context.Context, from, to int, now time.Time) error {
	attrs, err := latch.MarshalAttributes(sessionAttrs)
	if err != nil {
		return err
	}
	active := now.Add(24 * time.Hour).UnixMilli()
	idle := now.Add(15 * 24 * time.Hour).UnixMilli()
	expires := now.Add(2 * time.Hour).UnixMilli()
	sessionTTL, tokenTTL := idle-now.UnixMilli(), expires-now.UnixMilli()

	sessions := make([]sessionRow, 0, to-from)
	for i := from; i < to; i++ {
		sessions = append(sessions, sessionRow{id: latch.HashToken(growthSessionToken(i)), userID: e.users[i%len(e.users)], active: active, idle: idle, attrs: attrs})
	}
	slices.SortFunc(sessions, func(a, b sessionRow) int { return strings.Compare(a.id, b.id) })
	for lo := 0; lo < len(sessions); lo += bulkChunk {
		chunk := sessions[lo:min(lo+bulkChunk, len(sessions))]
		var err error
		switch {
		case e.redis != nil:
			err = e.redis.bulkSessions(ctx, chunk, sessionTTL)
		case e.sql != nil:
			err = e.sql.bulkSessions(ctx, chunk)
		default: // memory: its API is the direct way in
			for _, s := range chunk {
				err = e.sessions.CreateSession(ctx, latch.SessionRecord{ID: s.id, UserID: s.userID, ActiveExpires: s.active, IdleExpires: s.idle, Attributes: sessionAttrs})
				if err != nil {
					break
				}
			}
			e.plain.addSessions(chunk)
		}
		if err != nil {
			return fmt.Errorf("loading sessions: %w", err)
		}
	}
	sessions = nil

	tokens := make([]tokenRow, 0, to-from)
	for i := from; i < to; i++ {
		tokens = append(tokens, tokenRow{kind: tokenKind, id: latch.HashToken(growthTokenValue(i)), userID: e.users[i%len(e.users)], expires: expires})
	}
	slices.SortFunc(tokens, func(a, b tokenRow) int { return strings.Compare(a.id, b.id) })
	for lo := 0; lo < len(tokens); lo += bulkChunk {
		chunk := tokens[lo:min(lo+bulkChunk, len(tokens))]
		var err error
		switch {
		case e.redis != nil:
			err = e.redis.bulkTokens(ctx, chunk, tokenTTL)
		case e.sql != nil:
			err = e.sql.bulkTokens(ctx, chunk)
		default:
			for _, t := range chunk {
				err = e.tokens.PutToken(ctx, latch.TokenRecord{ID: t.id, Kind: t.kind, UserID: t.userID, Expires: t.expires})
				if err != nil {
					break
				}
			}
			e.plain.addTokens(chunk)
		}
		if err != nil {
			return fmt.Errorf("loading tokens: %w", err)
		}
	}
	if e.sql != nil && e.redis == nil {
		if err := e.sql.settle(ctx); err != nil {
			return fmt.Errorf("settling after the load: %w", err)
		}
	}
	return nil
}

// growthPoint measures validation and consumption with live rows [0, live),
// through Latch and, side by side, as the limit (the same commands sent
// straight through the driver, or plain maps for the memory store):
// validation of random live sessions, consumption of consume random tokens
// not consumed before (as many again for the limit). Each rate is the
// median of cfg.rounds runs; Latch and the limit take turns.
func (e *env) growthPoint(ctx context.Context, cfg *config, live, consume int, consumed map[int]bool, rng *rand.Rand) (p growthMeasure, err error) {
	samples := make([]int, min(growthSamples, live))
	tokens, ids := make([]string, len(samples)), make([]string, len(samples))
	for k := range samples {
		samples[k] = rng.IntN(live)
		tokens[k] = growthSessionToken(samples[k])
		ids[k] = latch.HashToken(tokens[k])
	}
	pick := func() []int {
		out := make([]int, 0, consume)
		for len(out) < consume && len(consumed) < live {
			i := rng.IntN(live)
			if consumed[i] {
				continue
			}
			consumed[i] = true
			out = append(out, i)
		}
		return out
	}
	values, limitValues := pick(), pick()
	validateOp := func(ctx context.Context, i int) error {
		_, err := e.auth.ValidateSession(ctx, tokens[i%len(tokens)])
		return err
	}
	takeOp := func(ctx context.Context, i int) error {
		if i >= len(values) {
			return errors.New("ran out of tokens")
		}
		_, err := e.ids.Validate(ctx, growthTokenValue(values[i]))
		return err
	}
	limitValidate, limitTake := e.growthLimit(samples, ids, limitValues)

	p.reads = [2]float64{-1, -1}
	pr, _ := e.sql.(pageReader)
	if e.redis != nil {
		pr = nil // the sessions and tokens are in Redis
	}
	// counted runs f and sets *perOp to the page reads per call it caused.
	counted := func(f func() (int64, error), perOp *float64) error {
		var before int64
		if pr != nil {
			if before, err = pr.pageReads(ctx); err != nil {
				pr = nil
			}
		}
		calls, err := f()
		if err != nil {
			return err
		}
		if pr != nil && calls > 0 {
			if _, ok := pr.(*pgDirect); ok {
				time.Sleep(1500 * time.Millisecond) // see pgDirect.pageReads
			}
			if after, err := pr.pageReads(ctx); err == nil {
				*perOp = float64(after-before) / float64(calls)
			}
		}
		return nil
	}
	// run measures Latch's op and the limit's side by side and returns
	// their samples; reads are counted over both (the same lookups).
	run := func(b budget, latchOp, limitOp op, reads *float64) (l, m sample, err error) {
		err = counted(func() (int64, error) {
			rates, calls, err := mediansOf(ctx, b, latchOp, limitOp)
			if err != nil {
				return 0, err
			}
			l, m = rateSample(rates[0], calls[0]), rateSample(rates[1], calls[1])
			return calls[0] + calls[1], nil
		}, reads)
		return l, m, err
	}
	p.validate, p.limitValidate, err = run(budget{d: cfg.duration, n: cfg.n, rounds: cfg.rounds, warmup: cfg.warmup}, validateOp, limitValidate, &p.reads[0])
	if err != nil {
		return p, fmt.Errorf("validate: %w", err)
	}
	// No warm-up: every call consumes a token; validation warmed the store.
	b := budget{d: cfg.duration, n: min(cfg.n, len(values)), rounds: cfg.rounds, maxOps: len(values), noWarmup: true}
	p.take, p.limitTake, err = run(b, takeOp, limitTake, &p.reads[1])
	if err != nil {
		return p, fmt.Errorf("consume: %w", err)
	}
	return p, nil
}

// growthMeasure is what growthPoint measured at one size.
type growthMeasure struct {
	validate, take           sample
	limitValidate, limitTake sample
	// reads are the page reads per call from outside the database's
	// buffer cache (validation, consumption), -1 where not known.
	reads [2]float64
}

// growthLimit returns the limit's validation (of the sessions with the
// given indexes and stored ids) and consumption (of the tokens with the
// given indexes): the commands Latch's store sends, sent directly.
func (e *env) growthLimit(samples []int, ids []string, values []int) (validate, take op) {
	userOf := func(i int) string { return e.users[i%len(e.users)] }
	tokenID := func(i int) (string, error) {
		if i >= len(values) {
			return "", errors.New("ran out of tokens")
		}
		return latch.HashToken(growthTokenValue(values[i])), nil
	}
	switch {
	case e.redis != nil:
		validate = func(ctx context.Context, i int) error {
			k := i % len(ids)
			if err := e.redis.getSession(ctx, ids[k]); err != nil {
				return err
			}
			return e.sql.getUser(ctx, userOf(samples[k]))
		}
		take = func(ctx context.Context, i int) error {
			id, err := tokenID(i)
			if err != nil {
				return err
			}
			return e.redis.takeToken(ctx, tokenKind, id, userOf(values[i]))
		}
	case e.sql != nil:
		validate = func(ctx context.Context, i int) error {
			return e.sql.getSessionAndUser(ctx, ids[i%len(ids)])
		}
		take = func(ctx context.Context, i int) error {
			id, err := tokenID(i)
			if err != nil {
				return err
			}
			return e.sql.takeToken(ctx, tokenKind, id)
		}
	case e.plain != nil:
		validate = func(ctx context.Context, i int) error {
			return e.plain.getSessionAndUser(ids[i%len(ids)], time.Now().UnixMilli())
		}
		take = func(ctx context.Context, i int) error {
			id, err := tokenID(i)
			if err != nil {
				return err
			}
			return e.plain.takeToken(tokenKind, id, time.Now().UnixMilli())
		}
	}
	return validate, take
}

// rateSample is a sample with the given rate and call count.
func rateSample(rate float64, calls int64) sample {
	if rate <= 0 {
		return sample{}
	}
	return sample{Ops: calls, Elapsed: time.Duration(float64(calls) / rate * float64(time.Second))}
}

// benchGrowth measures each store at the small and the big size.
func benchGrowth(ctx context.Context, cfg *config, srv *servers, dir string, h hashes) []Row {
	var rows []Row
	sizes := fmt.Sprintf("%s → %s live", pow10(cfg.growthSmall), pow10(cfg.growthBig))
	titles := []string{"growth: validate session, " + sizes, "growth: token consume, " + sizes}
	for _, name := range cfg.stores {
		if srv.skip(name) != "" {
			continue
		}
		v, t, label, err := growthStore(ctx, cfg, srv, dir, name, h)
		if err != nil {
			cfg.logf("growth: %s: %v", name, err)
			for _, title := range titles {
				rows = append(rows, Row{Section: secGrowth, Operation: title, Store: label, Error: shortErr(err)})
			}
			continue
		}
		for k, g := range []*GrowthDetail{v, t} {
			r := Row{Section: secGrowth, Operation: titles[k], Store: label, Growth: g, Latch: f64(g.BigOps)}
			r.Targets = []Target{{Name: "≤1.3 (cost ratio)", Met: g.CostRatio <= 1.3}}
			rows = append(rows, r)
		}
	}
	return rows
}

func growthStore(ctx context.Context, cfg *config, srv *servers, dir, name string, h hashes) (v, t *GrowthDetail, label string, err error) {
	label = name
	e, err := openEnv(ctx, name, srv, dir)
	if err != nil {
		return nil, nil, label, err
	}
	defer e.close()
	label = e.label
	if err := e.seed(ctx, growthUsers, false, h); err != nil {
		return nil, nil, label, err
	}
	if e.sql == nil {
		e.plain = newPlainMaps(e.users)
	}
	now := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	consumed := map[int]bool{}
	consume := max(cfg.growthSmall/10, 1)
	v, t = &GrowthDetail{Small: cfg.growthSmall, Big: cfg.growthBig}, &GrowthDetail{Small: cfg.growthSmall, Big: cfg.growthBig}
	for step, live := range []int{cfg.growthSmall, cfg.growthBig} {
		from := 0
		if step == 1 {
			from = cfg.growthSmall
		}
		cfg.logf("growth: %s: loading rows %d to %d", name, from, live)
		start := time.Now()
		if err := e.bulkLoad(ctx, from, live, now); err != nil {
			return nil, nil, label, err
		}
		cfg.logf("growth: %s: loaded in %v; measuring with %d live sessions and tokens", name, time.Since(start).Round(time.Millisecond), live)
		// Let what the load set off in the background (autovacuum, page
		// flushing) quiet down.
		select {
		case <-time.After(cfg.settle):
		case <-ctx.Done():
			return nil, nil, label, ctx.Err()
		}
		m, err := e.growthPoint(ctx, cfg, live, consume, consumed, rng)
		if err != nil {
			return nil, nil, label, err
		}
		reads := m.reads
		if reads[0] >= 0 {
			cfg.logf("growth: %s: %d live: %.2f pages read from outside the buffer cache per validation, %.2f per consumption",
				name, live, reads[0], reads[1])
		}
		if step == 0 {
			v.SmallOps, v.SmallCalls, t.SmallOps, t.SmallCalls = m.validate.perSec(), m.validate.Ops, m.take.perSec(), m.take.Ops
			v.LimitSmallOps, t.LimitSmallOps = m.limitValidate.perSec(), m.limitTake.perSec()
			v.SmallReads, t.SmallReads = readsPtr(reads[0]), readsPtr(reads[1])
		} else {
			v.BigOps, v.BigCalls, t.BigOps, t.BigCalls = m.validate.perSec(), m.validate.Ops, m.take.perSec(), m.take.Ops
			v.LimitBigOps, t.LimitBigOps = m.limitValidate.perSec(), m.limitTake.perSec()
			v.BigReads, t.BigReads = readsPtr(reads[0]), readsPtr(reads[1])
		}
	}
	for _, g := range []*GrowthDetail{v, t} {
		if g.BigOps > 0 {
			g.CostRatio = g.SmallOps / g.BigOps
		}
		if g.LimitBigOps > 0 {
			g.LimitCostRatio = g.LimitSmallOps / g.LimitBigOps
		}
	}
	return v, t, label, nil
}

// pow10 writes 10000 as 10^4 (and other numbers as they are).
func pow10(n int) string {
	e := 0
	for m := n; m >= 10 && m%10 == 0; m /= 10 {
		e++
	}
	if e >= 3 && n == intPow10(e) {
		return fmt.Sprintf("10^%d", e)
	}
	return groupThousands(fmt.Sprint(n))
}

func intPow10(e int) int {
	n := 1
	for range e {
		n *= 10
	}
	return n
}

// readsPtr is a page-read count for the JSON, nil when not known.
func readsPtr(v float64) *float64 {
	if v < 0 {
		return nil
	}
	return f64(v)
}
