package authapi

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/token"
)

//go:embed templates/*.html static/*
var assets embed.FS

// pageSet holds one template per page, each the layout with its content.
type pageSet struct {
	pages map[string]*template.Template
	css   []byte
}

func newPageSet() (*pageSet, error) {
	layout, err := template.ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parsing layout: %w", err)
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := layout.Clone()
		if err == nil {
			t, err = t.ParseFS(assets, n)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", n, err)
		}
		ps.pages[name] = t
	}
	if ps.css, err = assets.ReadFile("static/style.css"); err != nil {
		return nil, err
	}
	return ps, nil
}

// pageData is what every page template gets.
type pageData struct {
	Title string
	User  *userJSON
	Dev   bool
	Flash string
	Error string

	Email, Name, Next string // form values to show again
	ErrorField        string // the field Error is about: marked aria-invalid and focused
	Sessions          []sessionView
	Methods           []linkedJSON // linked sign-in methods, on /account
	Token             string       // the token of a mailed link, on its confirmation page
	Mails             []mailView
	OAuth             []oauthButton      // sign-in providers, on /sign-in
	CLI               *cliRequest        // the app asking, on /cli/authorize
	LinkToken         string             // the verification link's token, on /verify-email/{token}
	LinkOwner         bool               // signed in as the user of LinkToken
	Activity          *activityJSON      // the security activity, on /account
	FactorMethods     []string           // the second factors to choose from, on /two-factor
	EnrolmentRequired bool               // Config.RequireSecondFactor and an AAL 1 session, on /account
	TwoFactor         *twoFactorView     // the two-factor section, on /account
	Enrolment         *totpEnrolmentView // a TOTP secret being enrolled
	RecoveryCodes     []string           // new recovery codes, shown once
	Passkeys          bool               // passkeys are on (sign-in and account pages)
}

type sessionView struct {
	ID, Short                  string
	ActiveExpires, IdleExpires string
	Current                    bool
	// TwoStep: the session was made with a second factor (AAL 2).
	TwoStep bool
	// Device is the browser and system ("Firefox on Linux"), IP the address
	// it signed in from, Location where that is (with Config.GeoIP);
	// SignedIn and LastUsed are times (RFC 3339, UTC) for <time datetime>.
	Device, IP, Location string
	SignedIn, LastUsed   *time.Time
}

type mailView struct {
	To, Subject, SentAt, Text string
	Links                     []string
}

// The success messages a redirect can ask for with ?m=.
var flashes = map[string]string{
	"welcome":           "Your account is made. We sent a code to your address to verify it.",
	"signed-in":         "You are signed in.",
	"cli-sign-in":       "Sign in to let the app on your computer sign in as you.",
	"signed-out":        "You are signed out.",
	"email-verified":    "Your email address is verified.",
	"code-sent":         "We sent a new code to your address.",
	"link-sent":         "If an account exists for this address, a mail with a link is on its way.",
	"password-changed":  "Your password is changed, and every other session is signed out.",
	"session-revoked":   "The session is signed out.",
	"sessions-revoked":  "Every other session is signed out.",
	"account-deleted":   "Your account is deleted. Goodbye.",
	"method-removed":    "The sign-in method is removed.",
	"email-change-sent": "We sent a link to the new address: the change is made when you open it.",
	"two-factor-off":    "Two-factor authentication is off: the authenticator app and the recovery codes are removed.",
}

// pageError is an error shown on a page with its status.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

// errorMessage returns the message a page shows for an API error code.
func errorMessage(code string) string {
	for _, e := range knownErrors {
		if e.Code == code {
			return e.Message
		}
	}
	return ""
}

var knownErrors = []*Error{
	ErrInvalidBody, ErrBodyTooLarge, ErrInvalidEmail, ErrPasswordTooShort, ErrPasswordTooLong,
	ErrInvalidName, ErrInvalidRequest, ErrInvalidCredentials, ErrUnauthorized, ErrInvalidOrigin,
	ErrForbidden, ErrNotFound, ErrSessionNotFound, ErrUserNotFound, ErrMethodNotAllowed, ErrUserExists,
	ErrEmailVerified, ErrInvalidCode, ErrInvalidToken, ErrExpiredToken, ErrTooManyAttempts,
	ErrTooManyRequests, ErrUnavailable, ErrInternal,
	ErrInvalidGrant, ErrInvalidCLIRequest,
	ErrUnknownProvider, ErrInvalidState, ErrOAuthDenied, ErrOAuthExchange, ErrInvalidIDToken, ErrOAuthProvider,
	ErrNoPassword, ErrConfirmationRequired, ErrLastSignInMethod, ErrMethodNotLinked, ErrEmailUnchanged,
	ErrTwoFactorPending, ErrFactorAttempts, ErrEnrolmentRequired,
	ErrStepUpRequired, ErrFactorRequired, ErrUnknownMethod,
	ErrTwoFactorDisabled, ErrTOTPEnabled, ErrTOTPNotEnabled, ErrNoSecondFactor, ErrNoTOTPEnrolment, ErrInvalidTwoFactorCode,
}

