package latch

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Event is a fact about an account: a user created, a session revoked, a
// token issued. Config.RecordEvent receives it where the fact happens,
// inside its transaction; Config.OnEvent once that transaction has
// committed. Data never holds a secret: a token event names the token's
// kind, never its value; a session event names the session by the SHA-256
// of its token (Session.ID in the default profile; in the lucia2 profile,
// where Session.ID is the token, HashToken of it).
type Event struct {
	// ID identifies the event, the same wherever it goes: "evt_" and 26
	// base32 characters (128 bits from crypto/rand). Webhooks send it as
	// webhook-id, so receivers can drop a repeat.
	ID string
	// Type is one of the Event… constants, or a type of another package
	// (RaiseEvent takes any).
	Type string
	// At is when the fact happened, by Config.Now.
	At time.Time
	// UserID is the user the fact is about.
	UserID string
	// Data adds what the type needs: "kind" for tokens, "sessionId" for
	// sessions, "factor" for second factors. Never a secret.
	Data map[string]string
}

// The event types Latch raises. Applications and other packages may raise
// their own with Auth.RaiseEvent.
const (
	EventUserCreated         = "user.created"
	EventUserDeleted         = "user.deleted"
	EventUserEmailVerified   = "user.email_verified"
	EventUserPasswordChanged = "user.password_changed"
	EventUserEmailChanged    = "user.email_changed"
	EventSessionCreated      = "session.created"
	EventSessionRevoked      = "session.revoked"
	EventTokenIssued         = "token.issued"   // Data["kind"]: the token handler's name
	EventTokenConsumed       = "token.consumed" // Data["kind"]; an expired token is not consumed
	// The second-factor events: raised by the packages that manage
	// factors, Data["factor"] naming which ("totp", "passkey", …).
	EventFactorAdded   = "factor.added"
	EventFactorRemoved = "factor.removed"
)

// EventTypes lists the event types Latch itself raises, in a stable order.
var EventTypes = []string{
	EventUserCreated, EventUserDeleted, EventUserEmailVerified, EventUserPasswordChanged,
	EventUserEmailChanged, EventSessionCreated, EventSessionRevoked, EventTokenIssued,
	EventTokenConsumed, EventFactorAdded, EventFactorRemoved,
}

// Observation is one outcome worth counting that is no fact for
// webhooks: a session validated, a token refused, a store call that
// failed. Config.Observe receives it at once (never held for a
// transaction); metrics are made of these and of the events.
type Observation struct {
	// Subject is "token", "session" or "store".
	Subject string
	// Kind: for a token, its handler's name; for a store, which one
	// ("users", "keys", "sessions", "tokens"); "" for a session.
	Kind string
	// Outcome: for a token, "issued", "consumed", "expired", "invalid" or
	// "too_many_attempts"; for a session, "validated" or "renewed"; for a
	// store, the operation that failed ("get_session", "create_user", …).
	Outcome string
	// Err is a store's failure (it matches ErrStoreUnavailable for an
	// outage); nil for the other subjects.
	Err error
}

// The subjects and outcomes of observations.
const (
	ObserveToken   = "token"
	ObserveSession = "session"
	ObserveStore   = "store"

	OutcomeIssued          = "issued"
	OutcomeConsumed        = "consumed"
	OutcomeExpired         = "expired"
	OutcomeInvalid         = "invalid"
	OutcomeTooManyAttempts = "too_many_attempts"
	OutcomeValidated       = "validated"
	OutcomeRenewed         = "renewed"
)

// eventsKey is the context key of the events held by one Auth's
// transaction until it commits.
type eventsKey struct{ a *Auth }

type heldEvents struct {
	mu     sync.Mutex
	events []Event
}

// EventsWanted reports whether anyone receives events (Config.OnEvent or
// Config.RecordEvent is set). Code that must read something only to
// describe an event checks it first, so that events cost nothing when off.
func (a *Auth) EventsWanted() bool { return a.onEvent != nil || a.recordEvent != nil }

// RecordsEvents reports whether Config.RecordEvent is set: then a write
// and its event belong in one transaction (Auth.InTx), so the event's
// durable record commits with the write.
func (a *Auth) RecordsEvents() bool { return a.recordEvent != nil }

