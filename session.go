package latch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Session states.
const (
	StateActive = "active"
	StateIdle   = "idle"
)

// Session is a signed-in user's session. It marshals to JSON with the names
// the HTTP API uses (id, userId, activeExpires, idleExpires, state, fresh,
// attributes, user); the token is never marshalled, so logging or returning
// a Session as JSON cannot leak it.
type Session struct {
	// ID identifies the session in the store and in lists; it is safe to
	// show. In the default profile it is the SHA-256 of Token.
	ID string `json:"id"`
	// Token is the secret the client holds (cookie or bearer token). It is
	// set when the session is created or validated with it, and empty in
	// lists. In the lucia2 profile it equals ID.
	Token  string `json:"-"`
	UserID string `json:"userId"`
	User   User   `json:"user,omitzero"`
	// ActiveExpires ends the active period; IdleExpires ends the idle
	// period, after which the session is dead. Both ends are exclusive, as
	// in Lucia: at the instant IdleExpires the session is already dead.
	ActiveExpires time.Time `json:"activeExpires"`
	IdleExpires   time.Time `json:"idleExpires"`
	// State is StateActive or StateIdle.
	State string `json:"state"`
	// Fresh reports that the session was just created or renewed: the HTTP
	// layer sets its cookie again.
	Fresh bool `json:"fresh"`
	// AAL is the assurance level the session was made with: 2 when the
	// user proved two factors (AMR holds "mfa"), 1 otherwise.
	AAL int `json:"aal"`
	// AMR lists how the user authenticated (RFC 8176 values: "pwd",
	// "otp", "hwk", "swk", "user", "mfa", ...); empty for a session made
	// before Latch kept it, or on a Lucia v2 database without an amr
	// column (see Config.KeepSessionAMR).
	AMR        []string   `json:"amr"`
	Attributes Attributes `json:"attributes"`
}

// CreateSessionOptions describe a new session. Zero periods take the Auth's.
type CreateSessionOptions struct {
	UserID     string
	Attributes Attributes
	// AMR lists the authentication methods behind the session (RFC 8176);
	// include "mfa" when two factors were proved, which makes it AAL 2. It
	// is kept in the session attribute SessionAMRAttribute.
	AMR          []string
	ActivePeriod time.Duration
	IdlePeriod   time.Duration
}

// SessionID returns the stored id of a session token: its SHA-256 (hex) in
// the default profile, the token itself in the lucia2 profile.
func (a *Auth) SessionID(token string) string {
	if a.profile == ProfileLucia2 {
		return token
	}
	return HashToken(token)
}

