package authapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/token"
)

type emailRequest struct {
	Email string `json:"email"`
}

// accepted is the one answer to a mail request, whether or not the email
// has an account.
var accepted = messageJSON{Message: "If an account exists for this address, a mail is on its way."}

func (h *Handler) requestPasswordResetAPI(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.requestPasswordReset(r, req.Email); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, accepted)
	return nil
}

// requestPasswordReset checks the address's form and the IP's throttle,
// then queues the rest: the lookup, the token and the mail all happen off
// the request path, so neither the answer nor its timing tells whether the
// address has an account.
func (h *Handler) requestPasswordReset(r *http.Request, rawEmail string) error {
	email, err := h.mailRequest(r, rawEmail)
	if err != nil {
		return err
	}
	return h.enqueue(r.Context(), outbox.NewID(), jobPasswordReset, mailRequestJob{Email: email, IP: h.clientIP(r), UserAgent: r.UserAgent()})
}

// mailRequest validates the address of a reset or magic-link request and
// counts the request against the client's IP.
func (h *Handler) mailRequest(r *http.Request, rawEmail string) (string, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return "", ErrInvalidEmail
	}
	if err := h.countMailRequest(r, "ip:"+h.clientIP(r)); err != nil {
		return "", err
	}
	return email, nil
}

// countMailRequest counts a request that sends mail against the key, or
// refuses it when the key has had its share.
func (h *Handler) countMailRequest(r *http.Request, key string) error {
	if err := h.checkThrottle(r.Context(), h.mailLimit, key); err != nil {
		return err
	}
	h.fail(r.Context(), h.mailLimit, key)
	return nil
}

// userByEmail returns the user of the email key; ok is false when there is
// none (err nil) or the lookup failed (err set).
func (h *Handler) userByEmail(ctx context.Context, email string) (latch.User, bool, error) {
	key, err := h.auth.GetKey(ctx, emailProvider, email)
	if errors.Is(err, latch.ErrInvalidKeyID) {
		return latch.User{}, false, nil
	}
	if err != nil {
		return latch.User{}, false, err
	}
	u, err := h.auth.GetUser(ctx, key.UserID)
	if errors.Is(err, latch.ErrInvalidUserID) {
		return latch.User{}, false, nil
	}
	if err != nil {
		return latch.User{}, false, err
	}
	return u, true, nil
}

type passwordRequest struct {
	Password string `json:"password"`
}

func (h *Handler) resetPasswordAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	var req passwordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, p, err := h.resetPassword(w, r, r.PathValue("token"), req.Password)
	if err != nil {
		return err
	}
	writeSignIn(w, r, http.StatusOK, s, p)
	return nil
}

// resetPassword consumes a reset token and, for its user: claims the
// mailbox (claimMailbox: every session ends, every open sign-in token is
// voided, and, when the address was not verified, every other password is
// removed; the address is marked verified), sets the new password and
// starts a new session with its cookie; for a user with a second factor,
// a pending sign-in instead (the password is set all the same).
//
// Atomicity: where one SQL store keeps everything, all of it runs in
// latch.Auth.InTx, one transaction: a failure anywhere leaves the token
// unused, the old password and the old sessions in place. With sessions
// and tokens in Redis (or the memory store), see resetPasswordSplit. A
// Lucia v2 database has no column for the attributes that needs, so with
// its tokens in Redis the writes are only ordered: the token is taken
// first, then the sessions and tokens go, then the password is replaced,
// then they go again; a cut can use up the link without changing the
// password, never leave a new password beside an old session.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, value, pw string) (latch.Session, *pendingSignIn, error) {
	if err := checkPassword(pw); err != nil {
		return latch.Session{}, nil, err
	}
	if value == "" || len(value) > token.MaxLength {
		return latch.Session{}, nil, ErrInvalidToken
	}
	// Before the token is taken: a refused password leaves the link usable.
	if err := h.checkBreached(r.Context(), pw); err != nil {
		return latch.Session{}, nil, err
	}
	var (
		s     latch.Session
		p     *pendingSignIn
		email string
	)
	// The new password is hashed inside the transaction: take a hashing
	// slot before it starts, not while it holds the database.
	release, err := h.acquireHash(r.Context())
	if err != nil {
		return latch.Session{}, nil, err
	}
	defer release()
	if !h.auth.Atomic() && h.auth.Profile() != latch.ProfileLucia2 {
		return h.resetPasswordSplit(w, r, value, pw)
	}
	err = h.auth.InTx(r.Context(), func(ctx context.Context) error {
		tok, err := h.resets.Validate(ctx, value)
		if err != nil {
			return err
		}
		u, err := h.auth.GetUser(ctx, tok.UserID)
		if errors.Is(err, latch.ErrInvalidUserID) {
			return ErrInvalidToken // the user was deleted since
		}
		if err != nil {
			return err
		}
		if email = u.Attributes.String(attrEmail); email == "" {
			return ErrInvalidToken
		}
		// The link proved the mailbox: the account is its owner's, with
		// every session ended and every open sign-in token (magic links,
		// CLI codes, other reset links) voided before the password is set.
		setPassword := func(ctx context.Context) error {
			if err := h.setEmailPassword(ctx, u.ID, email, pw); err != nil {
				return err
			}
			// The password changes again: its undo links are void.
			if err := h.voidUndos(ctx, u.ID, UndoPassword); err != nil {
				return err
			}
			if !h.auth.Atomic() {
				return h.endSignIns(ctx, u.ID) // any made with the old password meanwhile
			}
			return nil
		}
		if u, err = h.claimMailbox(ctx, u, latch.KeyID(emailProvider, email), setPassword); err != nil {
			return err
		}
		s, p, err = h.beginSignIn(ctx, r, u.ID, []string{amrMailedLink})
		return err
	})
	if err != nil {
		return latch.Session{}, nil, err
	}
	h.resetDone(w, r, s, p, email)
	return s, p, nil
}

