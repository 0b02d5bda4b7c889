package authapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/oauth"
)

// The errors of OAuth sign-in.
var (
	ErrUnknownProvider = newError(http.StatusNotFound, "UNKNOWN_PROVIDER", "there is no sign-in with this provider here")
	ErrInvalidState    = newError(http.StatusBadRequest, "INVALID_STATE", "the sign-in expired or was started in another browser: start again")
	ErrOAuthDenied     = newError(http.StatusForbidden, "OAUTH_DENIED", "the sign-in was declined at the provider")
	ErrOAuthExchange   = newError(http.StatusBadRequest, "OAUTH_EXCHANGE_FAILED", "the provider did not accept the sign-in: start again")
	ErrInvalidIDToken  = newError(http.StatusUnauthorized, "INVALID_ID_TOKEN", "the provider's identity token could not be verified")
	ErrOAuthProvider   = newError(http.StatusBadGateway, "OAUTH_PROVIDER_ERROR", "the provider could not complete the sign-in: try again later")
)

// oauthErrors maps the oauth package's errors; the first match wins.
var oauthErrors = []struct {
	err error
	api *Error
}{
	{oauth.ErrUnknownProvider, ErrUnknownProvider},
	{oauth.ErrInvalidState, ErrInvalidState},
	{oauth.ErrConsentDenied, ErrOAuthDenied},
	{oauth.ErrExchange, ErrOAuthExchange},
	{oauth.ErrInvalidIDToken, ErrInvalidIDToken},
	{oauth.ErrAuthorization, ErrOAuthProvider},
	{oauth.ErrUserInfo, ErrOAuthProvider},
	{oauth.ErrDiscovery, ErrOAuthProvider},
}

// oauthButton is a provider as the sign-in page lists it.
type oauthButton struct{ ID, Name string }

func (h *Handler) oauthButtons() []oauthButton {
	if h.oauth == nil {
		return nil
	}
	var out []oauthButton
	for _, p := range h.oauth.Providers() {
		out = append(out, oauthButton{ID: p.ID, Name: cmpOrString(p.Name, p.ID)})
	}
	return out
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// oauthRoutes serves GET /api/auth/oauth/{provider}, which sends the
// browser to the provider, and GET|POST /api/auth/oauth/{provider}/callback,
// where it comes back.
func (h *Handler) oauthRoutes(mux *http.ServeMux) {
	start := methods{"GET": h.oauthStart}
	h.handle(mux, "/api/auth/oauth/{provider}", h.api(start), start.names()...)
	// The callback is no api() route: a provider may post it from its own
	// site (Apple), which the Origin check would refuse; the state checked
	// against this browser's cookie is what protects it.
	h.handle(mux, "/api/auth/oauth/{provider}/callback", http.HandlerFunc(h.oauthCallback), "GET", "POST")
}

// oauthStart sets the flow cookies and redirects to the provider. next,
// kept for after the sign-in, must be a path on this site.
func (h *Handler) oauthStart(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.URL.Query().Get("next"), "")
	u, err := h.oauth.AuthCodeURL(w, r, r.PathValue("provider"), next)
	if err != nil {
		h.oauthFail(w, r, err)
		return nil
	}
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

func (h *Handler) oauthCallback(w http.ResponseWriter, r *http.Request) {
	setRoute(r)
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer") // the URL holds the code
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		hd.Set("Allow", "GET, POST")
		h.writeError(w, r, ErrMethodNotAllowed)
		return
	}
	if h.oauth.RelayFormPost(w, r) {
		return
	}
	if err := h.finishOAuth(w, r); err != nil {
		h.oauthFail(w, r, err)
	}
}