// HashToken returns the lowercase hex SHA-256 of a secret value, the form
// in which Latch stores session tokens and single-use tokens.
func HashToken(value string) string {
	sum := sha256.Sum256([]byte(value))
	var out [2 * sha256.Size]byte // on the stack: one allocation, the string
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// CreateSession starts a session for the user. The returned session carries
// the Token to hand to the client; Fresh is true.
func (a *Auth) CreateSession(ctx context.Context, opts CreateSessionOptions) (Session, error) {
	if checkID("user id", opts.UserID) != nil {
		return Session{}, fmt.Errorf("latch: create session: %w", ErrInvalidUserID)
	}
	attrs, err := opts.Attributes.normalize()
	if err != nil {
		return Session{}, fmt.Errorf("latch: create session: %w", err)
	}
	if _, err := MarshalAttributes(attrs); err != nil {
		return Session{}, fmt.Errorf("latch: create session: %w", err)
	}
	if opts.ActivePeriod < 0 || opts.IdlePeriod < 0 {
		return Session{}, fmt.Errorf("latch: create session: %w", invalid("negative session period"))
	}
	user, err := a.users.GetUser(ctx, opts.UserID)
	if err != nil {
		return Session{}, fmt.Errorf("latch: create session: %w", notFound(err, ErrInvalidUserID))
	}
	if disabled(user.Attributes) {
		return Session{}, fmt.Errorf("latch: create session: %w", ErrUserDisabled)
	}
	active, idle := a.activePeriod, a.idlePeriod
	if opts.ActivePeriod > 0 {
		active = opts.ActivePeriod
	}
	if opts.IdlePeriod > 0 {
		idle = opts.IdlePeriod
	}
	token, err := RandomString(a.tokenLength, AlphabetLowerNumeric)
	if err != nil {
		return Session{}, fmt.Errorf("latch: create session: %w", err)
	}
	now := a.now()
	activeExp, idleExp := now.Add(active), now.Add(active).Add(idle)
	if a.maxLifetime > 0 {
		if attrs == nil {
			attrs = Attributes{}
		}
		attrs[SessionCreatedAttribute] = fromMS(ms(now))
		activeExp, idleExp = capAt(activeExp, idleExp, now.Add(a.maxLifetime))
	}
	if len(opts.AMR) > 0 && (a.profile != ProfileLucia2 || a.keepAMR) {
		amr, err := joinAMR(opts.AMR)
		if err != nil {
			return Session{}, fmt.Errorf("latch: create session: %w", err)
		}
		if attrs == nil {
			attrs = Attributes{}
		}
		attrs[SessionAMRAttribute] = amr
	}
	if gen := user.Attributes.Int(SessionGenerationAttribute); gen > 0 {
		// The user's generation as read before the session is written: a
		// reset that commits in between leaves this session dead.
		if attrs == nil {
			attrs = Attributes{}
		}
		attrs[SessionGenerationAttribute] = gen
	}
	rec := SessionRecord{
		ID: a.SessionID(token), UserID: opts.UserID,
		ActiveExpires: ms(activeExp), IdleExpires: ms(idleExp),
		Attributes: attrs,
	}
	err = a.withEvent(ctx, a.txOf(a.sessions), func(ctx context.Context) error {
		if err := a.sessions.CreateSession(ctx, rec); err != nil {
			a.observeStore("sessions", "create_session", err)
			return err
		}
		return a.RaiseEvent(ctx, Event{Type: EventSessionCreated, UserID: rec.UserID, Data: map[string]string{"sessionId": a.eventSessionID(rec.ID)}})
	})
	if err != nil {
		return Session{}, fmt.Errorf("latch: create session: %w", notFound(err, ErrInvalidUserID))
	}
	s := a.sessionFromRecord(rec, userFromRecord(user), now)
	s.Token, s.Fresh = token, true
	return s, nil
}

// ValidateSession checks a session token. A dead session (past its idle
// expiry) is deleted and ErrInvalidSessionID returned. A session in its idle
// period is renewed in the store and returned with Fresh set, so the caller
// re-sets the cookie.
func (a *Auth) ValidateSession(ctx context.Context, token string) (Session, error) {
	s, err := a.GetSession(ctx, token)
	if err != nil {
		return Session{}, err
	}
	if s.State == StateActive {
		a.Observe(Observation{Subject: ObserveSession, Outcome: OutcomeValidated})
		return s, nil
	}
	// Keep the session's own idle period across renewals.
	idle := s.IdleExpires.Sub(s.ActiveExpires)
	now := a.now()
	activeExp := now.Add(a.activePeriod)
	idleExp := activeExp.Add(idle)
	if created := s.Attributes.Time(SessionCreatedAttribute); a.maxLifetime > 0 && !created.IsZero() {
		// The session's own idle period was already cut at creation: the
		// stored expiries never pass the deadline, renewed or not.
		activeExp, idleExp = capAt(activeExp, idleExp, created.Add(a.maxLifetime))
	}
	if err := a.sessions.UpdateSessionExpiry(ctx, s.ID, ms(activeExp), ms(idleExp)); err != nil {
		if errors.Is(err, ErrNotFound) { // invalidated meanwhile
			return Session{}, fmt.Errorf("latch: validate session: %w", ErrInvalidSessionID)
		}
		a.observeStore("sessions", "renew_session", err)
		return Session{}, fmt.Errorf("latch: validate session: renewing: %w", err)
	}
	a.Observe(Observation{Subject: ObserveSession, Outcome: OutcomeValidated})
	a.Observe(Observation{Subject: ObserveSession, Outcome: OutcomeRenewed})
	s.ActiveExpires, s.IdleExpires = fromMS(ms(activeExp)), fromMS(ms(idleExp))
	s.State, s.Fresh = StateActive, true
	return s, nil
}

// GetSession is ValidateSession without renewal: it returns a live session
// as it is stored (dead ones are deleted and ErrInvalidSessionID returned).
func (a *Auth) GetSession(ctx context.Context, token string) (Session, error) {
	if checkID("session token", token) != nil {
		return Session{}, fmt.Errorf("latch: validate session: %w", ErrInvalidSessionID)
	}
	s, err := a.sessionByID(ctx, a.SessionID(token))
	if err != nil {
		return Session{}, fmt.Errorf("latch: validate session: %w", err)
	}
	s.Token = token
	return s, nil
}

// GetSessionByID returns a live session by its stored id (Session.ID),
// without its token. Dead sessions are deleted and ErrInvalidSessionID
// returned; a session token given instead of an id is ErrSessionTokenGiven.
func (a *Auth) GetSessionByID(ctx context.Context, sessionID string) (Session, error) {
	if err := a.checkSessionID(sessionID); err != nil {
		return Session{}, fmt.Errorf("latch: get session: %w", err)
	}
	s, err := a.sessionByID(ctx, sessionID)
	if err != nil {
		return Session{}, fmt.Errorf("latch: get session: %w", err)
	}
	return s, nil
}

func (a *Auth) sessionByID(ctx context.Context, id string) (Session, error) {
	var (
		rec  SessionRecord
		user UserRecord
		err  error
	)
	if a.joined != nil {
		rec, user, err = a.joined.GetSessionAndUser(ctx, id)
	} else {
		rec, err = a.sessions.GetSession(ctx, id)
		if err == nil {
			user, err = a.users.GetUser(ctx, rec.UserID)
		}
	}
	if err != nil {
		a.observeStore("sessions", "get_session", err)
		return Session{}, notFound(err, ErrInvalidSessionID)
	}
	now := a.now()
	// A disabled user's session is dead too: DisableUser deletes them,
	// and this catches one written in a race with it.
	if ms(now) >= rec.IdleExpires || predates(rec, user.Attributes) || disabled(user.Attributes) {
		if err := a.sessions.DeleteSession(ctx, id); err != nil {
			return Session{}, fmt.Errorf("deleting dead session: %w", err)
		}
		return Session{}, ErrInvalidSessionID
	}
	return a.sessionFromRecord(rec, userFromRecord(user), now), nil
}

func (a *Auth) sessionFromRecord(r SessionRecord, u User, now time.Time) Session {
	state := StateActive
	if ms(now) >= r.ActiveExpires {
		state = StateIdle
	}
	attrs := r.Attributes
	if attrs == nil {
		attrs = Attributes{}
	}
	amr := splitAMR(attrs.String(SessionAMRAttribute))
	aal := 1
	if slices.Contains(amr, "mfa") {
		aal = 2
	}
	return Session{
		ID: r.ID, UserID: r.UserID, User: u,
		ActiveExpires: fromMS(r.ActiveExpires), IdleExpires: fromMS(r.IdleExpires),
		State: state, Attributes: attrs, AAL: aal, AMR: amr,
	}
}

// SessionAMRAttribute is the session attribute that keeps a session's
// authentication methods, space-separated ("pwd otp mfa").
const SessionAMRAttribute = "amr"

// joinAMR checks and joins AMR values: each is 1 to 16 characters of
// a-z, 0-9, '_' or '-', as RFC 8176's registry names are.
func joinAMR(amr []string) (string, error) {
	var b strings.Builder
	for i, v := range amr {
		if v == "" || len(v) > 16 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			return "", invalid("amr values are 1 to 16 characters of a-z, 0-9, '_' or '-'")
		}
		if slices.Contains(amr[:i], v) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func splitAMR(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Fields(s)
}

// GetAllUserSessions returns the user's live sessions (without tokens);
// ErrInvalidUserID for an unknown user.
func (a *Auth) GetAllUserSessions(ctx context.Context, userID string) ([]Session, error) {
	user, err := a.GetUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("latch: get user sessions: %w", ErrInvalidUserID)
	}
	recs, err := a.sessions.ListSessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("latch: get user sessions: %w", err)
	}
	now := a.now()
	out := make([]Session, 0, len(recs))
	for _, r := range recs {
		if ms(now) >= r.IdleExpires || predates(r, user.Attributes) || user.Disabled() {
			continue
		}
		out = append(out, a.sessionFromRecord(r, user, now))
	}
	return out, nil
}

