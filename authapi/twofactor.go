package authapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/throttle"
	"github.com/latchauth/latch/token"
)

// The second step of sign-in. Every way in (password, magic link, password
// reset, OAuth, and through them the CLI's code) ends in
// signInOrSecondFactor: a user who has a second factor gets no session
// yet but a pending sign-in, a single-use token (hashed at rest, five
// minutes) that remembers how the first step was passed. A browser holds
// it in an HttpOnly cookie only; a client without an Origin header also
// gets it in the body. POST /api/auth/two-factor/verify (or the
// /two-factor page) with a factor's proof consumes it and starts the
// session, whose AMR is the first step's, the factor's and "mfa" (AAL 2).

// How the first step was passed, as RFC 8176 AMR values. RFC 8176 has no
// value for a link mailed to the address: such a link is a single-use
// secret sent out of band, which is what "otp" names. Nor has it one for
// a sign-in with another identity provider: "fed" is Latch's own.
const (
	amrPassword   = "pwd"
	amrMailedLink = "otp"
	amrFederated  = "fed"
	amrMFA        = "mfa"
)

const (
	// pendingLifetime is how long a pending sign-in waits for its factor.
	pendingLifetime = 5 * time.Minute
	// pendingCookie holds a browser's pending sign-in ("__Host-" prefixed
	// where the session cookie is Secure; see httpauth.Manager.SetCookie).
	pendingCookie = "latch_two_factor"
	// maxPendingAttempts wrong proofs end the user's pending sign-ins.
	maxPendingAttempts = 5
)

// The errors of the second step.
var (
	ErrTwoFactorPending  = newError(http.StatusUnauthorized, "TWO_FACTOR_PENDING_INVALID", "this sign-in has expired or is over: sign in again")
	ErrFactorAttempts    = newError(http.StatusUnauthorized, "TWO_FACTOR_ATTEMPTS_EXCEEDED", "too many wrong codes: this sign-in is over, sign in again")
	ErrEnrolmentRequired = newError(http.StatusForbidden, "TWO_FACTOR_ENROLMENT_REQUIRED", "this service requires a second factor: add one on your account page, then sign in again with it")
)

// pendingSignIn is a sign-in waiting for its second factor.
type pendingSignIn struct {
	Token     string
	UserID    string
	Methods   []string // the user's kinds of factor, as userFactors
	ExpiresAt time.Time
}

// pendingData is kept with the pending token: how the first step was
// passed.
type pendingData struct {
	AMR []string `json:"amr"`
}

// initTwoFactor makes the pending sign-ins' tokens, the per-user throttle
// of second-step proofs and the email-code step-up.
func (h *Handler) initTwoFactor(cfg Config) error {
	var err error
	h.pending, h.stepUpCodes, h.require2FA = cfg.PendingSignIns, cfg.StepUpCodes, cfg.RequireSecondFactor
	if cfg.TwoFactorThrottle != nil {
		h.factorLimit = cfg.TwoFactorThrottle
	}
	// Mailed step-up codes have their own per-user count: they are no
	// second factor, and a user's wrong TOTP codes must not lock them.
	if h.codeLimit, err = throttle.New(h.throttleStore, throttle.Options{Prefix: "step-up-code:", Free: 10, Window: 24 * time.Hour}); err != nil {
		return err
	}
	if h.pending == nil {
		if h.pending, err = token.NewIDTokens(h.auth, "two-factor-pending", token.IDTokenOptions{ExpiresIn: pendingLifetime}); err != nil {
			return kindClash("PendingSignIns", err)
		}
	}
	return h.initEmailCode()
}

// signInOrSecondFactor ends a first step passed with amr: it starts the
// user's session (cookie set), or, when the user has a second factor and
// amr has no "mfa", makes a pending sign-in instead (its cookie set) and
// returns it with no session.
func (h *Handler) signInOrSecondFactor(w http.ResponseWriter, r *http.Request, userID string, amr []string) (latch.Session, *pendingSignIn, error) {
	s, p, err := h.beginSignIn(r.Context(), r, userID, amr)
	if err != nil {
		return latch.Session{}, nil, err
	}
	h.signInMade(w, r, s, p)
	return s, p, nil
}