func (h *Handler) pageRoutes(mux *http.ServeMux) {
	p := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(pattern, h.page(fn))
	}
	p("GET /{$}", h.homePage)
	p("GET /sign-up", h.formPage("sign-up", "Create an account"))
	p("POST /sign-up", h.signUpPage)
	p("GET /sign-in", h.signInForm)
	p("POST /sign-in", h.signInPage)
	p("POST /sign-out", h.signOutPage)
	p("GET /two-factor", h.twoFactorPage)
	p("POST /two-factor", h.twoFactorPost)
	p("GET /verify-email", h.verifyEmailPage)
	p("POST /verify-email", h.verifyEmailPost)
	p("POST /verify-email/resend", h.resendPage)
	p("GET /verify-email/{token}", h.verifyLinkPage)
	p("POST /verify-email/{token}", h.verifyLinkPost)
	p("GET /password-reset", h.formPage("password-reset", "Reset your password"))
	p("POST /password-reset", h.passwordResetRequestPage)
	p("GET /password-reset/{token}", h.passwordResetLink)
	p("GET /password-reset/new", h.passwordResetForm)
	p("POST /password-reset/new", h.passwordResetPost)
	p("GET /magic-link", h.formPage("magic-link", "Sign in with a link"))
	p("POST /magic-link", h.magicLinkRequestPage)
	p("GET /magic-link/{token}", h.magicLinkPage)
	p("POST /magic-link/{token}", h.magicLinkPost)
	p("GET /account", h.accountPage)
	p("GET /cli/authorize", h.cliAuthorizePage)
	p("POST /cli/authorize", h.cliAuthorizePost)
	p("POST /account/sessions/revoke-others", h.revokeOthersPage)
	p("POST /account/sessions/{id}/revoke", h.revokeSessionPage)
	p("POST /account/password", h.changePasswordPage)
	p("POST /account/delete", h.deleteAccountPage)
	p("POST /account/methods/{provider}/remove", h.unlinkAccountPage)
	p("POST /account/email", h.changeEmailPage)
	p("POST /account/two-factor/totp", h.startTOTPPage)
	p("POST /account/two-factor/totp/confirm", h.confirmTOTPPage)
	p("POST /account/two-factor/totp/disable", h.disableTOTPPage)
	p("POST /account/two-factor/recovery-codes", h.recoveryCodesPage)
	p("GET /email-change/{token}", h.emailChangeLinkPage)
	p("POST /email-change/{token}", h.emailChangeLinkPost)
	p("GET /undo/{token}", h.undoLinkPage)
	p("POST /undo/{token}", h.undoLinkPost)
	if h.outbox != nil {
		p("GET /dev/outbox", h.outboxPage)
	}
	mux.HandleFunc("GET /static/local-time.js", h.localTimeJS)
	mux.HandleFunc("GET /static/forms.js", h.formsJS)
	mux.HandleFunc("GET /static/passkeys.js", h.passkeysJS)
	mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		setRoute(r)
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(h.pages.css)
	})
	p("/", func(http.ResponseWriter, *http.Request) error {
		return &pageError{http.StatusNotFound, "There is no page here."}
	})
}

// page serves one page: the Origin check on every form post (signed in or
// not, against login CSRF too), no caching, and errors as an error page.
func (h *Handler) page(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r)
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		if !safeMethod(r.Method) {
			if err := h.sessions.CheckOrigin(r); err != nil {
				h.sessions.DebugOrigin(r, err)
				h.renderError(w, r, ErrInvalidOrigin)
				return
			}
			if err := parseForm(r); err != nil {
				h.renderError(w, r, err)
				return
			}
		}
		if err := fn(w, r); err != nil {
			h.renderError(w, r, err)
		}
	})
}