// UpdateSessionAttributes merges patch into the session's attributes.
// A session token given instead of an id is ErrSessionTokenGiven.
func (a *Auth) UpdateSessionAttributes(ctx context.Context, sessionID string, patch Attributes) error {
	if err := a.checkSessionID(sessionID); err != nil {
		return fmt.Errorf("latch: update session: %w", err)
	}
	p, err := patch.normalize()
	if err != nil {
		return fmt.Errorf("latch: update session: %w", err)
	}
	if err := a.sessions.UpdateSessionAttributes(ctx, sessionID, p); err != nil {
		return fmt.Errorf("latch: update session: %w", notFound(err, ErrInvalidSessionID))
	}
	return nil
}

// InvalidateSession deletes a session by its stored id (Session.ID). A
// missing session is no error. Given a value that cannot be a session id —
// above all a session token (Session.Token, the cookie value), which in the
// default profile differs from the id — it deletes nothing and returns
// ErrSessionTokenGiven, so that the sign-out written the Lucia v2 way,
// InvalidateSession(ctx, s.Token), fails loudly instead of leaving the
// session valid. To sign out by token use InvalidateSessionToken.
func (a *Auth) InvalidateSession(ctx context.Context, sessionID string) error {
	if err := a.checkSessionID(sessionID); err != nil {
		return fmt.Errorf("latch: invalidate session: %w", err)
	}
	if err := a.revokeSession(ctx, sessionID); err != nil {
		return fmt.Errorf("latch: invalidate session: %w", err)
	}
	return nil
}