// setEmailPassword sets the password of the user's email key; an account
// made by OAuth gets its first password.
func (h *Handler) setEmailPassword(ctx context.Context, userID, email, pw string) error {
	if _, err := h.auth.UpdateKeyPassword(ctx, emailProvider, email, &pw); errors.Is(err, latch.ErrInvalidKeyID) {
		_, err = h.auth.CreateKey(ctx, userID, latch.KeyOptions{ProviderID: emailProvider, ProviderUserID: email, Password: &pw})
		return err
	} else if err != nil {
		return err
	}
	return nil
}

// resetDone sets the cookie of the new session (or pending sign-in),
// clears the email's sign-in throttle and records the reset.
func (h *Handler) resetDone(w http.ResponseWriter, r *http.Request, s latch.Session, p *pendingSignIn, email string) {
	userID := s.UserID
	if p != nil {
		userID = p.UserID
	}
	h.record(r, userID, evTokenUsed, h.resets.Name())
	h.record(r, userID, evPasswordReset, "link")
	h.record(r, userID, evSessionEnded, "all (password reset)")
	h.signInMade(w, r, s, p)
	if err := h.emailLimit.Reset(r.Context(), signInEmailKey(email)); err != nil {
		h.log.WarnContext(r.Context(), "throttle reset failed", "err", err)
	}
}

// The user attributes a reset on a split setup writes with the password:
// the digest of the link used and the reset's time.
const (
	attrResetUsed = "latch_reset_used"
	attrResetAt   = "latch_reset_at"
)

// resetPasswordSplit is resetPassword where no transaction spans the
// stores (users and keys in SQL, sessions and tokens in Redis; or the
// memory store). The link is only checked at first. One transaction of the
// users' store (latch.Auth.InUserTx) then claims the mailbox's SQL part
// (other passwords removed when the address was unverified; the address
// marked verified), sets the new password, raises the user's
// latch.SessionGenerationAttribute (every older session is dead from then
// on), and writes the reset's time (older links are dead too) and the
// link's digest: the link counts as used once that commits. Only then are
// the link taken, the sessions and open sign-in tokens ended (endSignIns)
// and the new session made. A cut before the commit leaves nothing changed
// and the link usable; a cut after it leaves the new password, no live
// older session or link, and a used link.
func (h *Handler) resetPasswordSplit(w http.ResponseWriter, r *http.Request, value, pw string) (latch.Session, *pendingSignIn, error) {
	tok, err := h.resets.Peek(r.Context(), value)
	if err != nil {
		return latch.Session{}, nil, err
	}
	digest := latch.HashToken(value)
	var email string
	err = h.auth.InUserTx(r.Context(), func(ctx context.Context) error {
		// An empty write locks the user's row: of two resets with one
		// link, the second reads the first's digest below.
		u, err := h.auth.UpdateUserAttributes(ctx, tok.UserID, latch.Attributes{})
		if errors.Is(err, latch.ErrInvalidUserID) {
			return ErrInvalidToken // the user was deleted since
		}
		if err != nil {
			return err
		}
		if u.Attributes.String(attrResetUsed) == digest || h.resets.IssuedAt(tok).Before(u.Attributes.Time(attrResetAt)) {
			return ErrInvalidToken // used by a reset that was cut short
		}
		if email = u.Attributes.String(attrEmail); email == "" {
			return ErrInvalidToken
		}
		if err := h.dropOtherPasswords(ctx, u, latch.KeyID(emailProvider, email)); err != nil {
			return err
		}
		if err := h.setEmailPassword(ctx, u.ID, email, pw); err != nil {
			return err
		}
		_, err = h.auth.UpdateUserAttributes(ctx, u.ID, latch.Attributes{
			attrEmailVerified:                true,
			latch.SessionGenerationAttribute: u.Attributes.Int(latch.SessionGenerationAttribute) + 1,
			attrResetAt:                      h.auth.Now(), attrResetUsed: digest,
		})
		return err
	})
	if err != nil {
		return latch.Session{}, nil, err
	}
	// The reset has happened; what follows tidies up what the commit
	// already made void, so a failure here is logged, not the reset's.
	ctx := r.Context()
	if err := h.resets.Invalidate(ctx, value); err != nil {
		h.log.WarnContext(ctx, "reset: deleting the used link failed", "err", err)
	}
	if err := h.endSignIns(ctx, tok.UserID); err != nil {
		h.log.WarnContext(ctx, "reset: ending the old sessions and links failed", "err", err)
	}
	if err := h.voidUndos(ctx, tok.UserID, UndoPassword); err != nil {
		h.log.WarnContext(ctx, "reset: voiding the password's undo links failed", "err", err)
	}
	s, p, err := h.beginSignIn(ctx, r, tok.UserID, []string{amrMailedLink})
	if err != nil {
		return latch.Session{}, nil, err
	}
	h.resetDone(w, r, s, p, email)
	return s, p, nil
}