// render writes a page with the status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	t := h.pages.pages[name]
	if d.User == nil {
		if s, ok := httpauth.FromContext(r.Context()); ok {
			u := toUserJSON(s.User)
			d.User = &u
		}
	}
	d.Dev = h.outbox != nil
	d.Passkeys = h.passkeysOn() == nil
	if name == "sign-in" {
		d.OAuth = h.oauthButtons()
	}
	if d.Flash == "" {
		d.Flash = flashes[r.URL.Query().Get("m")]
	}
	if d.Error == "" {
		d.Error = errorMessage(r.URL.Query().Get("e"))
	}
	d.Error = sentence(d.Error)
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", d); err != nil {
		h.log.ErrorContext(r.Context(), "rendering page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// renderError shows an error page for err.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *pageError
	if errors.As(err, &pe) {
		h.render(w, r, pe.status, "error", pageData{Title: http.StatusText(pe.status), Error: pe.msg})
		return
	}
	e := apiError(err)
	if e.Status >= 500 {
		h.log.ErrorContext(r.Context(), "page failed", "route", route(r), "status", e.Status, "err", err)
	}
	setRetryAfter(w, e)
	h.render(w, r, e.Status, "error", pageData{Title: http.StatusText(e.Status), Error: e.Message})
}

// formError re-renders a form with the error's message and status, and a
// Retry-After when throttled.
func (h *Handler) formError(w http.ResponseWriter, r *http.Request, name string, d pageData, err error) error {
	e := apiError(err)
	if e.Status >= 500 {
		return err
	}
	setRetryAfter(w, e)
	d.Error = e.Message
	if e.Status == http.StatusTooManyRequests && e.RetryAfter > 0 {
		d.Error = strings.TrimSuffix(strings.TrimSuffix(d.Error, ": try again later"), ".") + ": try again in " + waitText(e.RetryAfter)
	}
	d.ErrorField = errorFields[e.Code]
	h.render(w, r, e.Status, name, d)
	return nil
}

// errorFields names the form field an error is about, so the page marks it
// aria-invalid and puts the focus there.
var errorFields = map[string]string{
	"INVALID_EMAIL": "email", "USER_ALREADY_EXISTS": "email",
	"INVALID_CREDENTIALS": "password", "PASSWORD_TOO_SHORT": "password", "PASSWORD_TOO_LONG": "password",
	"PASSWORD_BREACHED": "password", "INVALID_CODE": "code", "TOO_MANY_ATTEMPTS": "code",
	"INVALID_NAME": "name",
}

// redirectError sends a browser that followed a mailed link to a page that
// explains what went wrong.
func (h *Handler) redirectError(w http.ResponseWriter, r *http.Request, page string, err error) {
	e := apiError(err)
	if e.Status >= 500 {
		h.log.ErrorContext(r.Context(), "link failed", "route", route(r), "status", e.Status, "err", err)
	} else {
		h.debugRefused(r, e, err)
	}
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	http.Redirect(w, r, page+sep+"e="+url.QueryEscape(e.Code), http.StatusSeeOther)
}

func (h *Handler) formPage(name, title string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		h.render(w, r, http.StatusOK, name, pageData{Title: title})
		return nil
	}
}

func (h *Handler) homePage(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "home", pageData{Title: "Welcome"})
	return nil
}

func (h *Handler) signUpPage(w http.ResponseWriter, r *http.Request) error {
	req := signUpRequest{Email: r.PostFormValue("email"), Password: r.PostFormValue("password"), Name: r.PostFormValue("name")}
	if _, err := h.createAccount(w, r, req); err != nil {
		return h.formError(w, r, "sign-up", pageData{Title: "Create an account", Email: req.Email, Name: req.Name}, err)
	}
	http.Redirect(w, r, "/verify-email?m=welcome", http.StatusSeeOther)
	return nil
}

func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.URL.Query().Get("next"), "")
	if _, err := currentSession(r); err == nil { // signed in already: nothing to do here
		http.Redirect(w, r, orDefault(next, "/account"), http.StatusSeeOther)
		return nil
	}
	h.render(w, r, http.StatusOK, "sign-in", pageData{Title: "Sign in", Next: next})
	return nil
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) error {
	req := credentials{Email: r.PostFormValue("email"), Password: r.PostFormValue("password")}
	next := localPath(r.PostFormValue("next"), "")
	_, p, err := h.signIn(w, r, req)
	if err != nil {
		return h.formError(w, r, "sign-in", pageData{Title: "Sign in", Email: req.Email, Next: next}, err)
	}
	if p != nil {
		twoFactorRedirect(w, r, next)
		return nil
	}
	http.Redirect(w, r, orDefault(next, "/account?m=signed-in"), http.StatusSeeOther)
	return nil
}