// RaiseEvent raises an event; it fills in ID and At when they are empty.
// Config.RecordEvent is called at once with ctx (so a durable queue on the
// store joins the transaction ctx carries), and its error is returned:
// the caller fails, and its transaction rolls back. Config.OnEvent is
// called when the transaction of Auth.InTx or Auth.InUserTx that ctx
// carries commits, never if it rolls back; at once outside one.
//
// Packages built on Latch raise their facts with it: the second-factor
// code raises EventFactorAdded and EventFactorRemoved with
// Data["factor"].
func (a *Auth) RaiseEvent(ctx context.Context, e Event) error {
	if !a.EventsWanted() {
		return nil
	}
	if e.ID == "" {
		e.ID = "evt_" + rand.Text()
	}
	if e.At.IsZero() {
		e.At = a.now()
	}
	e.At = e.At.UTC()
	if a.recordEvent != nil {
		if err := a.recordEvent(ctx, e); err != nil {
			return fmt.Errorf("latch: recording event %s: %w", e.Type, err)
		}
	}
	if a.onEvent == nil {
		return nil
	}
	if h, ok := ctx.Value(eventsKey{a}).(*heldEvents); ok {
		h.mu.Lock()
		h.events = append(h.events, e)
		h.mu.Unlock()
		return nil
	}
	a.onEvent(ctx, e)
	return nil
}

// Observe passes o to Config.Observe, when set. The token package reports
// its outcomes through it.
func (a *Auth) Observe(o Observation) {
	if a.observe != nil {
		a.observe(o)
	}
}

// observeStore reports a failed store call: not a missing or duplicate
// row, which are answers, not failures.
func (a *Auth) observeStore(store, op string, err error) {
	if a.observe == nil || err == nil || isAnswer(err) {
		return
	}
	a.observe(Observation{Subject: ObserveStore, Kind: store, Outcome: op, Err: err})
}

// ObserveStoreError reports err as a failure of the store's operation,
// unless it is nil or an answer (ErrNotFound, ErrDuplicate). The token
// package reports its store's failures through it.
func (a *Auth) ObserveStoreError(store, op string, err error) { a.observeStore(store, op, err) }

func isAnswer(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrDuplicate) || errors.Is(err, context.Canceled)
}

// inTxHolding runs fn in t's transaction with the events raised in it held
// until the commit, then passed to Config.OnEvent; dropped on a rollback.
func (a *Auth) inTxHolding(ctx context.Context, t Transactor, fn func(ctx context.Context) error) error {
	if a.onEvent == nil || ctx.Value(eventsKey{a}) != nil {
		return t.InTx(ctx, fn) // nothing to hold, or an outer transaction holds them
	}
	held := &heldEvents{}
	err := t.InTx(context.WithValue(ctx, eventsKey{a}, held), func(ctx context.Context) error {
		held.mu.Lock()
		held.events = held.events[:0] // a store that runs fn again starts afresh
		held.mu.Unlock()
		return fn(ctx)
	})
	if err != nil {
		return err
	}
	held.mu.Lock()
	events := held.events
	held.mu.Unlock()
	for _, e := range events {
		a.onEvent(ctx, e)
	}
	return nil
}

// withEvent runs fn, which writes and raises an event, in one transaction
// of t when RecordEvent is set and t is not nil, so that the write and
// its durable record in the same database commit together. Otherwise fn
// runs as it is: OnEvent alone needs no transaction around one write.
func (a *Auth) withEvent(ctx context.Context, t Transactor, fn func(ctx context.Context) error) error {
	if t == nil || a.recordEvent == nil {
		return fn(ctx)
	}
	return a.inTxHolding(ctx, t, fn)
}

// txOf is the transaction that covers store together with the users:
// InTx's when one store keeps everything, InUserTx's when store is the
// users' store; nil otherwise.
func (a *Auth) txOf(store any) Transactor {
	switch {
	case a.tx != nil:
		return a.tx
	case a.userTx != nil && sameValue(store, a.users):
		return a.userTx
	}
	return nil
}