// beginSignIn is signInOrSecondFactor without the cookies, for the flows
// that make the session inside a transaction (ctx carries it): they call
// signInMade after the commit.
func (h *Handler) beginSignIn(ctx context.Context, r *http.Request, userID string, amr []string) (latch.Session, *pendingSignIn, error) {
	if !slices.Contains(amr, amrMFA) {
		methods, err := h.userFactors(ctx, userID)
		if err != nil && !errors.Is(err, latch.ErrNoFactorStore) { // no factor store: no factors
			return latch.Session{}, nil, err
		}
		if len(methods) > 0 {
			// As CreateSession would: a disabled user gets no pending
			// sign-in either.
			u, err := h.auth.GetUser(ctx, userID)
			if err != nil {
				return latch.Session{}, nil, err
			}
			if u.Disabled() {
				return latch.Session{}, nil, fmt.Errorf("authapi: sign-in: %w", latch.ErrUserDisabled)
			}
			data, err := json.Marshal(pendingData{AMR: amr})
			if err != nil {
				return latch.Session{}, nil, err
			}
			tok, err := h.pending.IssueWithData(ctx, userID, data)
			if err != nil {
				return latch.Session{}, nil, err
			}
			return latch.Session{}, &pendingSignIn{Token: tok.String(), UserID: userID, Methods: methods, ExpiresAt: tok.ExpiresAt}, nil
		}
	}
	s, err := h.auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: userID, AMR: amr, Attributes: h.sessionDetails(r)})
	return s, nil, err
}

// signInMade sets the cookie of what beginSignIn made: the session's, or
// the pending sign-in's.
func (h *Handler) signInMade(w http.ResponseWriter, r *http.Request, s latch.Session, p *pendingSignIn) {
	if p != nil {
		h.sessions.SetCookie(w, pendingCookie, p.Token, pendingLifetime)
		h.debug(r.Context(), "second factor asked", "route", route(r), "user", p.UserID)
		return
	}
	h.sessionStarted(w, r, s)
}

// twoFactorJSON answers a first step that needs a second factor.
// PendingToken is for clients without an Origin header only: a browser
// has the cookie, and a script on its page never sees the token.
type twoFactorJSON struct {
	TwoFactorRequired bool      `json:"twoFactorRequired"`
	Methods           []string  `json:"methods"`
	ExpiresAt         time.Time `json:"expiresAt"`
	PendingToken      string    `json:"pendingToken,omitempty"`
}

// writeSignIn answers a way in: the session (with status), or the
// pending sign-in (200).
func writeSignIn(w http.ResponseWriter, r *http.Request, status int, s latch.Session, p *pendingSignIn) {
	if p == nil {
		writeJSON(w, status, authBody(r, s))
		return
	}
	out := twoFactorJSON{TwoFactorRequired: true, Methods: p.Methods, ExpiresAt: p.ExpiresAt}
	if r.Header.Get("Origin") == "" {
		out.PendingToken = p.Token
	}
	writeJSON(w, http.StatusOK, out)
}

type twoFactorVerifyRequest struct {
	Method       string          `json:"method"`
	Code         string          `json:"code"`
	Assertion    json.RawMessage `json:"assertion,omitempty"`
	PendingToken string          `json:"pendingToken"`
}

// verifyTwoFactorAPI serves POST /api/auth/two-factor/verify.
func (h *Handler) verifyTwoFactorAPI(w http.ResponseWriter, r *http.Request) error {
	var req twoFactorVerifyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := h.finishSignIn(w, r, h.pendingValue(r, req.PendingToken), req.Method, factorProof{Code: req.Code, Assertion: req.Assertion})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authBody(r, s))
	return nil
}