// revokeSession deletes a session by its stored id and raises
// EventSessionRevoked when it existed (read first only when events are
// wanted).
func (a *Auth) revokeSession(ctx context.Context, id string) error {
	if !a.EventsWanted() {
		return a.sessions.DeleteSession(ctx, id)
	}
	rec, err := a.sessions.GetSession(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return a.sessions.DeleteSession(ctx, id)
	}
	if err != nil {
		return err
	}
	return a.withEvent(ctx, a.txOf(a.sessions), func(ctx context.Context) error {
		if err := a.sessions.DeleteSession(ctx, id); err != nil {
			return err
		}
		return a.RaiseEvent(ctx, a.sessionRevoked(rec))
	})
}

func (a *Auth) sessionRevoked(r SessionRecord) Event {
	return Event{Type: EventSessionRevoked, UserID: r.UserID, Data: map[string]string{"sessionId": a.eventSessionID(r.ID)}}
}

// eventSessionID is how events name a session: its stored id, the SHA-256
// of its token, in the default profile; in the lucia2 profile, where the
// stored id is the token itself, the SHA-256 of it, so that no event ever
// carries a credential.
func (a *Auth) eventSessionID(id string) string {
	if a.profile == ProfileLucia2 {
		return HashToken(id)
	}
	return id
}

// InvalidateSessionToken deletes the session a token (Session.Token, the
// cookie or bearer value) belongs to: the sign-out. A token of no session is
// no error; an empty or malformed one is ErrInvalidSessionID.
func (a *Auth) InvalidateSessionToken(ctx context.Context, token string) error {
	if checkID("session token", token) != nil {
		return fmt.Errorf("latch: invalidate session: %w", ErrInvalidSessionID)
	}
	if err := a.revokeSession(ctx, a.SessionID(token)); err != nil {
		return fmt.Errorf("latch: invalidate session: %w", err)
	}
	return nil
}

