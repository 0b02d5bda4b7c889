package storetest

import (
	"strconv"
	"testing"

	"github.com/latchauth/latch"
)

// expiryValues are millisecond times that must round-trip exactly: past
// 32-bit limits, not whole seconds, up to the last millisecond of year 9999.
var expiryValues = []int64{
	1<<31 + 7,
	1<<32 + 1,
	1732300000123,
	baseMS + 999,
	1<<40 + 123,
	253402300799999,
}

func testSessions(t *testing.T, open Open) {
	t.Run("create-get", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		s := latch.SessionRecord{
			ID: newSessionID(t), UserID: u,
			ActiveExpires: baseMS + hour + 1, IdleExpires: baseMS + 3*hour + 2,
			Attributes: latch.Attributes{"ip": "192.0.2.1", "mfa": true},
		}
		must(t, "CreateSession", f.Sessions.CreateSession(f.ctx, s))
		got, err := f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkSession(t, "GetSession", got, s)
		bare := latch.SessionRecord{ID: newSessionID(t), UserID: u, ActiveExpires: baseMS, IdleExpires: baseMS}
		must(t, "CreateSession without attributes", f.Sessions.CreateSession(f.ctx, bare))
		got, err = f.Sessions.GetSession(f.ctx, bare.ID)
		must(t, "GetSession", err)
		bare.Attributes = latch.Attributes{}
		checkSession(t, "GetSession of a session without attributes", got, bare)
	})

	t.Run("duplicate", func(t *testing.T) {
		f := setup(t, open)
		u, other := f.user(nil), f.user(nil)
		s := f.session(u, baseMS+hour, latch.Attributes{"n": int64(1)})
		again := s
		again.UserID, again.IdleExpires, again.Attributes = other, baseMS+2*hour, latch.Attributes{"n": int64(2)}
		wantErr(t, "CreateSession with a taken id", f.Sessions.CreateSession(f.ctx, again), latch.ErrDuplicate)
		got, err := f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkSession(t, "the session after a refused duplicate", got, s)
	})

	t.Run("missing-user", func(t *testing.T) {
		f := setup(t, open)
		if !f.sessionsWithUsers() {
			t.Skip("sessions and users are kept by different stores")
		}
		s := latch.SessionRecord{ID: newSessionID(t), UserID: newID(t, "u"), ActiveExpires: baseMS, IdleExpires: baseMS + hour}
		wantNotFound(t, "CreateSession for a missing user", f.Sessions.CreateSession(f.ctx, s))
		_, err := f.Sessions.GetSession(f.ctx, s.ID)
		wantNotFound(t, "GetSession of a session refused for a missing user", err)
	})

	t.Run("get-missing", func(t *testing.T) {
		f := setup(t, open)
		_, err := f.Sessions.GetSession(f.ctx, newSessionID(t))
		wantNotFound(t, "GetSession of a missing session", err)
	})

	t.Run("get-session-and-user", func(t *testing.T) {
		f := setup(t, open)
		g, ok := f.Sessions.(latch.SessionUserGetter)
		if !ok {
			t.Skip("the session store does not implement latch.SessionUserGetter")
		}
		if !f.sessionsWithUsers() {
			t.Skip("sessions and users are kept by different stores")
		}
		ua := latch.Attributes{"email": "ada@example.com", "n": int64(3)}
		u := f.user(ua)
		f.user(nil) // another user, to catch a join on the wrong row
		s := f.session(u, baseMS+hour, latch.Attributes{"ip": "192.0.2.1"})
		gs, gu, err := g.GetSessionAndUser(f.ctx, s.ID)
		must(t, "GetSessionAndUser", err)
		checkSession(t, "GetSessionAndUser session", gs, s)
		checkUser(t, "GetSessionAndUser user", gu, latch.UserRecord{ID: u, Attributes: ua})
		_, _, err = g.GetSessionAndUser(f.ctx, newSessionID(t))
		wantNotFound(t, "GetSessionAndUser of a missing session", err)
		dead := f.session(u, baseMS-hour, nil)
		_, _, err = g.GetSessionAndUser(f.ctx, dead.ID)
		must(t, "GetSessionAndUser of an expired session (the store does not judge expiry)", err)
	})

	t.Run("list-dead-and-live", func(t *testing.T) {
		f := setup(t, open)
		u, other := f.user(nil), f.user(nil)
		want := []latch.SessionRecord{
			f.session(u, baseMS+hour, latch.Attributes{"live": true}),
			f.session(u, baseMS-hour, latch.Attributes{"live": false}),
			f.session(u, 1<<31+7, nil),
		}
		f.session(other, baseMS+hour, nil)
		list, err := f.Sessions.ListSessions(f.ctx, u)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions", sessionIDs(list), sessionIDs(want))
		for _, got := range list {
			for _, w := range want {
				if got.ID == w.ID {
					if w.Attributes == nil {
						w.Attributes = latch.Attributes{}
					}
					checkSession(t, "ListSessions", got, w)
				}
			}
		}
		none, err := f.Sessions.ListSessions(f.ctx, f.user(nil))
		must(t, "ListSessions of a user without sessions", err)
		checkIDs(t, "ListSessions of a user without sessions", sessionIDs(none), nil)
		none, err = f.Sessions.ListSessions(f.ctx, newID(t, "u"))
		must(t, "ListSessions of a missing user", err)
		checkIDs(t, "ListSessions of a missing user", sessionIDs(none), nil)
	})

	t.Run("update-expiry", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		s := f.session(u, baseMS+hour, latch.Attributes{"a": "b"})
		other := f.session(u, baseMS+hour, nil)
		must(t, "UpdateSessionExpiry", f.Sessions.UpdateSessionExpiry(f.ctx, s.ID, baseMS+5*hour+1, baseMS+9*hour+2))
		s.ActiveExpires, s.IdleExpires = baseMS+5*hour+1, baseMS+9*hour+2
		got, err := f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkSession(t, "after UpdateSessionExpiry", got, s)
		got, err = f.Sessions.GetSession(f.ctx, other.ID)
		must(t, "GetSession", err)
		other.Attributes = latch.Attributes{}
		checkSession(t, "another session after UpdateSessionExpiry", got, other)
	})

	t.Run("update-attributes", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		s := f.session(u, baseMS+hour, latch.Attributes{"a": int64(1), "b": "x", "c": true})
		must(t, "UpdateSessionAttributes", f.Sessions.UpdateSessionAttributes(f.ctx, s.ID, latch.Attributes{"b": "y", "c": nil, "d": 2.5}))
		s.Attributes = latch.Attributes{"a": int64(1), "b": "y", "c": nil, "d": 2.5}
		got, err := f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkSession(t, "after UpdateSessionAttributes", got, s)
		must(t, "UpdateSessionAttributes with an empty patch", f.Sessions.UpdateSessionAttributes(f.ctx, s.ID, latch.Attributes{}))
		got, err = f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkSession(t, "after an empty patch", got, s)
	})

	t.Run("update-missing", func(t *testing.T) {
		f := setup(t, open)
		id := newSessionID(t)
		wantNotFound(t, "UpdateSessionExpiry of a missing session", f.Sessions.UpdateSessionExpiry(f.ctx, id, baseMS, baseMS+hour))
		wantNotFound(t, "UpdateSessionAttributes of a missing session", f.Sessions.UpdateSessionAttributes(f.ctx, id, latch.Attributes{"a": "b"}))
		_, err := f.Sessions.GetSession(f.ctx, id)
		wantNotFound(t, "GetSession after updating a missing session (an update must not create)", err)
	})

	t.Run("delete-one", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		s, kept := f.session(u, baseMS+hour, nil), f.session(u, baseMS+hour, nil)
		must(t, "DeleteSession", f.Sessions.DeleteSession(f.ctx, s.ID))
		_, err := f.Sessions.GetSession(f.ctx, s.ID)
		wantNotFound(t, "GetSession after DeleteSession", err)
		list, err := f.Sessions.ListSessions(f.ctx, u)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions after DeleteSession", sessionIDs(list), []string{kept.ID})
	})

	t.Run("delete-by-user", func(t *testing.T) {
		f := setup(t, open)
		u, other := f.user(nil), f.user(nil)
		gone := []latch.SessionRecord{f.session(u, baseMS+hour, nil), f.session(u, baseMS-hour, nil)}
		kept := f.session(other, baseMS+hour, nil)
		must(t, "DeleteSessionsByUser", f.Sessions.DeleteSessionsByUser(f.ctx, u))
		for _, s := range gone {
			_, err := f.Sessions.GetSession(f.ctx, s.ID)
			wantNotFound(t, "GetSession after DeleteSessionsByUser", err)
		}
		list, err := f.Sessions.ListSessions(f.ctx, u)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions after DeleteSessionsByUser", sessionIDs(list), nil)
		_, err = f.Sessions.GetSession(f.ctx, kept.ID)
		must(t, "GetSession of another user's session", err)
		// New sessions for the user are kept apart from the deleted ones.
		s := f.session(u, baseMS+hour, nil)
		list, err = f.Sessions.ListSessions(f.ctx, u)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions after a new session", sessionIDs(list), []string{s.ID})
	})

	t.Run("deletes-succeed-for-missing", func(t *testing.T) {
		f := setup(t, open)
		must(t, "DeleteSession of a missing session", f.Sessions.DeleteSession(f.ctx, newSessionID(t)))
		must(t, "DeleteSessionsByUser of a missing user", f.Sessions.DeleteSessionsByUser(f.ctx, newID(t, "u")))
		must(t, "DeleteSessionsByUser of a user without sessions", f.Sessions.DeleteSessionsByUser(f.ctx, f.user(nil)))
	})

	t.Run("delete-expired-for-user", func(t *testing.T) {
		f := setup(t, open)
		u, other := f.user(nil), f.user(nil)
		now := baseMS
		past := f.session(u, now-1, nil)
		atNow := f.session(u, now, nil)
		later := f.session(u, now+1, nil)
		othersPast := f.session(other, now-1, nil)
		// A session active past now but idle-expired: only the idle expiry counts.
		odd := latch.SessionRecord{ID: newSessionID(t), UserID: u, ActiveExpires: now + hour, IdleExpires: now - hour}
		must(t, "CreateSession", f.Sessions.CreateSession(f.ctx, odd))

		n, err := f.Sessions.DeleteExpiredSessions(f.ctx, u, now)
		must(t, "DeleteExpiredSessions", err)
		if n != 3 {
			t.Errorf("DeleteExpiredSessions(user, now) = %d, want 3 (idle expiry before now, at now, and before now while still active)", n)
		}
		list, err := f.Sessions.ListSessions(f.ctx, u)
		must(t, "ListSessions", err)
		checkIDs(t, "the user's sessions after DeleteExpiredSessions", sessionIDs(list), []string{later.ID})
		for _, s := range []latch.SessionRecord{past, atNow, odd} {
			_, err := f.Sessions.GetSession(f.ctx, s.ID)
			wantNotFound(t, "GetSession of a purged session", err)
		}
		_, err = f.Sessions.GetSession(f.ctx, othersPast.ID)
		must(t, "GetSession of another user's expired session (not purged with a user given)", err)

		n, err = f.Sessions.DeleteExpiredSessions(f.ctx, u, now)
		must(t, "DeleteExpiredSessions again", err)
		if n != 0 {
			t.Errorf("DeleteExpiredSessions again = %d, want 0", n)
		}
	})

	t.Run("delete-expired-for-all", func(t *testing.T) {
		f := setup(t, open)
		now := purgeNow
		// Leftovers in the purge range from an earlier run would spoil the count.
		_, err := f.Sessions.DeleteExpiredSessions(f.ctx, "", now)
		must(t, "DeleteExpiredSessions", err)
		a, b := f.user(nil), f.user(nil)
		gone := []latch.SessionRecord{f.session(a, now-1, nil), f.session(a, now, nil), f.session(b, now-1000, nil)}
		kept := []latch.SessionRecord{f.session(a, now+1, nil), f.session(b, baseMS, nil)}
		n, err := f.Sessions.DeleteExpiredSessions(f.ctx, "", now)
		must(t, "DeleteExpiredSessions", err)
		if n != int64(len(gone)) {
			t.Errorf("DeleteExpiredSessions(\"\", now) = %d, want %d", n, len(gone))
		}
		for _, s := range gone {
			_, err := f.Sessions.GetSession(f.ctx, s.ID)
			wantNotFound(t, "GetSession of a purged session", err)
		}
		for _, s := range kept {
			_, err := f.Sessions.GetSession(f.ctx, s.ID)
			must(t, "GetSession of a session expiring after now", err)
		}
		list, err := f.Sessions.ListSessions(f.ctx, a)
		must(t, "ListSessions", err)
		checkIDs(t, "ListSessions after the purge", sessionIDs(list), []string{kept[0].ID})
	})

	t.Run("expiry-round-trip", func(t *testing.T) {
		for _, v := range expiryValues {
			t.Run(strconv.FormatInt(v, 10), func(t *testing.T) {
				f := setup(t, open)
				u := f.user(nil)
				s := latch.SessionRecord{ID: newSessionID(t), UserID: u, ActiveExpires: v - 1, IdleExpires: v, Attributes: latch.Attributes{}}
				must(t, "CreateSession", f.Sessions.CreateSession(f.ctx, s))
				got, err := f.Sessions.GetSession(f.ctx, s.ID)
				must(t, "GetSession", err)
				checkSession(t, "after CreateSession", got, s)

				s2 := f.session(u, baseMS, nil)
				must(t, "UpdateSessionExpiry", f.Sessions.UpdateSessionExpiry(f.ctx, s2.ID, v, v))
				s2.ActiveExpires, s2.IdleExpires, s2.Attributes = v, v, latch.Attributes{}
				got, err = f.Sessions.GetSession(f.ctx, s2.ID)
				must(t, "GetSession", err)
				checkSession(t, "after UpdateSessionExpiry", got, s2)

				list, err := f.Sessions.ListSessions(f.ctx, u)
				must(t, "ListSessions", err)
				for _, got := range list {
					want := s
					if got.ID == s2.ID {
						want = s2
					}
					checkSession(t, "from ListSessions", got, want)
				}
			})
		}
	})

	t.Run("no-aliasing", func(t *testing.T) {
		f := setup(t, open)
		u := f.user(nil)
		in := latch.Attributes{"v": "original"}
		s := f.session(u, baseMS+hour, in)
		in["v"] = "changed by caller"
		got, err := f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkAttributes(t, "after the caller changed its input map", got.Attributes, latch.Attributes{"v": "original"})
		got.Attributes["v"] = "changed by caller"
		list, err := f.Sessions.ListSessions(f.ctx, u)
		must(t, "ListSessions", err)
		for _, l := range list {
			l.Attributes["v"] = "changed by caller"
		}
		got, err = f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession", err)
		checkAttributes(t, "after the caller changed returned maps", got.Attributes, latch.Attributes{"v": "original"})
	})
}
