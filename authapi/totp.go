package authapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/throttle"
)

// TOTP (RFC 6238) and recovery codes, the second factors of
// /api/auth/two-factor/...: enrolment (a pending secret, confirmed by a
// first code before it counts), disabling, and new recovery codes. Both
// register in the factor registry (factors.go), so the pending sign-in and
// step-up take them as methods "totp" and "recovery-code".
//
// Where things are kept:
//   - the TOTP factor is a latch.FactorRecord of kind "totp" whose Data is
//     the secret sealed with the Keyring, bound to the user and factor ids;
//   - a pending enrolment is a single-use token (kind "totp-enrolment", 10
//     minutes, bound to the session) whose Data is the sealed secret;
//   - each recovery code is a token (kind "recovery-code", no practical
//     expiry) whose id is the code's salted hash (mfa.RecoveryCodeHash):
//     TakeToken makes each single use atomically on every store;
//   - an accepted TOTP time step leaves a marker token (kind "totp-step",
//     id the hash of user, factor and step) until the step can no longer
//     be accepted: PutToken refusing a duplicate is the replay check, and
//     it holds across instances sharing the store.
//
// Recovery codes and step markers belong to the factor, not to a sign-in:
// voiding a user's tokens (password change, email change) keeps them;
// removing the factor (disable, RemoveFactors, deleting the user) takes
// them along.

// The token kinds of this file.
const (
	totpEnrolmentKind = "totp-enrolment"
	totpStepKind      = "totp-step"
	recoveryCodeKind  = "recovery-code"
)

// factorTokenKinds are the token kinds that go with a user's factors and
// survive voidTokens.
var factorTokenKinds = []string{recoveryCodeKind, totpStepKind}

const (
	totpEnrolmentLifetime = 10 * time.Minute
	// recoveryCodeLifetime is "no practical expiry": codes live until used
	// or replaced.
	recoveryCodeLifetime = 50 * 365 * 24 * time.Hour
)

// The names of the factors in the registry and the step-up methods.
const (
	methodTOTP         = "totp"
	methodRecoveryCode = "recovery-code"
)

// The errors of the two-factor endpoints.
var (
	ErrTwoFactorDisabled    = newError(http.StatusNotFound, "TWO_FACTOR_DISABLED", "two-factor authentication is not set up on this server (it needs a secret key)")
	ErrTOTPEnabled          = newError(http.StatusConflict, "TOTP_ALREADY_ENABLED", "this account has an authenticator app already: disable it first")
	ErrTOTPNotEnabled       = newError(http.StatusNotFound, "TOTP_NOT_ENABLED", "this account has no authenticator app")
	ErrNoSecondFactor       = newError(http.StatusConflict, "NO_SECOND_FACTOR", "recovery codes come with a second factor: add one first")
	ErrNoTOTPEnrolment      = newError(http.StatusBadRequest, "NO_TOTP_ENROLMENT", "no authenticator enrolment is pending in this session (or it expired): start again")
	ErrInvalidTwoFactorCode = newError(http.StatusUnauthorized, "INVALID_TWO_FACTOR_CODE", "the code is wrong, expired or already used")
)

// The security activity events of this file.
const (
	evTwoFactorEnabled  = "two-factor-enabled"
	evTwoFactorDisabled = "two-factor-disabled"
	evRecoveryCodes     = "recovery-codes"
	evRecoveryCodeUsed  = "recovery-code-used"
)

// Wrong codes count per user in the factor throttle, in the throttle
// store shared by every instance: 5 free, then 1 s doubling up to 15
// minutes, remembered for a week; after 100 failures in that week every
// code of the user is refused (NIST SP 800-63B §5.2.2) until the week
// ends or an administrator removes the factors.
const (
	factorLockAfter = 100
	factorMemory    = 7 * 24 * time.Hour
)

