package authapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/throttle"
)

// Password length, in characters (runes). The hasher also refuses more
// than 256 bytes, which a long non-ASCII password can reach first.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

func checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return ErrPasswordTooShort
	case n > MaxPasswordLength || len(pw) > 256:
		return ErrPasswordTooLong
	}
	return nil
}

// BreachChecker tells whether a password is known from data breaches.
// *pwned.Checker is one.
type BreachChecker interface {
	Breached(ctx context.Context, password string) (bool, error)
}

// checkBreached refuses a breached password when a checker is configured.
// A checker that fails lets the password through, logged (see
// Config.BreachedPasswords).
func (h *Handler) checkBreached(ctx context.Context, pw string) error {
	if h.breached == nil {
		return nil
	}
	breached, err := h.breached.Breached(ctx, pw)
	if err != nil {
		h.log.WarnContext(ctx, "breached-password check failed; password accepted", "err", err)
		return nil
	}
	if breached {
		return ErrPasswordBreached
	}
	return nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 256 || strings.ContainsFunc(name, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}) {
		return "", ErrInvalidName
	}
	return name, nil
}

// currentSession returns the request's session, or ErrUnauthorized.
func currentSession(r *http.Request) (latch.Session, error) {
	s, ok := httpauth.FromContext(r.Context())
	if !ok {
		return latch.Session{}, ErrUnauthorized
	}
	return s, nil
}

// NewUser describes a user made by sign-up or by CreateUser.
type NewUser struct {
	Email    string
	Password string
	Name     string // optional
	Verified bool   // mark the email address verified
}

// CreateUser creates a user the way sign-up does: the email normalized
// (see NormalizeEmail) and stored in the "email" attribute with
// "email_verified", "name" when given and "created_at" (those two only
// where the user store keeps them, see optionalAttributes), and the key
// "email:<address>" with the password. It returns an *Error for bad input
// (INVALID_EMAIL, PASSWORD_TOO_SHORT, ...) and latch.ErrDuplicateKeyID
// when the address has an account.
func CreateUser(ctx context.Context, a *latch.Auth, nu NewUser) (latch.User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return latch.User{}, ErrInvalidEmail
	}
	// The key id "email:<address>" must fit latch.MaxIDLength: a valid
	// address of 250 to 254 bytes does not, which the core would refuse
	// as an invalid request that does not say why.
	if max := latch.MaxIDLength - len(emailProvider) - 1; len(email) > max {
		e := *ErrInvalidEmail
		e.Message = fmt.Sprintf("the email address must have at most %d bytes", max)
		return latch.User{}, &e
	}
	if err := checkPassword(nu.Password); err != nil {
		return latch.User{}, err
	}
	name, err := checkName(nu.Name)
	if err != nil {
		return latch.User{}, err
	}
	attrs := latch.Attributes{attrEmail: email, attrEmailVerified: nu.Verified}
	optional := latch.Attributes{attrCreatedAt: a.Now()}
	if name != "" {
		optional[attrName] = name
	}
	maps.Copy(attrs, optionalAttributes(a, optional))
	pw := nu.Password
	return a.CreateUser(ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: emailProvider, ProviderUserID: email, Password: &pw},
		Attributes: attrs,
	})
}

type signUpRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

func (h *Handler) signUp(w http.ResponseWriter, r *http.Request) error {
	var req signUpRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := h.createAccount(w, r, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, authBody(r, s))
	return nil
}

// createAccount creates the user, starts a session (cookie set) and queues
// the verification mail.
func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request, req signUpRequest) (latch.Session, error) {
	ctx := r.Context()
	// Input errors come in CreateUser's order and cost nothing; the rest
	// only for input that could make an account.
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		return latch.Session{}, ErrInvalidEmail
	}
	if err := checkPassword(req.Password); err != nil {
		return latch.Session{}, err
	}
	if _, err := checkName(req.Name); err != nil {
		return latch.Session{}, err
	}
	// Sign-up mails the address it is given: every attempt counts as a
	// mail request of the IP, counted before anything is looked up, so
	// probing which addresses have accounts is throttled too.
	wait, err := h.mailLimit.Attempt(ctx, "ip:"+h.clientIP(r))
	if err != nil {
		return latch.Session{}, err
	}
	if wait > 0 {
		return latch.Session{}, ErrTooManyRequests.withRetry(wait)
	}
	if err := h.checkBreached(ctx, req.Password); err != nil {
		return latch.Session{}, err
	}
	// A taken address is answered before the password is hashed: hashing
	// first would make every probe cost 19 MiB and a core.
	if _, err := h.auth.GetKey(ctx, emailProvider, email); err == nil {
		return latch.Session{}, ErrUserExists
	} else if !errors.Is(err, latch.ErrInvalidKeyID) {
		return latch.Session{}, err
	}
	// An address an email change left stays its account's while the
	// change's undo link lives.
	if reserved, err := h.emailReserved(ctx, email, ""); err != nil {
		return latch.Session{}, err
	} else if reserved {
		return latch.Session{}, ErrUserExists
	}
	release, err := h.acquireHash(ctx)
	if err != nil {
		return latch.Session{}, err
	}
	u, err := CreateUser(ctx, h.auth, NewUser{Email: req.Email, Password: req.Password, Name: req.Name})
	release()
	if err != nil {
		return latch.Session{}, err
	}
	// Checked again now that the key exists: an email change that left
	// this address reserves it before it frees the key, so a reservation
	// made while this sign-up ran is seen here, and the sign-up is undone.
	if reserved, err := h.emailReserved(ctx, email, ""); err != nil || reserved {
		if derr := h.auth.DeleteUser(ctx, u.ID); derr != nil {
			return latch.Session{}, derr
		}
		if err != nil {
			return latch.Session{}, err
		}
		return latch.Session{}, ErrUserExists
	}
	s, err := h.startSession(w, r, u.ID)
	if err != nil {
		return latch.Session{}, err
	}
	h.record(r, u.ID, evSignUp, "password")
	if err := h.queueVerification(r.Context(), u); err != nil {
		// The account and its session exist; the user can ask for a new
		// code, so the sign-up still succeeds.
		h.log.ErrorContext(r.Context(), "verification mail not queued", "user", u.ID, "err", err)
	}
	return s, nil
}