// ErrSessionTokenGiven is returned (wrapped) by the functions that take a
// session id (Session.ID) when they are given something else, most often
// the session's token. It matches ErrInvalidSessionID too.
var ErrSessionTokenGiven = fmt.Errorf("%w: a session token or other non-id was given where a session id (Session.ID) is expected; use InvalidateSessionToken or Auth.SessionID(token)", ErrInvalidSessionID)

// checkSessionID tells a stored session id from anything else. In the
// default profile an id is the 64-character lowercase hex SHA-256 of a token
// and a token is never that (its alphabet is a-z0-9 and no longer than 255,
// so a hex-only token of 64 characters has a chance of (16/36)^64); in the
// lucia2 profile the id is the token, so any well-formed value is an id.
func (a *Auth) checkSessionID(id string) error {
	if checkID("session id", id) != nil {
		return ErrInvalidSessionID
	}
	if a.profile == ProfileLucia2 {
		return nil
	}
	if len(id) != 2*sha256.Size {
		return ErrSessionTokenGiven
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ErrSessionTokenGiven
		}
	}
	return nil
}

// InvalidateAllUserSessions deletes all of the user's sessions.
func (a *Auth) InvalidateAllUserSessions(ctx context.Context, userID string) error {
	if checkID("user id", userID) != nil {
		return nil
	}
	var live []SessionRecord
	if a.EventsWanted() {
		recs, err := a.sessions.ListSessions(ctx, userID)
		if err != nil {
			return fmt.Errorf("latch: invalidate user sessions: %w", err)
		}
		now := ms(a.now())
		for _, r := range recs {
			if r.IdleExpires > now {
				live = append(live, r)
			}
		}
	}
	err := a.withEvent(ctx, a.txOf(a.sessions), func(ctx context.Context) error {
		if err := a.sessions.DeleteSessionsByUser(ctx, userID); err != nil {
			return err
		}
		for _, r := range live {
			if err := a.RaiseEvent(ctx, a.sessionRevoked(r)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("latch: invalidate user sessions: %w", err)
	}
	return nil
}

// DeleteDeadUserSessions removes the user's sessions past their idle expiry.
func (a *Auth) DeleteDeadUserSessions(ctx context.Context, userID string) error {
	if checkID("user id", userID) != nil {
		return nil
	}
	if _, err := a.sessions.DeleteExpiredSessions(ctx, userID, ms(a.now())); err != nil {
		return fmt.Errorf("latch: delete dead sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes every dead session and returns how many.
func (a *Auth) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	n, err := a.sessions.DeleteExpiredSessions(ctx, "", ms(a.now()))
	if err != nil {
		return 0, fmt.Errorf("latch: delete expired sessions: %w", err)
	}
	return n, nil
}

// SessionCreatedAttribute is the session attribute that holds a session's
// creation time when Config.SessionMaxLifetime is set.
const SessionCreatedAttribute = "latch_created_at"

// SessionGenerationAttribute is a user attribute and a session attribute
// (an integer, 0 when absent). A session is written with its user's
// generation at the time; a session whose generation is lower than its
// user's is dead. Raising the user's generation therefore ends every
// session at once, in the store that keeps users: a password reset on a
// split setup (sessions in Redis) raises it in the same transaction as the
// password, so that no older session outlives the new password even when
// the process dies before the sessions are deleted. A counter rather than a
// "valid from" time, so that neither a clock that stands still (tests) nor
// clocks apart across latchd processes can let an older session through.
const SessionGenerationAttribute = "latch_session_generation"

// predates reports whether the session is of an earlier generation than
// its user (see SessionGenerationAttribute).
func predates(r SessionRecord, user Attributes) bool {
	return r.Attributes.Int(SessionGenerationAttribute) < user.Int(SessionGenerationAttribute)
}

// capAt cuts both expiries at the deadline.
func capAt(active, idle, deadline time.Time) (time.Time, time.Time) {
	if active.After(deadline) {
		active = deadline
	}
	if idle.After(deadline) {
		idle = deadline
	}
	return active, idle
}