func (h *Handler) signOutPage(w http.ResponseWriter, r *http.Request) error {
	if err := h.signOut(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/?m=signed-out", http.StatusSeeOther)
	return nil
}

// signedIn returns the request's session, or redirects to the sign-in page
// and returns false.
func signedIn(w http.ResponseWriter, r *http.Request) (latch.Session, bool) {
	s, ok := httpauth.FromContext(r.Context())
	if !ok {
		http.Redirect(w, r, "/sign-in?e=UNAUTHORIZED&next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
	}
	return s, ok
}

func (h *Handler) verifyEmailPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); ok {
		h.render(w, r, http.StatusOK, "verify-email", pageData{Title: "Verify your email"})
	}
	return nil
}

func (h *Handler) verifyEmailPost(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); !ok {
		return nil
	}
	if _, err := h.verifyCode(r, r.PostFormValue("code")); err != nil {
		return h.formError(w, r, "verify-email", pageData{Title: "Verify your email"}, err)
	}
	http.Redirect(w, r, "/account?m=email-verified", http.StatusSeeOther)
	return nil
}

// verifyLinkPage shows the mailed verification link's form; it does not
// consume the link. Signed in as another user, it asks for the password
// like a signed-out visit.
func (h *Handler) verifyLinkPage(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	h.render(w, r, http.StatusOK, "verify-link", h.verifyLinkData(r))
	return nil
}

// verifyLinkData is the verify-link page's data. Signed in as another
// user than the link's, the page asks for the password like a signed-out
// visit.
func (h *Handler) verifyLinkData(r *http.Request) pageData {
	d := pageData{Title: "Verify your email", LinkToken: r.PathValue("token")}
	if s, ok := httpauth.FromContext(r.Context()); ok {
		tok, err := h.links.Peek(r.Context(), d.LinkToken)
		d.LinkOwner = err == nil && tok.UserID == s.UserID
	}
	return d
}

// verifyLinkPost verifies the address with the link and the proof
// (verifyLink); a wrong or missing password shows the form again, with
// the link still usable.
func (h *Handler) verifyLinkPost(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	if _, err := h.verifyLink(r, r.PathValue("token"), r.PostFormValue("password")); err != nil {
		if e := apiError(err); e == ErrInvalidToken || e == ErrExpiredToken {
			h.redirectError(w, r, "/verify-email", err)
			return nil
		}
		return h.formError(w, r, "verify-link", h.verifyLinkData(r), err)
	}
	if _, ok := httpauth.FromContext(r.Context()); ok {
		http.Redirect(w, r, "/account?m=email-verified", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/sign-in?m=email-verified", http.StatusSeeOther)
	return nil
}

func (h *Handler) resendPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); !ok {
		return nil
	}
	if err := h.resendVerification(r); err != nil {
		return h.formError(w, r, "verify-email", pageData{Title: "Verify your email"}, err)
	}
	http.Redirect(w, r, "/verify-email?m=code-sent", http.StatusSeeOther)
	return nil
}

func (h *Handler) passwordResetRequestPage(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	if err := h.requestPasswordReset(r, email); err != nil {
		return h.formError(w, r, "password-reset", pageData{Title: "Reset your password", Email: email}, err)
	}
	http.Redirect(w, r, "/password-reset?m=link-sent", http.StatusSeeOther)
	return nil
}

// resetCookie carries a reset token from the mailed link to the form.
const resetCookie = "latch_reset"

// passwordResetLink is where the mailed link lands. Its URL holds the
// token, so it loads nothing and its Referer carries the origin alone
// (tokenPagePolicy): it keeps the token in a
// short-lived cookie scoped to the form and redirects to the form's
// token-free URL (as Django does). The form page can then use the default
// Referrer-Policy, under which its post carries a real Origin (a
// no-referrer page's form posts say "Origin: null").
func (h *Handler) passwordResetLink(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	value := r.PathValue("token")
	if value == "" || len(value) > token.MaxLength {
		http.Redirect(w, r, "/password-reset?e=INVALID_TOKEN", http.StatusSeeOther)
		return nil
	}
	if dead, err := h.deadResetLink(w, r, value); dead || err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: resetCookie, Value: value, Path: "/password-reset/new", MaxAge: int(time.Hour / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.auth.Env() == latch.EnvProd,
	})
	http.Redirect(w, r, "/password-reset/new", http.StatusSeeOther)
	return nil
}