// pendingValue is the request's pending sign-in: the cookie for a request
// with an Origin (a browser: a token in its body is ignored, so one read
// from a page's answer is of no use elsewhere), else the body's token or
// the cookie.
func (h *Handler) pendingValue(r *http.Request, body string) string {
	if r.Header.Get("Origin") == "" && body != "" {
		return body
	}
	return h.sessions.Cookie(r, pendingCookie)
}

// finishSignIn checks the proof of the method for the pending sign-in
// value and, when it holds, consumes the pending sign-in and starts the
// session (cookie set, the pending cookie cleared).
//
// Each proof counts before it is checked: in the user's attempt counter
// of pending sign-ins (only the first maxPendingAttempts are checked, and
// the wrong proof that reaches the limit ends every pending sign-in of
// the user) and in the user's throttle (shared by the instances that
// share the throttle store). The proof is checked before the pending
// sign-in is consumed, so a wrong one leaves it usable; of parallel right
// ones, the single-use take lets exactly one make a session.
func (h *Handler) finishSignIn(w http.ResponseWriter, r *http.Request, value, method string, proof factorProof) (latch.Session, error) {
	ctx := r.Context()
	if value == "" || len(value) > token.MaxLength {
		return latch.Session{}, ErrTwoFactorPending
	}
	tok, raw, err := h.pending.PeekWithData(ctx, value)
	if errors.Is(err, token.ErrInvalidToken) || errors.Is(err, token.ErrExpiredToken) {
		h.sessions.ClearCookie(w, pendingCookie)
		return latch.Session{}, ErrTwoFactorPending
	}
	if err != nil {
		return latch.Session{}, err
	}
	var pd pendingData
	if err := json.Unmarshal(raw, &pd); err != nil {
		return latch.Session{}, ErrTwoFactorPending
	}
	f, ok := h.factorKinds[method]
	if !ok {
		return latch.Session{}, ErrUnknownMethod
	}
	if has, err := h.hasKindOf(ctx, f, tok.UserID); err != nil {
		return latch.Session{}, err
	} else if !has {
		return latch.Session{}, ErrUnknownMethod
	}
	// The sign-in's own count first: beyond maxPendingAttempts nothing is
	// checked (and nothing ends: the wrong proof that reached the limit
	// ended it, and a right one checked meanwhile may still finish it).
	now := h.auth.Now()
	n, err := h.auth.TokenStore().AddAttempt(ctx, h.pending.Name(), tok.UserID, now.UnixMilli(), now.Add(pendingLifetime).UnixMilli())
	if err != nil {
		return latch.Session{}, err
	}
	if n > maxPendingAttempts {
		return latch.Session{}, ErrFactorAttempts
	}
	// The user's count across sign-ins and step-ups (factorLimit) is
	// kept by the kind's verify.
	amr, err := f.verify(r, tok.UserID, proof)
	if err != nil {
		if apiError(err).Status >= 500 {
			return latch.Session{}, err
		}
		// A parallel proof may have finished the sign-in meanwhile; its
		// success reset the counts, so the proofs that had read the
		// pending sign-in before it was taken were checked as new ones (a
		// replayed code, or refused by the throttle). What is true for
		// them is that this sign-in is over.
		if _, perr := h.pending.Peek(ctx, value); errors.Is(perr, token.ErrInvalidToken) || errors.Is(perr, token.ErrExpiredToken) {
			h.sessions.ClearCookie(w, pendingCookie)
			return latch.Session{}, ErrTwoFactorPending
		}
		if apiError(err).Status == http.StatusTooManyRequests {
			return latch.Session{}, err
		}
		h.record(r, tok.UserID, evSignInFailed, "second factor "+method)
		if n >= maxPendingAttempts {
			h.endPending(w, r, tok.UserID)
			return latch.Session{}, ErrFactorAttempts
		}
		return latch.Session{}, err
	}
	var s latch.Session
	err = h.auth.InTx(ctx, func(ctx context.Context) error {
		if _, err := h.pending.Validate(ctx, value); err != nil {
			return err
		}
		var err error
		s, err = h.auth.CreateSession(ctx, latch.CreateSessionOptions{
			UserID: tok.UserID, AMR: mergeAMR(pd.AMR, amr, []string{amrMFA}), Attributes: h.sessionDetails(r),
		})
		return err
	})
	if errors.Is(err, token.ErrInvalidToken) || errors.Is(err, token.ErrExpiredToken) {
		return latch.Session{}, ErrTwoFactorPending // a parallel proof finished it
	}
	if errors.Is(err, latch.ErrInvalidUserID) {
		return latch.Session{}, ErrTwoFactorPending // the user was deleted since
	}
	if err != nil {
		return latch.Session{}, err
	}
	if err := h.auth.TokenStore().ResetAttempts(ctx, h.pending.Name(), tok.UserID); err != nil {
		h.log.WarnContext(ctx, "two-factor attempts reset failed", "err", err)
	}
	h.sessions.ClearCookie(w, pendingCookie)
	h.sessionStarted(w, r, s)
	h.recordSignIn(r, s.UserID, "second factor "+method)
	return s, nil
}

