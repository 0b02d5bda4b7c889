package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// Periods of the Auth the subtests build.
const (
	activePeriod = time.Hour
	idlePeriod   = 2 * time.Hour
)

// auth returns an Auth on the fixture's stores, with an injected clock
// starting at base and the cheap test hasher.
func (f *fixture) auth() (*latch.Auth, *clock) {
	f.t.Helper()
	c := newClock(base)
	a, err := latch.New(latch.Config{
		Users: f.Users, Keys: f.Keys, Sessions: f.Sessions, Tokens: f.Tokens,
		Now: c.Now, ActivePeriod: activePeriod, IdlePeriod: idlePeriod,
		PasswordHasher: testHasher{},
	})
	if err != nil {
		f.t.Fatalf("latch.New: %v", err)
	}
	return a, c
}

// emailUser creates a user with an email and password key through Auth.
func (f *fixture) emailUser(a *latch.Auth, password *string) (latch.User, string) {
	f.t.Helper()
	email := newID(f.t, "ada") + "@example.com"
	u, err := a.CreateUser(f.ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: email, Password: password},
		Attributes: latch.Attributes{"email": email, "email_verified": false},
	})
	if err != nil {
		f.t.Fatalf("CreateUser: %v", err)
	}
	return u, email
}

func msOf(t time.Time) int64 { return t.UnixMilli() }