func (h *Handler) passwordResetForm(w http.ResponseWriter, r *http.Request) error {
	d := pageData{Title: "Set a new password"}
	if c, err := r.Cookie(resetCookie); err != nil || c.Value == "" {
		d.Error = "This page works from the link in a password reset mail. Ask for a new one below."
		h.render(w, r, http.StatusBadRequest, "password-reset", pageData{Title: "Reset your password", Error: d.Error})
		return nil
	} else if dead, err := h.deadResetLink(w, r, c.Value); dead || err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "password-reset-form", d)
	return nil
}

func (h *Handler) passwordResetPost(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(resetCookie)
	if err != nil || c.Value == "" {
		return h.formError(w, r, "password-reset", pageData{Title: "Reset your password"}, ErrInvalidToken)
	}
	_, p, err := h.resetPassword(w, r, c.Value, r.PostFormValue("password"))
	if err != nil {
		if e := apiError(err); e.Status < 500 && e != ErrPasswordTooShort && e != ErrPasswordTooLong {
			clearResetCookie(w)
		}
		return h.formError(w, r, "password-reset-form", pageData{Title: "Set a new password"}, err)
	}
	clearResetCookie(w)
	if p != nil {
		twoFactorRedirect(w, r, "/account?m=password-changed")
		return nil
	}
	http.Redirect(w, r, "/account?m=password-changed", http.StatusSeeOther)
	return nil
}

// deadResetLink checks a reset token without consuming it. A used or
// expired one gets, at once, the page that asks for a new link (instead of
// a form that fails after a password was typed); dead is then true.
func (h *Handler) deadResetLink(w http.ResponseWriter, r *http.Request, value string) (dead bool, err error) {
	_, err = h.resets.Peek(r.Context(), value)
	var msg string
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, token.ErrExpiredToken):
		msg = "This reset link has expired. Ask for a new one below."
	case errors.Is(err, token.ErrInvalidToken):
		msg = "This reset link has already been used or is no longer valid. Ask for a new one below."
	default:
		return true, err
	}
	clearResetCookie(w)
	h.render(w, r, http.StatusBadRequest, "password-reset", pageData{Title: "Reset your password", Error: msg})
	return true, nil
}

func clearResetCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: resetCookie, Path: "/password-reset/new", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) magicLinkRequestPage(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	if err := h.requestMagicLink(r, email, ""); err != nil {
		return h.formError(w, r, "magic-link", pageData{Title: "Sign in with a link", Email: email}, err)
	}
	http.Redirect(w, r, "/magic-link?m=link-sent", http.StatusSeeOther)
	return nil
}

const timeLayout = "2006-01-02 15:04 MST"

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) error {
	s, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	list, err := h.auth.GetAllUserSessions(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	views := make([]sessionView, 0, len(list))
	for _, x := range list {
		handle := sessionHandle(x.ID) // never the id: under lucia2 it is the token
		v := sessionView{
			ID: handle, Short: handle[:8], Current: x.ID == s.ID, TwoStep: x.AAL >= 2,
			ActiveExpires: x.ActiveExpires.UTC().Format(timeLayout), IdleExpires: x.IdleExpires.UTC().Format(timeLayout),
		}
		h.describeSession(&v, x)
		if v.Current { // this browser's first
			views = append([]sessionView{v}, views...)
		} else {
			views = append(views, v)
		}
	}
	methods, err := h.linkedMethods(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	activity, err := h.activityPage(r, s.UserID)
	if err != nil {
		return err
	}
	twoFactor, err := h.twoFactorSection(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "account", pageData{Title: "Your account", Sessions: views, Methods: methods, Activity: &activity,
		TwoFactor: twoFactor, EnrolmentRequired: h.require2FA && s.AAL < 2})
	return nil
}

func (h *Handler) revokeSessionPage(w http.ResponseWriter, r *http.Request) error {
	s, ok := signedIn(w, r)
	if !ok {
		return nil
	}
	handle := r.PathValue("id")
	if err := h.revokeOwnSession(w, r, handle); err != nil {
		return err
	}
	if handle == sessionHandle(s.ID) {
		http.Redirect(w, r, "/?m=signed-out", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?m=session-revoked", http.StatusSeeOther)
	return nil
}

func (h *Handler) revokeOthersPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); !ok {
		return nil
	}
	if err := h.revokeOthers(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?m=sessions-revoked", http.StatusSeeOther)
	return nil
}

// sentence capitalizes an API message and ends it with a period, for pages.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// localPath returns p when it is a path on this site ("/account?x=1"),
// else def: redirects never leave the site.
func localPath(p, def string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\\\r\n\t") {
		return def
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return def
	}
	return p
}
