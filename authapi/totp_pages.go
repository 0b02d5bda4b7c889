package authapi

import (
	"context"
	"html/template"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
)

// The two-factor section of /account, as plain forms that work without
// JavaScript. Each form that changes a factor carries its own proof (the
// password for a user without a factor, else a code) and the handler steps
// up with it, by the API's rules, before acting.

// qrPageCSP is the pages' policy with data: images, for the QR code of
// the enrolment page alone.
const qrPageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// totpEnrolmentView is the enrolment page's secret and QR code. The QR
// code is a data: URL made here (mfa.QRDataURL), which html/template would
// otherwise refuse as an image source.
type totpEnrolmentView struct {
	Secret string
	QR     template.URL
}

// twoFactorView is the two-factor section of /account.
type twoFactorView struct {
	Available     bool // the server can enrol TOTP
	TOTP          bool // the user has an authenticator app
	HasFactor     bool // the user has some second factor: proofs are codes
	RecoveryCodes int  // how many unused recovery codes are left
}

func (h *Handler) twoFactorSection(ctx context.Context, userID string) (*twoFactorView, error) {
	v := &twoFactorView{Available: h.twoFactorReady() == nil}
	var err error
	if v.TOTP, err = h.hasTOTP(ctx, userID); err != nil {
		return nil, err
	}
	if v.HasFactor, err = h.hasFactor(ctx, userID); err != nil {
		return nil, err
	}
	if ts := h.auth.TokenStore(); ts != nil {
		recs, err := ts.ListTokens(ctx, userID, recoveryCodeKind)
		if err != nil {
			return nil, err
		}
		v.RecoveryCodes = len(recs)
	}
	return v, nil
}

// pageStepUp steps up for action with the proof of the form: the
// password ("password") for a user without a factor, else a code
// ("code": six digits are a TOTP code, anything else a recovery code).
func (h *Handler) pageStepUp(r *http.Request, s latch.Session, action string) (string, error) {
	req := stepUpRequest{Action: action, Method: "password", Password: r.PostFormValue("password")}
	has, err := h.hasFactor(r.Context(), s.UserID)
	if err != nil {
		return "", err
	}
	if has {
		req.Method, req.Password, req.Code = methodRecoveryCode, "", r.PostFormValue("code")
		if _, ok := mfa.ParseTOTPCode(req.Code); ok {
			req.Method = methodTOTP
		}
	}
	tok, err := h.stepUp(r, s, req)
	if err != nil {
		return "", err
	}
	return tok.String(), nil
}

// accountError sends the browser back to the two-factor section with the
// error, or returns it when it is the server's.
func (h *Handler) accountError(w http.ResponseWriter, r *http.Request, err error) error {
	e := apiError(err)
	if e.Status >= 500 {
		return err
	}
	setRetryAfter(w, e)
	http.Redirect(w, r, "/account?e="+e.Code+"#two-factor", http.StatusSeeOther)
	return nil
}

func (h *Handler) startTOTPPage(w http.ResponseWriter, r *http.Request) error {
	s, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	if err := h.twoFactorReady(); err != nil {
		return h.accountError(w, r, err)
	}
	if has, err := h.hasTOTP(r.Context(), s.UserID); err != nil || has {
		return h.accountError(w, r, cmpErr(err, ErrTOTPEnabled))
	}
	tok, err := h.pageStepUp(r, s, ActionAddFactor)
	if err != nil {
		return h.accountError(w, r, err)
	}
	k, err := h.startTOTP(r, s, tok)
	if err != nil {
		return h.accountError(w, r, err)
	}
	w.Header().Set("Content-Security-Policy", qrPageCSP)
	h.render(w, r, http.StatusOK, "two-factor-enrol", pageData{Title: "Set up an authenticator app",
		Enrolment: &totpEnrolmentView{Secret: k.Secret, QR: template.URL(k.QR)}}) // our own PNG data URL
	return nil
}

func (h *Handler) confirmTOTPPage(w http.ResponseWriter, r *http.Request) error {
	s, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	codes, err := h.confirmTOTP(r, s, r.PostFormValue("code"))
	if err != nil {
		return h.accountError(w, r, err)
	}
	h.render(w, r, http.StatusOK, "recovery-codes", pageData{Title: "Two-factor authentication is on", RecoveryCodes: codes})
	return nil
}

func (h *Handler) disableTOTPPage(w http.ResponseWriter, r *http.Request) error {
	s, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	if has, err := h.hasTOTP(r.Context(), s.UserID); err != nil || !has {
		return h.accountError(w, r, cmpErr(err, ErrTOTPNotEnabled))
	}
	tok, err := h.pageStepUp(r, s, ActionRemoveFactor)
	if err == nil {
		err = h.disableTOTP(r, s, tok)
	}
	if err != nil {
		return h.accountError(w, r, err)
	}
	http.Redirect(w, r, "/account?m=two-factor-off#two-factor", http.StatusSeeOther)
	return nil
}

func (h *Handler) recoveryCodesPage(w http.ResponseWriter, r *http.Request) error {
	s, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	if has, err := h.hasFactor(r.Context(), s.UserID); err != nil || !has {
		return h.accountError(w, r, cmpErr(err, ErrNoSecondFactor))
	}
	tok, err := h.pageStepUp(r, s, ActionRecoveryCodes)
	if err != nil {
		return h.accountError(w, r, err)
	}
	codes, err := h.regenerateRecoveryCodes(r, s, tok)
	if err != nil {
		return h.accountError(w, r, err)
	}
	h.render(w, r, http.StatusOK, "recovery-codes", pageData{Title: "New recovery codes", RecoveryCodes: codes})
	return nil
}