func testAuth(t *testing.T, open Open) {
	t.Run("use-key", func(t *testing.T) {
		f := setup(t, open)
		a, _ := f.auth()
		pw := "correct horse battery staple"
		user, email := f.emailUser(a, &pw)

		k, err := a.UseKey(f.ctx, "email", email, &pw)
		must(t, "UseKey with the right password", err)
		if k.UserID != user.ID || !k.PasswordDefined {
			t.Errorf("UseKey = %+v, want a key of %q with a password", k, user.ID)
		}
		rec, err := f.Keys.GetKey(f.ctx, latch.KeyID("email", email))
		must(t, "GetKey", err)
		if rec.HashedPassword == nil || strings.Contains(*rec.HashedPassword, pw) {
			t.Errorf("stored HashedPassword = %v, want a hash of the password", rec.HashedPassword)
		}

		oauthID := newID(t, "gh")
		_, err = a.CreateKey(f.ctx, user.ID, latch.KeyOptions{ProviderID: "github", ProviderUserID: oauthID})
		must(t, "CreateKey without password", err)
		k, err = a.UseKey(f.ctx, "github", oauthID, nil)
		must(t, "UseKey of a passwordless key without password", err)
		if k.UserID != user.ID || k.PasswordDefined {
			t.Errorf("UseKey = %+v, want a key of %q without password", k, user.ID)
		}

		for _, c := range []struct {
			name               string
			provider, provUser string
			password           *string
			want               error
		}{
			{"wrong-password", "email", email, ptr("wrong"), latch.ErrInvalidPassword},
			{"empty-password", "email", email, ptr(""), latch.ErrInvalidPassword},
			{"password-with-a-suffix", "email", email, ptr(pw + " "), latch.ErrInvalidPassword},
			{"no-password-for-a-password-key", "email", email, nil, latch.ErrInvalidPassword},
			{"password-for-a-passwordless-key", "github", oauthID, &pw, latch.ErrInvalidPassword},
			{"unknown-key", "email", newID(t, "nobody") + "@example.com", &pw, latch.ErrInvalidKeyID},
			{"unknown-key-without-password", "github", newID(t, "gh"), nil, latch.ErrInvalidKeyID},
			// Key ids compare byte for byte; email keys are the exception,
			// normalised by Auth before they reach the store.
			{"other-case", "github", strings.ToUpper(oauthID), nil, latch.ErrInvalidKeyID},
			{"other-provider", "github", email, &pw, latch.ErrInvalidKeyID},
		} {
			_, err := a.UseKey(f.ctx, c.provider, c.provUser, c.password)
			if !errors.Is(err, c.want) {
				t.Errorf("UseKey %s: got error %v, want %v", c.name, err, c.want)
			}
		}

		newPW := "new password"
		_, err = a.UpdateKeyPassword(f.ctx, "email", email, &newPW)
		must(t, "UpdateKeyPassword", err)
		_, err = a.UseKey(f.ctx, "email", email, &newPW)
		must(t, "UseKey with the new password", err)
		_, err = a.UseKey(f.ctx, "email", email, &pw)
		wantErr(t, "UseKey with the old password", err, latch.ErrInvalidPassword)
	})

	t.Run("session-lifecycle", func(t *testing.T) {
		f := setup(t, open)
		a, clk := f.auth()
		user, _ := f.emailUser(a, nil)

		s, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID})
		must(t, "CreateSession", err)
		if !s.Fresh || s.Token == "" || s.State != latch.StateActive {
			t.Fatalf("CreateSession = Fresh %v, Token %q, State %q; want fresh, a token, active", s.Fresh, s.Token, s.State)
		}
		start := clk.Now()
		if !s.ActiveExpires.Equal(start.Add(activePeriod)) || !s.IdleExpires.Equal(start.Add(activePeriod+idlePeriod)) {
			t.Errorf("CreateSession expiries %v, %v; want %v, %v", s.ActiveExpires, s.IdleExpires, start.Add(activePeriod), start.Add(activePeriod+idlePeriod))
		}

		clk.Add(activePeriod - time.Millisecond)
		v, err := a.ValidateSession(f.ctx, s.Token)
		must(t, "ValidateSession of an active session", err)
		if v.State != latch.StateActive || v.Fresh || v.ID != s.ID || v.User.ID != user.ID {
			t.Errorf("ValidateSession of an active session = state %q, Fresh %v, id %q, user %q; want active, not fresh, %q, %q",
				v.State, v.Fresh, v.ID, v.User.ID, s.ID, user.ID)
		}
		checkAttributes(t, "ValidateSession's user", v.User.Attributes, user.Attributes)
		rec, err := f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		if rec.ActiveExpires != msOf(s.ActiveExpires) || rec.IdleExpires != msOf(s.IdleExpires) {
			t.Errorf("stored expiries changed by validating an active session: %d, %d; want %d, %d",
				rec.ActiveExpires, rec.IdleExpires, msOf(s.ActiveExpires), msOf(s.IdleExpires))
		}

		// At the active expiry the session is idle: validating renews it.
		clk.Add(time.Millisecond)
		now := clk.Now()
		v, err = a.ValidateSession(f.ctx, s.Token)
		must(t, "ValidateSession of an idle session", err)
		if !v.Fresh || v.State != latch.StateActive {
			t.Errorf("ValidateSession of an idle session = Fresh %v, state %q; want fresh and active", v.Fresh, v.State)
		}
		wantActive, wantIdle := msOf(now.Add(activePeriod)), msOf(now.Add(activePeriod+idlePeriod))
		if msOf(v.ActiveExpires) != wantActive || msOf(v.IdleExpires) != wantIdle {
			t.Errorf("renewed session expiries %d, %d; want %d, %d", msOf(v.ActiveExpires), msOf(v.IdleExpires), wantActive, wantIdle)
		}
		rec, err = f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession after renewal", err)
		if rec.ActiveExpires != wantActive || rec.IdleExpires != wantIdle {
			t.Errorf("stored expiries after renewal %d, %d; want %d, %d (the renewal must be written)", rec.ActiveExpires, rec.IdleExpires, wantActive, wantIdle)
		}
		v, err = a.ValidateSession(f.ctx, s.Token)
		must(t, "ValidateSession after renewal", err)
		if v.Fresh {
			t.Error("ValidateSession right after renewal is Fresh; want not fresh")
		}

		// At the idle expiry the session is dead, and deleted.
		clk.Add(activePeriod + idlePeriod)
		_, err = a.ValidateSession(f.ctx, s.Token)
		wantErr(t, "ValidateSession at the idle expiry", err, latch.ErrInvalidSessionID)
		_, err = f.Sessions.GetSession(f.ctx, s.ID)
		wantNotFound(t, "GetSession of a dead session after ValidateSession", err)
		_, err = a.ValidateSession(f.ctx, s.Token)
		wantErr(t, "ValidateSession of a deleted session", err, latch.ErrInvalidSessionID)
	})

	t.Run("session-attributes", func(t *testing.T) {
		f := setup(t, open)
		a, _ := f.auth()
		user, _ := f.emailUser(a, nil)
		s, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID, Attributes: latch.Attributes{"ip": "192.0.2.1", "n": 5}})
		must(t, "CreateSession", err)
		must(t, "UpdateSessionAttributes", a.UpdateSessionAttributes(f.ctx, s.ID, latch.Attributes{"mfa": true}))
		v, err := a.ValidateSession(f.ctx, s.Token)
		must(t, "ValidateSession", err)
		checkAttributes(t, "validated session", v.Attributes, latch.Attributes{"ip": "192.0.2.1", "n": int64(5), "mfa": true})
		_, err = a.UpdateUserAttributes(f.ctx, user.ID, latch.Attributes{"email_verified": true})
		must(t, "UpdateUserAttributes", err)
		v, err = a.ValidateSession(f.ctx, s.Token)
		must(t, "ValidateSession", err)
		if !v.User.Attributes.Bool("email_verified") {
			t.Errorf("validated session's user attributes %v, want email_verified true", v.User.Attributes)
		}
	})

	t.Run("user-sessions-exclude-dead", func(t *testing.T) {
		f := setup(t, open)
		a, clk := f.auth()
		user, _ := f.emailUser(a, nil)
		long, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID})
		must(t, "CreateSession", err)
		short, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID, ActivePeriod: time.Minute, IdlePeriod: time.Minute})
		must(t, "CreateSession with short periods", err)
		other, _ := f.emailUser(a, nil)
		_, err = a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: other.ID})
		must(t, "CreateSession for another user", err)

		list, err := a.GetAllUserSessions(f.ctx, user.ID)
		must(t, "GetAllUserSessions", err)
		checkIDs(t, "GetAllUserSessions while both live", ids(list, func(s latch.Session) string { return s.ID }), sorted(long.ID, short.ID))

		clk.Add(2 * time.Minute) // short is dead, exactly at its idle expiry
		list, err = a.GetAllUserSessions(f.ctx, user.ID)
		must(t, "GetAllUserSessions", err)
		checkIDs(t, "GetAllUserSessions with one dead", ids(list, func(s latch.Session) string { return s.ID }), []string{long.ID})
		recs, err := f.Sessions.ListSessions(f.ctx, user.ID)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions before DeleteDeadUserSessions (dead ones are listed)", sessionIDs(recs), sorted(long.ID, short.ID))

		must(t, "DeleteDeadUserSessions", a.DeleteDeadUserSessions(f.ctx, user.ID))
		recs, err = f.Sessions.ListSessions(f.ctx, user.ID)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions after DeleteDeadUserSessions", sessionIDs(recs), []string{long.ID})
		_, err = a.ValidateSession(f.ctx, long.Token)
		must(t, "ValidateSession of the live session", err)
	})

	t.Run("delete-user", func(t *testing.T) {
		f := setup(t, open)
		a, _ := f.auth()
		pw := "pw"
		user, email := f.emailUser(a, &pw)
		s, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID})
		must(t, "CreateSession", err)
		other, otherEmail := f.emailUser(a, &pw)
		os, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: other.ID})
		must(t, "CreateSession", err)
		var tok latch.TokenRecord
		if f.Tokens != nil {
			tok = f.token(user.ID, "verify", baseMS+hour)
		}

		must(t, "DeleteUser", a.DeleteUser(f.ctx, user.ID))
		_, err = a.ValidateSession(f.ctx, s.Token)
		wantErr(t, "ValidateSession of a deleted user's session", err, latch.ErrInvalidSessionID)
		_, err = f.Sessions.GetSession(f.ctx, s.ID)
		wantNotFound(t, "GetSession of a deleted user's session", err)
		_, err = a.UseKey(f.ctx, "email", email, &pw)
		wantErr(t, "UseKey of a deleted user's key", err, latch.ErrInvalidKeyID)
		_, err = a.GetUser(f.ctx, user.ID)
		wantErr(t, "GetUser of a deleted user", err, latch.ErrInvalidUserID)
		if f.Tokens != nil {
			_, err := f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
			wantNotFound(t, "GetToken of a deleted user's token", err)
		}
		_, err = a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID})
		wantErr(t, "CreateSession for a deleted user", err, latch.ErrInvalidUserID)

		_, err = a.ValidateSession(f.ctx, os.Token)
		must(t, "ValidateSession of another user's session", err)
		_, err = a.UseKey(f.ctx, "email", otherEmail, &pw)
		must(t, "UseKey of another user's key", err)
		must(t, "DeleteUser of a missing user", a.DeleteUser(f.ctx, user.ID))
	})

	t.Run("duplicates", func(t *testing.T) {
		f := setup(t, open)
		a, _ := f.auth()
		owner, email := f.emailUser(a, nil)

		id := newID(t, "u")
		_, err := a.CreateUser(f.ctx, latch.CreateUserOptions{UserID: id, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: email}})
		wantErr(t, "CreateUser with a taken key", err, latch.ErrDuplicateKeyID)
		_, err = f.Users.GetUser(f.ctx, id)
		wantNotFound(t, "GetUser of a user refused for a taken key", err)

		fresh := newID(t, "fresh") + "@example.com"
		_, err = a.CreateUser(f.ctx, latch.CreateUserOptions{UserID: owner.ID, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: fresh}})
		wantErr(t, "CreateUser with a taken user id", err, latch.ErrInvalidRequest)
		if errors.Is(err, latch.ErrDuplicateKeyID) {
			t.Errorf("CreateUser with a taken user id and a free key: %v, must not be ErrDuplicateKeyID", err)
		}
		_, err = f.Keys.GetKey(f.ctx, latch.KeyID("email", fresh))
		wantNotFound(t, "GetKey of the key given with a refused user", err)

		_, err = a.CreateKey(f.ctx, owner.ID, latch.KeyOptions{ProviderID: "email", ProviderUserID: email})
		wantErr(t, "CreateKey with a taken key", err, latch.ErrDuplicateKeyID)
		_, err = a.CreateKey(f.ctx, newID(t, "u"), latch.KeyOptions{ProviderID: "email", ProviderUserID: fresh})
		wantErr(t, "CreateKey for a missing user", err, latch.ErrInvalidUserID)
	})

	t.Run("bad-input", func(t *testing.T) {
		huge := strings.Repeat("x", 10<<20)
		half := strings.Repeat("y", latch.MaxAttributesSize/2+1024)
		type object struct{ A int }
		cases := []struct {
			name string
			call func(ctx context.Context, e *inputEnv) error
			want error
			// check verifies that nothing was written.
			check func(t *testing.T, e *inputEnv)
		}{
			{"create-user/nul-in-user-id", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id + "\x00", Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key}})
				return err
			}, latch.ErrInvalidRequest, noKey},
			{"create-user/user-id-too-long", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id + strings.Repeat("x", latch.MaxIDLength), Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key}})
				return err
			}, latch.ErrInvalidRequest, noKey},
			{"create-user/nul-in-provider-user-id", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key + "\x00"}})
				return err
			}, latch.ErrInvalidRequest, noUser},
			{"create-user/empty-provider-id", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderUserID: e.key}})
				return err
			}, latch.ErrInvalidRequest, noUser},
			{"create-user/empty-provider-user-id", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "email"}})
				return err
			}, latch.ErrInvalidRequest, noUser},
			{"create-user/colon-in-provider-id", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "em:ail", ProviderUserID: e.key}})
				return err
			}, latch.ErrInvalidRequest, noUser},
			{"create-user/10mb-attribute", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key}, Attributes: latch.Attributes{"bio": huge}})
				return err
			}, latch.ErrInvalidAttributes, noUserNoKey},
			{"create-user/attributes-over-limit", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key}, Attributes: latch.Attributes{"a": half, "b": half}})
				return err
			}, latch.ErrInvalidAttributes, noUserNoKey},
			{"create-user/struct-attribute", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key}, Attributes: latch.Attributes{"obj": object{1}}})
				return err
			}, latch.ErrInvalidAttributes, noUserNoKey},
			{"create-user/bad-attribute-name", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key}, Attributes: latch.Attributes{"bad name": "x"}})
				return err
			}, latch.ErrInvalidAttributes, noUserNoKey},
			{"create-user/nul-in-attribute", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateUser(ctx, latch.CreateUserOptions{UserID: e.id, Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key}, Attributes: latch.Attributes{"name": "a\x00b"}})
				return err
			}, latch.ErrInvalidAttributes, noUserNoKey},
			{"update-user/10mb-attribute", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.UpdateUserAttributes(ctx, e.user.ID, latch.Attributes{"bio": huge})
				return err
			}, latch.ErrInvalidAttributes, userUnchanged},
			{"update-user/struct-attribute", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.UpdateUserAttributes(ctx, e.user.ID, latch.Attributes{"email": "changed", "obj": object{1}})
				return err
			}, latch.ErrInvalidAttributes, userUnchanged},
			{"update-user/merged-over-limit", func(ctx context.Context, e *inputEnv) error {
				// Each patch is under the limit; merged they are over it,
				// which only the store can see.
				if _, err := e.a.UpdateUserAttributes(ctx, e.user.ID, latch.Attributes{"a": half}); err != nil {
					return err
				}
				_, err := e.a.UpdateUserAttributes(ctx, e.user.ID, latch.Attributes{"b": half})
				return err
			}, latch.ErrInvalidAttributes, func(t *testing.T, e *inputEnv) {
				u, err := e.f.Users.GetUser(e.f.ctx, e.user.ID)
				must(t, "GetUser", err)
				if _, ok := u.Attributes["b"]; ok {
					t.Error("the refused patch was written")
				}
			}},
			{"update-session/merged-over-limit", func(ctx context.Context, e *inputEnv) error {
				if err := e.a.UpdateSessionAttributes(ctx, e.sess.ID, latch.Attributes{"a": half}); err != nil {
					return err
				}
				return e.a.UpdateSessionAttributes(ctx, e.sess.ID, latch.Attributes{"b": half})
			}, latch.ErrInvalidAttributes, func(t *testing.T, e *inputEnv) {
				s, err := e.f.Sessions.GetSession(e.f.ctx, e.sess.ID)
				must(t, "GetSession", err)
				if _, ok := s.Attributes["b"]; ok {
					t.Error("the refused patch was written")
				}
			}},
			{"create-session/empty-user-id", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateSession(ctx, latch.CreateSessionOptions{})
				return err
			}, latch.ErrInvalidUserID, nil},
			{"create-session/missing-user", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateSession(ctx, latch.CreateSessionOptions{UserID: e.id})
				return err
			}, latch.ErrInvalidUserID, noSessions(false)},
			{"create-session/struct-attribute", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateSession(ctx, latch.CreateSessionOptions{UserID: e.user.ID, Attributes: latch.Attributes{"obj": object{1}}})
				return err
			}, latch.ErrInvalidAttributes, noSessions(true)},
			{"create-session/10mb-attribute", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateSession(ctx, latch.CreateSessionOptions{UserID: e.user.ID, Attributes: latch.Attributes{"ua": huge}})
				return err
			}, latch.ErrInvalidAttributes, noSessions(true)},
			{"update-session/struct-attribute", func(ctx context.Context, e *inputEnv) error {
				return e.a.UpdateSessionAttributes(ctx, e.sess.ID, latch.Attributes{"ip": "changed", "obj": object{1}})
			}, latch.ErrInvalidAttributes, sessionUnchanged},
			{"update-session/missing", func(ctx context.Context, e *inputEnv) error {
				return e.a.UpdateSessionAttributes(ctx, latch.HashToken(e.id), latch.Attributes{"a": "b"})
			}, latch.ErrInvalidSessionID, nil},
			{"validate-session/empty-token", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.ValidateSession(ctx, "")
				return err
			}, latch.ErrInvalidSessionID, nil},
			{"validate-session/nul-in-token", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.ValidateSession(ctx, e.sess.Token+"\x00")
				return err
			}, latch.ErrInvalidSessionID, sessionUnchanged},
			{"validate-session/unknown-token", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.ValidateSession(ctx, e.id)
				return err
			}, latch.ErrInvalidSessionID, nil},
			{"validate-session/stored-id-as-token", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.ValidateSession(ctx, e.sess.ID)
				return err
			}, latch.ErrInvalidSessionID, sessionUnchanged},
			{"use-key/empty", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.UseKey(ctx, "", "", nil)
				return err
			}, latch.ErrInvalidKeyID, nil},
			{"use-key/nul", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.UseKey(ctx, "email", e.key+"\x00", ptr("pw"))
				return err
			}, latch.ErrInvalidKeyID, nil},
			{"create-key/nul", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.CreateKey(ctx, e.user.ID, latch.KeyOptions{ProviderID: "email", ProviderUserID: e.key + "\x00"})
				return err
			}, latch.ErrInvalidRequest, noKey},
			{"get-user/empty", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.GetUser(ctx, "")
				return err
			}, latch.ErrInvalidUserID, nil},
			{"get-user/nul", func(ctx context.Context, e *inputEnv) error {
				_, err := e.a.GetUser(ctx, e.user.ID+"\x00")
				return err
			}, latch.ErrInvalidUserID, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := setup(t, open)
				a, _ := f.auth()
				user, _ := f.emailUser(a, nil)
				sess, err := a.CreateSession(f.ctx, latch.CreateSessionOptions{UserID: user.ID, Attributes: latch.Attributes{"ip": "192.0.2.1"}})
				must(t, "CreateSession", err)
				e := &inputEnv{f: f, a: a, user: user, sess: sess, id: newID(t, "u"), key: newID(t, "k") + "@example.com"}
				err = c.call(f.ctx, e)
				if !errors.Is(err, c.want) {
					t.Fatalf("got error %v, want one matching %v", err, c.want)
				}
				if c.check != nil {
					c.check(t, e)
				}
			})
		}
	})
}

