package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/latchauth/latch"
)

// eventLog records what latch.Config.OnEvent and RecordEvent receive.
type eventLog struct {
	mu       sync.Mutex
	after    []latch.Event // OnEvent
	recorded []latch.Event // RecordEvent
	failNext error         // RecordEvent's next error
}

func (l *eventLog) onEvent(_ context.Context, e latch.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.after = append(l.after, e)
}

func (l *eventLog) record(_ context.Context, e latch.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.failNext; err != nil {
		l.failNext = nil
		return err
	}
	l.recorded = append(l.recorded, e)
	return nil
}

// types returns the types OnEvent received for the user, in order.
func (l *eventLog) types(userID string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.after {
		if e.UserID == userID {
			out = append(out, e.Type)
		}
	}
	return out
}

// eventsAuth is auth with the event hooks on log.
func (f *fixture) eventsAuth(log *eventLog) *latch.Auth {
	f.t.Helper()
	c := newClock(base)
	a, err := latch.New(latch.Config{
		Users: f.Users, Keys: f.Keys, Sessions: f.Sessions, Tokens: f.Tokens,
		Now: c.Now, ActivePeriod: activePeriod, IdlePeriod: idlePeriod,
		PasswordHasher: testHasher{},
		OnEvent:        log.onEvent, RecordEvent: log.record,
	})
	if err != nil {
		f.t.Fatalf("latch.New: %v", err)
	}
	return a
}

// testEvents checks latch.Config.OnEvent: events of a transaction arrive
// after it commits and never after a rollback; the core raises its
// events (user, session) where they happen; a RecordEvent error undoes
// the change where the store has transactions.
func testEvents(t *testing.T, open Open) {
	t.Run("flow", func(t *testing.T) {
		f := setup(t, open)
		log := &eventLog{}
		a := f.eventsAuth(log)
		pw := "correct horse battery staple"
		u, email := f.emailUser(a, &pw)
		s1, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: u.ID})
		must(t, "CreateSession", err)
		s2, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: u.ID})
		must(t, "CreateSession", err)
		must(t, "InvalidateSessionToken", a.InvalidateSessionToken(f.ctx, s1.Token))
		must(t, "InvalidateSessionToken again", a.InvalidateSessionToken(f.ctx, s1.Token)) // gone: no second event
		newPW := "another horse battery staple"
		_, err = a.UpdateKeyPassword(f.ctx, "email", email, &newPW)
		must(t, "UpdateKeyPassword", err)
		must(t, "InvalidateAllUserSessions", a.InvalidateAllUserSessions(f.ctx, u.ID))
		must(t, "DeleteUser", a.DeleteUser(f.ctx, u.ID))
		must(t, "DeleteUser again", a.DeleteUser(f.ctx, u.ID)) // gone: no second event
		want := []string{
			latch.EventUserCreated, latch.EventSessionCreated, latch.EventSessionCreated,
			latch.EventSessionRevoked, latch.EventUserPasswordChanged, latch.EventSessionRevoked,
			latch.EventUserDeleted,
		}
		if got := log.types(u.ID); !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.recorded) != len(log.after) {
			t.Errorf("RecordEvent got %d events, OnEvent %d", len(log.recorded), len(log.after))
		}
		ids := map[string]bool{}
		for i, e := range log.after {
			if e.ID == "" || ids[e.ID] || e.At.IsZero() {
				t.Errorf("event %d: id %q (seen: %v), at %v", i, e.ID, ids[e.ID], e.At)
			}
			ids[e.ID] = true
			if e.ID != log.recorded[i].ID {
				t.Errorf("event %d: OnEvent id %q, RecordEvent id %q", i, e.ID, log.recorded[i].ID)
			}
		}
		for i, sid := range []string{s1.ID, s2.ID} {
			if e := log.after[3+2*i]; e.Data["sessionId"] != sid {
				t.Errorf("session.revoked #%d: sessionId %q, want %q", i, e.Data["sessionId"], sid)
			}
		}
	})

	t.Run("after-commit", func(t *testing.T) {
		f := setup(t, open)
		log := &eventLog{}
		a := f.eventsAuth(log)
		var inside []string
		var id string
		must(t, "InTx", a.InTx(f.ctx, func(ctx context.Context) error {
			u, err := a.CreateUser(ctx, latch.CreateUserOptions{})
			if err != nil {
				return err
			}
			id = u.ID
			if _, err := a.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID}); err != nil {
				return err
			}
			inside = log.types(u.ID)
			return nil
		}))
		if a.Atomic() && len(inside) != 0 {
			t.Errorf("OnEvent called inside the transaction: %v", inside)
		}
		if got, want := log.types(id), []string{latch.EventUserCreated, latch.EventSessionCreated}; !slices.Equal(got, want) {
			t.Errorf("after commit: events %v, want %v", got, want)
		}
	})

	t.Run("rollback", func(t *testing.T) {
		f := setup(t, open)
		if tr, ok := f.Users.(latch.Transactor); !ok || tr == nil || !sameBackend(f.Users, f.Sessions) || !sameBackend(f.Users, f.Tokens) {
			t.Skip("no single store implementing latch.Transactor")
		}
		log := &eventLog{}
		a := f.eventsAuth(log)
		errBoom := errors.New("boom")
		var id string
		err := a.InTx(f.ctx, func(ctx context.Context) error {
			u, err := a.CreateUser(ctx, latch.CreateUserOptions{})
			if err != nil {
				return err
			}
			id = u.ID
			if _, err := a.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID}); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if got := log.types(id); len(got) != 0 {
			t.Errorf("OnEvent after a rollback: %v", got)
		}
		if _, err := a.GetUser(f.ctx, id); !errors.Is(err, latch.ErrInvalidUserID) {
			t.Errorf("user after rollback: %v", err)
		}

		// A RecordEvent that fails undoes the change it records.
		log.mu.Lock()
		log.failNext = errBoom
		log.mu.Unlock()
		u, err := a.CreateUser(f.ctx, latch.CreateUserOptions{})
		if !errors.Is(err, errBoom) {
			t.Fatalf("CreateUser with a failing RecordEvent = %v, %v; want boom", u, err)
		}
		users := 0
		log.mu.Lock()
		users = len(log.after)
		log.mu.Unlock()
		if users != 0 {
			t.Errorf("OnEvent got %d events after a failed RecordEvent", users)
		}
	})
}