// endPending ends every pending sign-in of the user (too many wrong
// proofs): the first step must be passed again.
func (h *Handler) endPending(w http.ResponseWriter, r *http.Request, userID string) {
	ctx := r.Context()
	if err := h.pending.InvalidateAllUserTokens(ctx, userID); err != nil {
		h.log.WarnContext(ctx, "ending pending sign-ins failed", "err", err)
	}
	if err := h.auth.TokenStore().ResetAttempts(ctx, h.pending.Name(), userID); err != nil {
		h.log.WarnContext(ctx, "two-factor attempts reset failed", "err", err)
	}
	h.sessions.ClearCookie(w, pendingCookie)
}

// mergeAMR joins AMR lists, in order, without repeats.
func mergeAMR(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, v := range l {
			if v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// The /two-factor page: the form of the second step for people.

func (h *Handler) twoFactorPage(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.URL.Query().Get("next"), "")
	tok, err := h.pending.Peek(r.Context(), h.sessions.Cookie(r, pendingCookie))
	if err != nil {
		if !errors.Is(err, token.ErrInvalidToken) && !errors.Is(err, token.ErrExpiredToken) {
			return err
		}
		h.sessions.ClearCookie(w, pendingCookie)
		http.Redirect(w, r, "/sign-in?e="+ErrTwoFactorPending.Code, http.StatusSeeOther)
		return nil
	}
	methods, err := h.userFactors(r.Context(), tok.UserID)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "two-factor", pageData{Title: "Second step", Next: next, FactorMethods: methods, ErrorField: errorFields[r.URL.Query().Get("e")]})
	return nil
}

func (h *Handler) twoFactorPost(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.PostFormValue("next"), "")
	method := r.PostFormValue("method")
	_, err := h.finishSignIn(w, r, h.sessions.Cookie(r, pendingCookie), method, factorProof{Code: r.PostFormValue("code")})
	if err == nil {
		http.Redirect(w, r, orDefault(next, "/account?m=signed-in"), http.StatusSeeOther)
		return nil
	}
	if e := apiError(err); e == ErrTwoFactorPending || e == ErrFactorAttempts {
		http.Redirect(w, r, "/sign-in?e="+e.Code, http.StatusSeeOther)
		return nil
	}
	p, perr := h.pending.Peek(r.Context(), h.sessions.Cookie(r, pendingCookie))
	var methods []string
	if perr == nil {
		methods, _ = h.userFactors(r.Context(), p.UserID)
	}
	return h.formError(w, r, "two-factor", pageData{Title: "Second step", Next: next, FactorMethods: methods}, err)
}

// twoFactorRedirect sends a browser whose first step passed to the
// second-step page, keeping where it was going.
func twoFactorRedirect(w http.ResponseWriter, r *http.Request, next string) {
	target := "/two-factor"
	if next = localPath(next, ""); next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
