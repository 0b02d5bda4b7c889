package main

import (
	"context"
	"errors"

	"github.com/latchauth/latch/password"
)

// hashOps are the password hashing rows: Latch's two hashers, each
// hashing and verifying, beside Lucia v2's hasher (s2 scrypt in
// JavaScript, its only one) doing the same.
func hashOps(h hashes) []struct {
	title, luciaOp, note string
	o                    op
} {
	a, s := password.Argon2id{}, password.Scrypt{}
	verify := func(v func(hash, pw string) (bool, error), hash string) op {
		return func(context.Context, int) error {
			ok, err := v(hash, benchPassword)
			if err == nil && !ok {
				err = errors.New("the password did not verify")
			}
			return err
		}
	}
	hash := func(f func(string) (string, error)) op {
		return func(context.Context, int) error {
			_, err := f(benchPassword)
			return err
		}
	}
	const other = "Lucia's only hasher, s2 scrypt"
	return []struct {
		title, luciaOp, note string
		o                    op
	}{
		{"password hash: Argon2id m=19456 t=2 p=1", "hash", other, hash(a.Hash)},
		{"password verify: Argon2id", "verify", other, verify(a.Verify, h.argon2id)},
		{"password hash: s2 scrypt N=16384 r=16 p=1", "hash", "", hash(s.Hash)},
		{"password verify: s2 scrypt", "verify", "", verify(s.Verify, h.s2)},
	}
}

// benchHash measures the hashers, one call at a time.
func benchHash(ctx context.Context, cfg *config, h hashes) []Row {
	var rows []Row
	for _, x := range hashOps(h) {
		r := Row{Section: secHash, Operation: x.title, Store: "(cpu)", luciaKey: x.luciaOp, LuciaNote: x.note}
		s, err := measure(ctx, cfg.slowBudget(), x.o)
		if err != nil {
			r.Error = shortErr(err)
		} else {
			r.Latch, r.LatchCalls = f64(s[0].perSec()), s[0].Ops
			cfg.logf("hash: %s: %.1f ops/s", x.title, s[0].perSec())
		}
		rows = append(rows, r)
	}
	return rows
}
