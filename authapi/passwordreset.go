package authapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
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
	return h.enqueue(r.Context(), outbox.NewID(), jobPasswordReset, mailRequestJob{Email: email})
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
	s, err := h.resetPassword(w, r, r.PathValue("token"), req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authBody(r, s))
	return nil
}

// resetPassword consumes a reset token and, for its user: claims the
// mailbox (claimMailbox: every session ends, every open sign-in token is
// voided, and, when the address was not verified, every other password is
// removed; the address is marked verified), sets the new password and
// starts a new session with its cookie.
//
// Atomicity: all of it runs in latch.Auth.InTx, so on a SQL store it is one
// transaction: a failure anywhere leaves the token unused, the old password
// and the old sessions in place. With sessions and tokens in Redis no
// transaction spans the stores; then the writes are ordered so that an
// interruption (an outage, a killed process) leaves the account safe: the
// token is taken first (atomically, so a link works once even under
// concurrent use), then the sessions and tokens go, then the password is
// replaced, then the sessions and tokens go again (any made with the old
// password meanwhile).
// An interruption can use up the link without changing the password, but
// never leaves a new password beside an old session.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, value, pw string) (latch.Session, error) {
	if err := checkPassword(pw); err != nil {
		return latch.Session{}, err
	}
	if value == "" || len(value) > latch.MaxIDLength {
		return latch.Session{}, ErrInvalidToken
	}
	// Before the token is taken: a refused password leaves the link usable.
	if err := h.checkBreached(r.Context(), pw); err != nil {
		return latch.Session{}, err
	}
	var (
		s     latch.Session
		email string
	)
	// The new password is hashed inside the transaction: take a hashing
	// slot before it starts, not while it holds the database.
	release, err := h.acquireHash(r.Context())
	if err != nil {
		return latch.Session{}, err
	}
	defer release()
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
			if _, err := h.auth.UpdateKeyPassword(ctx, emailProvider, email, &pw); errors.Is(err, latch.ErrInvalidKeyID) {
				// An account made by OAuth gets its first password.
				if _, err := h.auth.CreateKey(ctx, u.ID, latch.KeyOptions{ProviderID: emailProvider, ProviderUserID: email, Password: &pw}); err != nil {
					return err
				}
			} else if err != nil {
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
		s, err = h.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
		return err
	})
	if err != nil {
		return latch.Session{}, err
	}
	h.sessions.SetSessionCookie(w, s)
	if err := h.emailLimit.Reset(r.Context(), signInEmailKey(email)); err != nil {
		h.log.WarnContext(r.Context(), "throttle reset failed", "err", err)
	}
	return s, nil
}