// startSession creates a session for the user and sets its cookie (and
// set-ott header, see sessionStarted).
//
// Only sign-up calls it: every other way in goes through
// signInOrSecondFactor, since the user may have a second factor.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, userID string) (latch.Session, error) {
	s, err := h.auth.CreateSession(r.Context(), latch.CreateSessionOptions{UserID: userID, AMR: []string{amrPassword}, Attributes: h.sessionDetails(r)})
	if err != nil {
		return latch.Session{}, err
	}
	h.sessionStarted(w, r, s)
	return s, nil
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (h *Handler) signInAPI(w http.ResponseWriter, r *http.Request) error {
	var req credentials
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, p, err := h.signIn(w, r, req)
	if err != nil {
		return err
	}
	writeSignIn(w, r, http.StatusOK, s, p)
	return nil
}

// signIn checks the throttles, then the email and password, and starts a
// session, or a pending sign-in when the user has a second factor. An
// unknown email costs the same hashing as a wrong password
// (latch.Auth.UseKey verifies against a dummy hash).
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, req credentials) (latch.Session, *pendingSignIn, error) {
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		// No account can have this address; no hint about any other.
		return latch.Session{}, nil, ErrInvalidCredentials
	}
	key, err := h.verifyPassword(r, email, req.Password)
	if err != nil {
		if apiError(err) == ErrInvalidCredentials {
			h.recordFailedSignIn(r, email)
		}
		return latch.Session{}, nil, err
	}
	s, p, err := h.signInOrSecondFactor(w, r, key.UserID, []string{amrPassword})
	if err == nil && p == nil {
		h.recordSignIn(r, key.UserID, "password")
	}
	return s, p, err
}

// verifyPassword checks the address's password under the sign-in
// throttles and the hashing bound, and returns its key.
//
// Both attempts are counted before the password is checked
// (throttle.Limiter.Attempt), so simultaneous guesses get no more tries
// than guesses made one by one. Per IP, a success gives its attempt back:
// many people may sign in from one address, and their successes must not
// use up its allowance. Per address, after signInLockAfter failures only
// a magic link or a reset lets the owner in, and either lifts the lock.
func (h *Handler) verifyPassword(r *http.Request, email, password string) (latch.Key, error) {
	ctx := r.Context()
	ipKey, emailKey := "sign-in:ip:"+h.clientIP(r), signInEmailKey(email)
	wait, err := h.ipLimit.Attempt(ctx, ipKey)
	if err != nil {
		return latch.Key{}, err
	}
	if wait > 0 {
		return latch.Key{}, ErrTooManyRequests.withRetry(wait)
	}
	wait, err = h.emailLimit.Attempt(ctx, emailKey)
	if errors.Is(err, throttle.ErrLocked) {
		return latch.Key{}, ErrSignInLocked.withRetry(wait)
	}
	if err != nil {
		return latch.Key{}, err
	}
	if wait > 0 {
		return latch.Key{}, ErrTooManyRequests.withRetry(wait)
	}
	release, err := h.acquireHash(ctx)
	if err == nil {
		var key latch.Key
		key, err = h.auth.UseKey(ctx, emailProvider, email, &password)
		release()
		h.debugKey(ctx, emailProvider, email, err)
		if err == nil {
			h.refund(ctx, h.ipLimit, ipKey)
			// A success clears the address's failures, not the IP's: an
			// account of one's own must not reset the backoff of one's
			// guessing.
			if err := h.emailLimit.Reset(ctx, emailKey); err != nil {
				h.log.WarnContext(ctx, "throttle reset failed", "err", err)
			}
			return key, nil
		}
	}
	// A busy server or a store failure is no guess: both attempts are
	// given back.
	if apiError(err) != ErrInvalidCredentials {
		h.refund(ctx, h.ipLimit, ipKey)
		h.refund(ctx, h.emailLimit, emailKey)
	}
	return latch.Key{}, err
}

func (h *Handler) signOutAPI(w http.ResponseWriter, r *http.Request) error {
	if err := h.signOut(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// signOut deletes the request's session, if any, and clears the cookie.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) error {
	if s, ok := httpauth.FromContext(r.Context()); ok {
		if err := h.auth.InvalidateSession(r.Context(), s.ID); err != nil {
			return err
		}
		h.record(r, s.UserID, evSignOut, "")
	}
	h.sessions.ClearSessionCookie(w)
	return nil
}
