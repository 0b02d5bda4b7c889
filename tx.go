package latch

import "context"

// InTx runs fn so that the store calls it makes with its context (through
// this Auth, or token handlers built on it) happen together or not at all:
// in one transaction when a single store that implements Transactor (the
// SQL stores) keeps users, keys, sessions and tokens. fn must use the
// context it is given.
//
// When the stores are split (sessions and tokens in Redis beside SQL) or do
// not implement Transactor (the memory store), no transaction can span
// them: fn runs as it is, and its writes are not rolled back when it fails.
// Events raised in fn (RaiseEvent) reach Config.OnEvent after the commit,
// never after a rollback; without a transaction, as they are raised.
// Atomic reports which case applies; order the writes in fn so that an
// interruption leaves a safe state either way.
func (a *Auth) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if a.tx == nil {
		return fn(ctx)
	}
	return a.inTxHolding(ctx, a.tx, fn)
}

// Atomic reports whether InTx runs its function in one transaction.
func (a *Auth) Atomic() bool { return a.tx != nil }

// InUserTx runs fn in one transaction of the store that keeps users and
// keys, when that store implements Transactor, whatever keeps the sessions
// and tokens; otherwise fn runs as it is. Calls on sessions and tokens made
// in fn are not part of that transaction when they live elsewhere: a
// password change on a split setup writes the password and raises the user's
// SessionGenerationAttribute here, and ends the sessions after it commits.
func (a *Auth) InUserTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if a.userTx == nil {
		return fn(ctx)
	}
	return a.inTxHolding(ctx, a.userTx, fn)
}