// inputEnv is what a bad-input case works on: an existing user with a
// session, and a fresh user id and provider user id that nothing uses.
type inputEnv struct {
	f    *fixture
	a    *latch.Auth
	user latch.User
	sess latch.Session
	id   string
	key  string
}

// The checks of the bad-input cases: nothing half-written.

func noUser(t *testing.T, e *inputEnv) {
	t.Helper()
	_, err := e.f.Users.GetUser(e.f.ctx, e.id)
	wantNotFound(t, "GetUser of the refused user", err)
}

func noKey(t *testing.T, e *inputEnv) {
	t.Helper()
	_, err := e.f.Keys.GetKey(e.f.ctx, latch.KeyID("email", e.key))
	wantNotFound(t, "GetKey of the refused key", err)
	list, err := e.f.Keys.ListKeys(e.f.ctx, e.user.ID)
	must(t, "ListKeys", err)
	if len(list) != 1 {
		t.Errorf("the existing user has %d keys, want its 1", len(list))
	}
}

func noUserNoKey(t *testing.T, e *inputEnv) {
	t.Helper()
	noUser(t, e)
	noKey(t, e)
}

func userUnchanged(t *testing.T, e *inputEnv) {
	t.Helper()
	u, err := e.f.Users.GetUser(e.f.ctx, e.user.ID)
	must(t, "GetUser", err)
	checkAttributes(t, "the user after a refused update", u.Attributes, e.user.Attributes)
}

func sessionUnchanged(t *testing.T, e *inputEnv) {
	t.Helper()
	s, err := e.f.Sessions.GetSession(e.f.ctx, e.sess.ID)
	must(t, "GetSession", err)
	checkAttributes(t, "the session after a refused call", s.Attributes, latch.Attributes{"ip": "192.0.2.1"})
}

// noSessions checks that the existing user has only its one session, or
// that the fresh user id has none.
func noSessions(existingUser bool) func(t *testing.T, e *inputEnv) {
	return func(t *testing.T, e *inputEnv) {
		t.Helper()
		userID, want := e.id, []string(nil)
		if existingUser {
			userID, want = e.user.ID, []string{e.sess.ID}
		}
		list, err := e.f.Sessions.ListSessions(e.f.ctx, userID)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions after a refused CreateSession", sessionIDs(list), want)
	}
}