// initTwoFactor registers the token kinds and the two factors, and makes
// the dev keyring. Without a keyring outside dev, enrolment answers
// TWO_FACTOR_DISABLED; factors enrolled before still count (a sign-in is
// not let through for want of a key), and recovery codes, which need no
// key, still work.
func (h *Handler) initTOTP(dev bool, issuer string) error {
	for _, kind := range []string{totpEnrolmentKind, totpStepKind, recoveryCodeKind} {
		if err := h.auth.RegisterTokenKind(kind); err != nil {
			return fmt.Errorf("authapi: two-factor tokens: %w (use one Handler per Auth)", err)
		}
	}
	if h.keyring == nil && dev {
		spec, err := mfa.GenerateKey()
		if err != nil {
			return fmt.Errorf("authapi: dev keyring: %w", err)
		}
		if h.keyring, err = mfa.ParseKeyring(spec); err != nil {
			return fmt.Errorf("authapi: dev keyring: %w", err)
		}
		h.log.Warn("no Config.Keyring: TOTP secrets are sealed with a key made for this process only, and unreadable after a restart (set LATCH_SECRET_KEY)")
	}
	h.totpIssuer = issuer
	if h.totpIssuer == "" {
		u, _ := url.Parse(h.baseURL) // checked in New
		h.totpIssuer = u.Hostname()
	}
	h.registerFactor(methodTOTP, secondFactor{has: func(_ context.Context, _ string, fs []latch.FactorRecord) (bool, error) {
		return hasKind(fs, latch.FactorTOTP), nil
	}, verify: h.verifyTOTP})
	h.registerFactor(methodRecoveryCode, secondFactor{has: h.hasRecoveryCodes, verify: h.verifyRecoveryCode})
	return nil
}

// twoFactorReady returns ErrTwoFactorDisabled when TOTP cannot be enrolled:
// no keyring, or no store that keeps factors.
func (h *Handler) twoFactorReady() error {
	if h.keyring == nil || !h.auth.HasFactors() || h.auth.TokenStore() == nil {
		return ErrTwoFactorDisabled
	}
	return nil
}

// totpFactor returns the user's TOTP factor, if any.
func (h *Handler) totpFactor(ctx context.Context, userID string) (latch.FactorRecord, bool, error) {
	fs, err := h.auth.ListFactors(ctx, userID)
	if err != nil {
		return latch.FactorRecord{}, false, err
	}
	for _, f := range fs {
		if f.Kind == latch.FactorTOTP {
			return f, true, nil
		}
	}
	return latch.FactorRecord{}, false, nil
}

func (h *Handler) hasTOTP(ctx context.Context, userID string) (bool, error) {
	_, ok, err := h.totpFactor(ctx, userID)
	return ok, err
}

// hasRecoveryCodes reports whether the user has recovery codes that count.
// Codes count only beside a factor they back up: codes left behind by a
// factor's removal (a path that forgot them, a store restored from a
// backup) would otherwise be the one second factor a user is asked for,
// held by whoever saw them made.
func (h *Handler) hasRecoveryCodes(ctx context.Context, userID string, factors []latch.FactorRecord) (bool, error) {
	ts := h.auth.TokenStore()
	if ts == nil || len(factors) == 0 {
		return false, nil
	}
	recs, err := ts.ListTokens(ctx, userID, recoveryCodeKind)
	return len(recs) > 0, err
}

// factorAD is the associated data a factor's sealed secret is bound to: a
// secret copied into another row or user does not open.
func factorAD(userID, factorID string) []byte {
	return []byte("latch totp factor\x00" + userID + "\x00" + factorID)
}

func enrolmentAD(userID, tokenID string) []byte {
	return []byte("latch totp enrolment\x00" + userID + "\x00" + tokenID)
}

// factorAttempt counts a code attempt of the user before it is checked
// (throttle.Limiter.Attempt), so parallel guesses get no more tries. It
// returns the key to Reset on success.
func (h *Handler) factorAttempt(ctx context.Context, userID string) (string, error) {
	key := "user:" + userID
	wait, err := h.factorLimit.Attempt(ctx, key)
	if errors.Is(err, throttle.ErrLocked) {
		return "", ErrTooManyRequests.withRetry(wait)
	}
	if err != nil {
		return "", err
	}
	if wait > 0 {
		return "", ErrTooManyRequests.withRetry(wait)
	}
	return key, nil
}

// factorDone ends an attempt: a success clears the user's failures; an
// error that is no wrong code (a store failure) gives the attempt back.
func (h *Handler) factorDone(ctx context.Context, key string, err error) {
	switch {
	case err == nil:
		if err := h.factorLimit.Reset(ctx, key); err != nil {
			h.log.WarnContext(ctx, "throttle reset failed", "err", err)
		}
	case apiError(err) != ErrInvalidTwoFactorCode:
		h.refund(ctx, h.factorLimit, key)
	}
}