// finishOAuth checks the callback, finds or makes the user, starts a
// session and redirects to next, or to /account; a user with a second
// factor is sent to /two-factor instead, with no session yet.
func (h *Handler) finishOAuth(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	res, err := h.oauth.Callback(w, r, r.PathValue("provider"))
	if err != nil {
		return err
	}
	if err := h.checkReservedOAuth(ctx, res.ProviderID, res.User); err != nil {
		return err
	}
	var issued string
	acc, err := oauth.FindOrCreateUser(ctx, h.auth, res.ProviderID, res.User, oauth.LinkOptions{
		NormalizeEmail: NormalizeEmail,
		Claim: func(ctx context.Context, u latch.User) (latch.User, error) {
			return h.claimMailbox(ctx, u, "", nil)
		},
		// A way in was added: the owner is told, with an undo link, in
		// the link's transaction.
		Linked: func(ctx context.Context, acc oauth.Account) error {
			var err error
			issued, err = h.undoNoticeInTx(ctx, acc.User, AccountChange{Field: UndoMethod, Method: res.ProviderID, Added: true, AddedKey: acc.Key.ID()})
			return err
		},
		Attributes: func(oauth.ProviderUser) latch.Attributes {
			return optionalAttributes(h.auth, latch.Attributes{attrCreatedAt: h.auth.Now()})
		},
	})
	if err != nil {
		return err
	}
	_, p, err := h.signInOrSecondFactor(w, r, acc.User.ID, []string{amrFederated})
	if err != nil {
		return err
	}
	h.log.InfoContext(ctx, "oauth sign-in", "provider", res.ProviderID, "user", acc.User.ID, "how", linkName(acc.How), "secondFactorPending", p != nil)
	if acc.How == oauth.LinkedByEmail {
		h.record(r, acc.User.ID, evMethodLinked, res.ProviderID)
		h.noticeQueued(ctx, acc.User.ID, issued)
	}
	next := orDefault(localPath(res.Next, ""), h.oauthLanding)
	if p != nil {
		twoFactorRedirect(w, r, next)
		return nil
	}
	h.recordSignIn(r, acc.User.ID, "oauth:"+res.ProviderID+" "+linkName(acc.How))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func linkName(l oauth.Linked) string {
	switch l {
	case oauth.Created:
		return "created"
	case oauth.LinkedByEmail:
		return "linked by email"
	}
	return "existing"
}

// oauthFail answers a failed sign-in: a browser (one that accepts HTML) is
// sent to the sign-in page, which shows the error's message; anything
// else gets the JSON error.
func (h *Handler) oauthFail(w http.ResponseWriter, r *http.Request, err error) {
	e := apiError(err)
	for _, row := range oauthErrors {
		if errors.Is(err, row.err) {
			e = row.api
			break
		}
	}
	if e.Status < 500 {
		h.log.WarnContext(r.Context(), "oauth sign-in refused", "route", route(r), "code", e.Code, "err", err)
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		if e.Status >= 500 {
			h.log.ErrorContext(r.Context(), "oauth sign-in failed", "route", route(r), "status", e.Status, "err", err)
		}
		http.Redirect(w, r, "/sign-in?e="+url.QueryEscape(e.Code), http.StatusSeeOther)
		return
	}
	h.writeError(w, r, withCause(e, err))
}

// withCause keeps the API error for the answer and the cause for the log.
func withCause(e *Error, cause error) error {
	if e == ErrInternal {
		return cause
	}
	return &causedError{e, cause}
}

type causedError struct {
	api   *Error
	cause error
}

func (c *causedError) Error() string { return c.api.Error() + ": " + c.cause.Error() }
func (c *causedError) Unwrap() error { return c.api }

// checkReservedOAuth refuses (USER_ALREADY_EXISTS) an OAuth sign-in that
// would make a new account with an address another account left by an
// email change whose undo link still lives (see reserveEmail). A provider
// key that exists already signs in as before.
func (h *Handler) checkReservedOAuth(ctx context.Context, providerID string, pu oauth.ProviderUser) error {
	email, err := NormalizeEmail(pu.Email)
	if err != nil || email == "" {
		return nil
	}
	if _, err := h.auth.GetKey(ctx, providerID, pu.ID); !errors.Is(err, latch.ErrInvalidKeyID) {
		return nil // an existing key (or a store error, which the lookup below meets again)
	}
	if _, err := h.auth.GetKey(ctx, emailProvider, email); err == nil {
		return nil // linked by email to the account that has the address now
	}
	if reserved, err := h.emailReserved(ctx, email, ""); err != nil {
		return err
	} else if reserved {
		return ErrUserExists
	}
	return nil
}
