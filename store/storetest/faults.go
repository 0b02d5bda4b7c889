package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// Fault describes a store whose server a test can take away and give back
// (through testenv.Proxy, say). UsersCut tells whether Users and Keys are
// behind the cut too, or only Sessions and Tokens (Redis beside SQL).
type Fault struct {
	Stores   Stores
	Cut      func()
	Restore  func()
	UsersCut bool
}

// RunFaults checks a store while its server is away and after it is back:
// every call fails with an error that is not latch.ErrNotFound (an outage
// must never read as "no such session") and matches
// latch.ErrStoreUnavailable (so that the API answers 503), nothing is half-written (a user
// created with its key while the server was away exists afterwards with
// neither), and the store works again once the server is back, without
// being reopened.
func RunFaults(t *testing.T, f Fault) {
	t.Helper()
	s := f.Stores
	ctx := t.Context()
	u := newID(t, "u")
	must(t, "CreateUser before the cut", s.Users.CreateUser(ctx, latch.UserRecord{ID: u, Attributes: latch.Attributes{"a": "b"}}, nil))
	sess := latch.SessionRecord{ID: newSessionID(t), UserID: u, ActiveExpires: baseMS, IdleExpires: baseMS + hour}
	must(t, "CreateSession before the cut", s.Sessions.CreateSession(ctx, sess))
	tok := latch.TokenRecord{ID: newTokenID(t), Kind: "fault", UserID: u, Expires: baseMS}
	must(t, "PutToken before the cut", s.Tokens.PutToken(ctx, tok))

	f.Cut()
	down, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	failing := func(op string, err error) {
		t.Helper()
		switch {
		case err == nil:
			t.Errorf("%s with the server away: no error", op)
		case errors.Is(err, latch.ErrNotFound), errors.Is(err, latch.ErrDuplicate):
			t.Errorf("%s with the server away: %v, which reads as an answer, not an outage", op, err)
		case !errors.Is(err, latch.ErrStoreUnavailable):
			t.Errorf("%s with the server away: %v, not marked latch.ErrStoreUnavailable (the API would answer 500, not 503)", op, err)
		}
	}
	u2 := newID(t, "u")
	k2 := latch.KeyRecord{ID: newKeyID(t), UserID: u2}
	if f.UsersCut {
		failing("CreateUser", s.Users.CreateUser(down, latch.UserRecord{ID: u2}, &k2))
		_, err := s.Users.GetUser(down, u)
		failing("GetUser", err)
		_, err = s.Keys.GetKey(down, k2.ID)
		failing("GetKey", err)
	}
	_, err := s.Sessions.GetSession(down, sess.ID)
	failing("GetSession", err)
	sess2 := latch.SessionRecord{ID: newSessionID(t), UserID: u, ActiveExpires: baseMS, IdleExpires: baseMS + hour}
	failing("CreateSession", s.Sessions.CreateSession(down, sess2))
	_, err = s.Tokens.TakeToken(down, tok.Kind, tok.ID, "")
	failing("TakeToken", err)
	_, err = s.Tokens.AddAttempt(down, "fault", u, baseMS, baseMS+hour)
	failing("AddAttempt", err)

	f.Restore()
	// The pool reconnects on its own; allow it a few tries.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := s.Sessions.GetSession(ctx, sess.ID)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetSession after the server came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if f.UsersCut {
		_, err := s.Users.GetUser(ctx, u)
		must(t, "GetUser after the server came back", err)
		_, err = s.Users.GetUser(ctx, u2)
		wantNotFound(t, "GetUser of the user created during the outage", err)
		_, err = s.Keys.GetKey(ctx, k2.ID)
		wantNotFound(t, "GetKey of the key created during the outage", err)
	}
	// Whether a write in flight when the connection dropped was applied
	// cannot be known by the client; a write begun after the cut was not.
	if _, err := s.Sessions.GetSession(ctx, sess2.ID); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("GetSession of the session created during the outage: %v, want ErrNotFound", err)
	}
	got, err := s.Tokens.TakeToken(ctx, tok.Kind, tok.ID, "")
	must(t, "TakeToken after the server came back (the failed take must not have consumed it)", err)
	if got.UserID != u {
		t.Errorf("TakeToken: user %q, want %q", got.UserID, u)
	}
	n, err := s.Tokens.AddAttempt(ctx, "fault", u, baseMS, baseMS+hour)
	must(t, "AddAttempt after the server came back", err)
	if n != 1 {
		t.Errorf("AddAttempt after the outage = %d, want 1 (the failed one counted nothing)", n)
	}
	must(t, "CreateSession after the server came back", s.Sessions.CreateSession(ctx, sess2))
}