// verifyTOTP checks a TOTP code of the user (the registry's verify).
func (h *Handler) verifyTOTP(r *http.Request, userID string, p factorProof) (amr []string, err error) {
	ctx := r.Context()
	key, err := h.factorAttempt(ctx, userID)
	if err != nil {
		return nil, err
	}
	defer func() { h.factorDone(ctx, key, err) }()
	f, ok, err := h.totpFactor(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrInvalidTwoFactorCode
	}
	if h.keyring == nil {
		return nil, ErrTwoFactorDisabled
	}
	secret, err := h.keyring.Open(f.Data, factorAD(userID, f.ID))
	if err != nil {
		return nil, fmt.Errorf("opening the TOTP secret of factor %s: %w", f.ID, err)
	}
	if _, err := h.checkCode(ctx, userID, f.ID, string(secret), p.Code); err != nil {
		return nil, err
	}
	f.LastUsedAt = h.auth.Now().UnixMilli()
	if h.keyring.Stale(f.Data) { // re-seal on use under the current key
		if sealed, err := h.keyring.Seal(secret, factorAD(userID, f.ID)); err == nil {
			f.Data = sealed
		}
	}
	if err := h.auth.UpdateFactor(ctx, f); err != nil {
		h.log.WarnContext(ctx, "TOTP factor not updated after use", "factor", f.ID, "err", err)
	}
	return []string{"otp"}, nil
}

// checkCode checks a typed code against secret and records its time step
// for factorID, so that the same step is never accepted twice.
func (h *Handler) checkCode(ctx context.Context, userID, factorID, secret, typed string) (int64, error) {
	code, ok := mfa.ParseTOTPCode(typed)
	if !ok {
		return 0, ErrInvalidTwoFactorCode
	}
	step, ok := mfa.CheckTOTP(secret, code, h.auth.Now())
	if !ok {
		return 0, ErrInvalidTwoFactorCode
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "latch totp step\x00%s\x00%s\x00%d", userID, factorID, step))
	// The step can be accepted until TOTPSkew steps after it have passed.
	until := time.Unix((step+1+mfa.TOTPSkew)*int64(mfa.TOTPPeriod/time.Second), 0)
	err := h.auth.TokenStore().PutToken(ctx, latch.TokenRecord{
		ID: hex.EncodeToString(sum[:]), Kind: totpStepKind, UserID: userID, Expires: until.UnixMilli(),
	})
	if errors.Is(err, latch.ErrDuplicate) {
		return 0, ErrInvalidTwoFactorCode // replayed
	}
	return step, err
}

// verifyRecoveryCode uses up one recovery code of the user (the
// registry's verify). It stands for "otp" in the session's methods: a
// code known only to the user, which RFC 8176 has no closer value for.
func (h *Handler) verifyRecoveryCode(r *http.Request, userID string, p factorProof) (amr []string, err error) {
	ctx := r.Context()
	key, err := h.factorAttempt(ctx, userID)
	if err != nil {
		return nil, err
	}
	defer func() { h.factorDone(ctx, key, err) }()
	code, ok := mfa.ParseRecoveryCode(p.Code)
	ts := h.auth.TokenStore()
	if !ok || ts == nil {
		return nil, ErrInvalidTwoFactorCode
	}
	// The code and the notice of its use go together (see noticeErr).
	err = h.auth.InTx(ctx, func(ctx context.Context) error {
		if _, err := ts.TakeToken(ctx, recoveryCodeKind, mfa.RecoveryCodeHash(userID, code), userID); err != nil {
			return err
		}
		return h.noticeErr(ctx, h.recoveryCodeNotice(ctx, userID))
	})
	if errors.Is(err, latch.ErrNotFound) {
		return nil, ErrInvalidTwoFactorCode
	}
	if err != nil {
		return nil, err
	}
	h.record(r, userID, evRecoveryCodeUsed, "")
	h.noticeQueued(ctx, userID, "")
	return []string{"otp"}, nil
}

// recoveryCodeNotice queues the mail telling the user that a recovery
// code was used and how many are left, so that a code used by someone
// else is noticed. Run it in the InTx that takes the code.
func (h *Handler) recoveryCodeNotice(ctx context.Context, userID string) error {
	u, err := h.auth.GetUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("recovery-code notice: %w", err)
	}
	left, err := h.auth.TokenStore().ListTokens(ctx, userID, recoveryCodeKind)
	if err != nil {
		return fmt.Errorf("recovery-code notice: %w", err)
	}
	if to := u.Attributes.String(attrEmail); to != "" {
		return h.queueMail(ctx, "", h.mails.RecoveryCodeUsed(to, len(left)))
	}
	return nil
}

// newRecoveryCodes replaces the user's recovery codes with new ones and
// returns them as they are shown. Run it in InTx with the rest of the step.
func (h *Handler) newRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	ts := h.auth.TokenStore()
	codes, err := mfa.NewRecoveryCodes()
	if err != nil {
		return nil, err
	}
	if err := ts.DeleteUserTokens(ctx, userID, recoveryCodeKind); err != nil {
		return nil, err
	}
	expires := h.auth.Now().Add(recoveryCodeLifetime).UnixMilli()
	for _, c := range codes {
		canon, _ := mfa.ParseRecoveryCode(c)
		if err := ts.PutToken(ctx, latch.TokenRecord{
			ID: mfa.RecoveryCodeHash(userID, canon), Kind: recoveryCodeKind, UserID: userID, Expires: expires,
		}); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// TOTP enrolment.

type stepUpTokenRequest struct {
	StepUpToken string `json:"stepUpToken"`
}

// totpEnrolmentJSON is the answer of POST /api/auth/two-factor/totp.
type totpEnrolmentJSON struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	QR     string `json:"qr"` // data:image/png;base64,...
}

type recoveryCodesJSON struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

func (h *Handler) startTOTPAPI(w http.ResponseWriter, r *http.Request) error {
	var req stepUpTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	k, err := h.startTOTP(r, s, req.StepUpToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

// startTOTP makes a new secret and keeps it as the session's pending
// enrolment, replacing any earlier one of the user; it is no factor until
// confirmTOTP. It takes a step-up token for ActionAddFactor.
func (h *Handler) startTOTP(r *http.Request, s latch.Session, stepUp string) (totpEnrolmentJSON, error) {
	ctx := r.Context()
	if err := h.twoFactorReady(); err != nil {
		return totpEnrolmentJSON{}, err
	}
	if ok, err := h.hasTOTP(ctx, s.UserID); err != nil || ok {
		return totpEnrolmentJSON{}, cmpErr(err, ErrTOTPEnabled)
	}
	if err := h.takeStepUp(ctx, s, ActionAddFactor, stepUp); err != nil {
		return totpEnrolmentJSON{}, err
	}
	account := s.User.Attributes.String(attrEmail)
	if account == "" {
		account = s.UserID
	}
	k, err := mfa.NewTOTPKey(h.totpIssuer, account)
	if err != nil {
		return totpEnrolmentJSON{}, err
	}
	qr, err := mfa.QRDataURL(k.URI)
	if err != nil {
		return totpEnrolmentJSON{}, err
	}
	id := rand.Text()
	sealed, err := h.keyring.Seal([]byte(k.Secret), enrolmentAD(s.UserID, id))
	if err != nil {
		return totpEnrolmentJSON{}, err
	}
	ts := h.auth.TokenStore()
	if err := ts.DeleteUserTokens(ctx, s.UserID, totpEnrolmentKind); err != nil {
		return totpEnrolmentJSON{}, err
	}
	if err := ts.PutToken(ctx, latch.TokenRecord{
		ID: id, Kind: totpEnrolmentKind, UserID: s.UserID, SessionID: s.ID, Data: sealed,
		Expires: h.auth.Now().Add(totpEnrolmentLifetime).UnixMilli(),
	}); err != nil {
		return totpEnrolmentJSON{}, err
	}
	return totpEnrolmentJSON{Secret: k.Secret, URI: k.URI, QR: qr}, nil
}

// cmpErr returns err when it is set, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

func (h *Handler) confirmTOTPAPI(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	codes, err := h.confirmTOTP(r, s, req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
	return nil
}

// confirmTOTP checks a first code against the session's pending
// enrolment; when it holds, the enrolment is used up and becomes the
// user's TOTP factor, with new recovery codes, which it returns (they are
// shown this once). A wrong code counts in the factor throttle and leaves
// the enrolment for another try.
func (h *Handler) confirmTOTP(r *http.Request, s latch.Session, typed string) (codes []string, err error) {
	ctx := r.Context()
	if err := h.twoFactorReady(); err != nil {
		return nil, err
	}
	key, err := h.factorAttempt(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	defer func() { h.factorDone(ctx, key, err) }()
	ts := h.auth.TokenStore()
	recs, err := ts.ListTokens(ctx, s.UserID, totpEnrolmentKind)
	if err != nil {
		return nil, err
	}
	now := h.auth.Now()
	i := slices.IndexFunc(recs, func(t latch.TokenRecord) bool {
		return t.SessionID == s.ID && t.Expires > now.UnixMilli()
	})
	if i < 0 {
		return nil, ErrNoTOTPEnrolment
	}
	rec := recs[i]
	secret, err := h.keyring.Open(rec.Data, enrolmentAD(s.UserID, rec.ID))
	if err != nil {
		return nil, ErrNoTOTPEnrolment // sealed under a key no longer in the ring
	}
	factorID := "totp_" + rand.Text()
	if _, err := h.checkCode(ctx, s.UserID, factorID, string(secret), typed); err != nil {
		return nil, err
	}
	// Of two confirmations racing, one takes the enrolment.
	if _, err := ts.TakeToken(ctx, totpEnrolmentKind, rec.ID, s.UserID); errors.Is(err, latch.ErrNotFound) {
		return nil, ErrNoTOTPEnrolment
	} else if err != nil {
		return nil, err
	}
	sealed, err := h.keyring.Seal(secret, factorAD(s.UserID, factorID))
	if err != nil {
		return nil, err
	}
	var issued string
	err = h.auth.InTx(ctx, func(ctx context.Context) error {
		if ok, err := h.hasTOTP(ctx, s.UserID); err != nil || ok {
			return cmpErr(err, ErrTOTPEnabled)
		}
		if _, err := h.auth.CreateFactor(ctx, latch.FactorRecord{
			ID: factorID, UserID: s.UserID, Kind: latch.FactorTOTP, Name: "Authenticator app", Data: sealed,
		}); err != nil {
			return err
		}
		if codes, err = h.newRecoveryCodes(ctx, s.UserID); err != nil {
			return err
		}
		issued, err = h.undoNoticeInTx(ctx, s.User, AccountChange{Field: UndoMethod, Method: methodTOTP, Added: true, AddedFactor: factorID})
		return err
	})
	if err != nil {
		return nil, err
	}
	h.record(r, s.UserID, evTwoFactorEnabled, methodTOTP)
	h.noticeQueued(ctx, s.UserID, issued)
	return codes, nil
}

func (h *Handler) disableTOTPAPI(w http.ResponseWriter, r *http.Request) error {
	var req stepUpTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	if err := h.disableTOTP(r, s, req.StepUpToken); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// disableTOTP removes the user's TOTP factor and recovery codes; it takes
// a step-up token for ActionRemoveFactor.
func (h *Handler) disableTOTP(r *http.Request, s latch.Session, stepUp string) error {
	ctx := r.Context()
	f, ok, err := h.totpFactor(ctx, s.UserID)
	if err != nil || !ok {
		return cmpErr(err, ErrTOTPNotEnabled)
	}
	if err := h.takeStepUp(ctx, s, ActionRemoveFactor, stepUp); err != nil {
		return err
	}
	var issued string
	err = h.auth.InTx(ctx, func(ctx context.Context) error {
		if err := h.auth.DeleteFactor(ctx, f.ID); err != nil {
			return err
		}
		if err := h.deleteFactorTokens(ctx, s.UserID); err != nil {
			return err
		}
		issued, err = h.undoNoticeInTx(ctx, s.User, AccountChange{Field: UndoMethod, Method: methodTOTP})
		return err
	})
	if err != nil {
		return err
	}
	h.record(r, s.UserID, evTwoFactorDisabled, methodTOTP)
	h.noticeQueued(ctx, s.UserID, issued)
	return nil
}

// deleteRecoveryCodesSince removes the user's recovery codes when they
// were made at or after since (Unix ms): each carries its making in its
// expiry (made + recoveryCodeLifetime), and a set is made at once.
func (h *Handler) deleteRecoveryCodesSince(ctx context.Context, userID string, since int64) error {
	ts := h.auth.TokenStore()
	if ts == nil {
		return nil
	}
	recs, err := ts.ListTokens(ctx, userID, recoveryCodeKind)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if rec.Expires-recoveryCodeLifetime.Milliseconds() >= since {
			return ts.DeleteUserTokens(ctx, userID, recoveryCodeKind)
		}
	}
	return nil
}

// deleteFactorTokens removes the user's recovery codes, TOTP step markers
// and pending enrolments.
func (h *Handler) deleteFactorTokens(ctx context.Context, userID string) error {
	ts := h.auth.TokenStore()
	if ts == nil {
		return nil
	}
	for _, kind := range []string{recoveryCodeKind, totpStepKind, totpEnrolmentKind} {
		if err := ts.DeleteUserTokens(ctx, userID, kind); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) recoveryCodesAPI(w http.ResponseWriter, r *http.Request) error {
	var req stepUpTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	codes, err := h.regenerateRecoveryCodes(r, s, req.StepUpToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
	return nil
}

// regenerateRecoveryCodes replaces the user's recovery codes (the old ones
// are void); it takes a step-up token for ActionRecoveryCodes.
func (h *Handler) regenerateRecoveryCodes(r *http.Request, s latch.Session, stepUp string) (codes []string, err error) {
	ctx := r.Context()
	if h.auth.TokenStore() == nil {
		return nil, ErrTwoFactorDisabled
	}
	if ok, err := h.hasFactor(ctx, s.UserID); err != nil || !ok {
		return nil, cmpErr(err, ErrNoSecondFactor)
	}
	if err := h.takeStepUp(ctx, s, ActionRecoveryCodes, stepUp); err != nil {
		return nil, err
	}
	err = h.auth.InTx(ctx, func(ctx context.Context) error {
		codes, err = h.newRecoveryCodes(ctx, s.UserID)
		return err
	})
	if err != nil {
		return nil, err
	}
	h.record(r, s.UserID, evRecoveryCodes, "")
	return codes, nil
}

// removeFactors removes every second factor of the user (TOTP, passkeys)
// with the recovery codes and step markers. The undo of a change and the
// claim of a mailbox call it to take away what an unproven party set up.
func (h *Handler) removeFactors(ctx context.Context, userID string) error {
	if err := h.auth.DeleteUserFactors(ctx, userID); err != nil {
		return err
	}
	return h.deleteFactorTokens(ctx, userID)
}

// RemoveFactors is the administrator's way out for a user who lost their
// factors (latchd user remove-factors, the admin API): it removes every
// second factor and passkey of the user with the recovery codes, ends
// every session, records it in the user's activity and mails the user a
// notice, all in one transaction where the store has them; the next
// sign-in takes the password alone. It returns how many factors it
// removed, counted in that transaction. A user with none is left as they
// are (0, nil): no session ends, and no notice tells of a removal that
// did not happen. No such user: latch.Auth.GetUser's error, which matches
// latch.ErrInvalidUserID.
func (h *Handler) RemoveFactors(ctx context.Context, userID string) (int, error) {
	u, err := h.auth.GetUser(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	err = h.auth.InTx(ctx, func(ctx context.Context) error {
		factors, err := h.auth.ListFactors(ctx, userID)
		if err != nil {
			return err
		}
		if n = len(factors); n == 0 {
			return nil
		}
		if err := h.removeFactors(ctx, userID); err != nil {
			return err
		}
		if err := h.auth.InvalidateAllUserSessions(ctx, userID); err != nil {
			return err
		}
		if to := u.Attributes.String(attrEmail); to != "" {
			return h.noticeErr(ctx, h.queueMail(ctx, "", h.mails.TwoFactorRemovedByAdmin(to)))
		}
		return nil
	})
	if err != nil || n == 0 {
		return 0, err
	}
	h.recordAs(ctx, userID, evTwoFactorDisabled, "all factors, by an administrator", "", "")
	h.log.InfoContext(ctx, "audit: second factors removed by an administrator", "user", userID)
	h.noticeQueued(ctx, userID, "")
	return n, nil
}

// ResealFactors seals every TOTP secret again with the keyring's current
// key, after a rotation (latchd keys rotate): when it returns without an
// error, the older keys can be dropped from the ring. It returns how many
// secrets it sealed again; the others were current already. A secret no
// key of the ring opens is an error naming the factor. The factor store
// must be a latch.FactorScanner (the SQL stores and the memory store are).
func ResealFactors(ctx context.Context, auth *latch.Auth, k *mfa.Keyring) (int, error) {
	n, after := 0, ""
	for {
		page, err := auth.ScanFactors(ctx, latch.FactorTOTP, after, 100)
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		for _, f := range page {
			if !k.Stale(f.Data) {
				continue
			}
			ad := factorAD(f.UserID, f.ID)
			secret, err := k.Open(f.Data, ad)
			if err != nil {
				return n, fmt.Errorf("authapi: factor %s of user %s: %w", f.ID, f.UserID, err)
			}
			if f.Data, err = k.Seal(secret, ad); err != nil {
				return n, err
			}
			if err := auth.UpdateFactor(ctx, f); err != nil {
				return n, err
			}
			n++
		}
		after = page[len(page)-1].ID
	}
}
