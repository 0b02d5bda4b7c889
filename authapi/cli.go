package authapi

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/token"
)

// Sign-in of native and command-line apps (RFC 8252, OAuth 2.0 for native
// apps, with PKCE, RFC 7636), latchd being the authorization server: the
// app listens on a loopback port and opens the system browser at
// /cli/authorize; the user, signed in there however they sign in, allows
// the app; latchd redirects to the loopback address with a single-use
// code, which the app exchanges at /api/auth/cli/token, with its code
// verifier, for a session of its own and its bearer token.

var (
	ErrInvalidCLIRequest = newError(http.StatusBadRequest, "INVALID_CLI_REQUEST", "the app's sign-in request is not valid: code, code_verifier and redirect_uri are required")
	ErrInvalidGrant      = newError(http.StatusBadRequest, "INVALID_GRANT", "the code is unknown, expired or used, or the verifier or redirect URI does not match")
)

// SessionClientAttribute is the session attribute that marks a session
// made for an app through /api/auth/cli/token ("cli"), kept with the
// other session details (Config.SessionDetails).
const SessionClientAttribute = "client"

// cliRequest is a validated authorization request of an app.
type cliRequest struct {
	RedirectURI string
	State       string
	Challenge   string
	ClientName  string
}

// readCLIRequest validates the parameters of an authorization request. A
// redirect URI must be an http loopback address with an IP literal and a
// port (RFC 8252 §7.3; "localhost" is refused, as §8.3 advises): the
// browser then only ever goes to a program on the user's own machine.
func readCLIRequest(v url.Values) (cliRequest, string) {
	for _, k := range []string{"redirect_uri", "state", "code_challenge", "code_challenge_method", "client_name"} {
		if len(v[k]) > 1 {
			return cliRequest{}, k + " is given more than once"
		}
	}
	req := cliRequest{
		RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		Challenge: v.Get("code_challenge"), ClientName: strings.TrimSpace(v.Get("client_name")),
	}
	if msg := checkLoopbackRedirect(req.RedirectURI); msg != "" {
		return cliRequest{}, msg
	}
	if req.State == "" || len(req.State) > 256 || strings.IndexFunc(req.State, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return cliRequest{}, "state must be 1 to 256 visible ASCII characters"
	}
	if m := v.Get("code_challenge_method"); m != "S256" {
		return cliRequest{}, "code_challenge_method must be S256"
	}
	if !token.ValidCodeChallenge(req.Challenge) {
		return cliRequest{}, "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)"
	}
	if req.ClientName == "" {
		req.ClientName = "A command-line app"
	}
	if utf8.RuneCountInString(req.ClientName) > 64 || !utf8.ValidString(req.ClientName) ||
		strings.IndexFunc(req.ClientName, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return cliRequest{}, "client_name must be at most 64 printable characters"
	}
	if msg := checkClientName(req.ClientName); msg != "" {
		return cliRequest{}, msg
	}
	return req, ""
}

// checkLoopbackRedirect says what is wrong with a redirect URI, or "".
func checkLoopbackRedirect(raw string) string {
	const want = "redirect_uri must be http://127.0.0.1:PORT/… or http://[::1]:PORT/…"
	if raw == "" || len(raw) > 512 || strings.ContainsAny(raw, "\\\r\n\t #") {
		return want
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return want
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || port == "" || strings.TrimLeft(port, "0123456789") != "" || len(port) > 5 {
		return want
	}
	// A port the app can listen on: 1–65535, written without leading zeros
	// (which a browser would drop, changing the URI the code is bound to).
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
		return want
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || (ip.To4() != nil && host != "127.0.0.1") {
		return want
	}
	return ""
}

// cliPageError is the error page of a request that cannot be answered by
// redirecting to the app: its redirect URI is not trusted until checked.
func cliPageError(msg string) error {
	return &pageError{http.StatusBadRequest, "This sign-in request from an app is not valid: " + msg + "."}
}

// cliSignIn redirects to the sign-in page, coming back to this request.
func cliSignIn(w http.ResponseWriter, r *http.Request, req cliRequest) {
	back := "/cli/authorize?" + url.Values{
		"redirect_uri": {req.RedirectURI}, "state": {req.State}, "code_challenge": {req.Challenge},
		"code_challenge_method": {"S256"}, "client_name": {req.ClientName},
	}.Encode()
	http.Redirect(w, r, "/sign-in?m=cli-sign-in&next="+url.QueryEscape(back), http.StatusSeeOther)
}

func (h *Handler) cliAuthorizePage(w http.ResponseWriter, r *http.Request) error {
	req, msg := readCLIRequest(r.URL.Query())
	if msg != "" {
		return cliPageError(msg)
	}
	if s, ok := httpauth.FromContext(r.Context()); !ok {
		cliSignIn(w, r, req)
		return nil
	} else if err := h.cliApprover(r, s); err != nil {
		return err
	}
	// The Allow and Deny buttons post here, and the answer redirects to
	// the app: the page's form-action must allow that one origin.
	u, _ := url.Parse(req.RedirectURI)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http://"+u.Host+"; frame-ancestors 'none'; base-uri 'none'")
	h.render(w, r, http.StatusOK, "cli-authorize", pageData{Title: "Allow an app to sign in", CLI: &req})
	return nil
}

func (h *Handler) cliAuthorizePost(w http.ResponseWriter, r *http.Request) error {
	req, msg := readCLIRequest(r.PostForm)
	if msg != "" {
		return cliPageError(msg)
	}
	s, ok := httpauth.FromContext(r.Context())
	if !ok {
		cliSignIn(w, r, req)
		return nil
	}
	if err := h.cliApprover(r, s); err != nil {
		return err
	}
	q := url.Values{"state": {req.State}}
	switch r.PostFormValue("decision") {
	case "allow":
		code, err := h.cliCodes.Issue(r.Context(), s, req.Challenge, req.RedirectURI)
		if err != nil {
			return err
		}
		q.Set("code", code.String())
		h.record(r, s.UserID, evTokenIssued, h.cliCodes.Name())
		h.log.InfoContext(r.Context(), "app sign-in allowed", "user", s.UserID)
	case "deny":
		q.Set("error", "access_denied")
	default:
		return cliPageError("choose Allow or Deny")
	}
	u, _ := url.Parse(req.RedirectURI)
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += q.Encode()
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return nil
}

// cliTokenRequest is the code exchange, with RFC 7636's names.
type cliTokenRequest struct {
	Code         string `json:"code"`
	CodeVerifier string `json:"code_verifier"`
	RedirectURI  string `json:"redirect_uri"`
}

// cliToken exchanges a code for a new session of the app, answered with
// its bearer token (the app has no cookie jar, and proved with its
// verifier that it is the program that asked).
func (h *Handler) cliToken(w http.ResponseWriter, r *http.Request) error {
	var req cliTokenRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := parseForm(r); err != nil {
			return err
		}
		req = cliTokenRequest{Code: r.PostForm.Get("code"), CodeVerifier: r.PostForm.Get("code_verifier"), RedirectURI: r.PostForm.Get("redirect_uri")}
	} else if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Code == "" || req.CodeVerifier == "" || req.RedirectURI == "" {
		return ErrInvalidCLIRequest
	}
	code, err := h.cliCodes.Exchange(r.Context(), req.Code, req.CodeVerifier, req.RedirectURI)
	if errors.Is(err, token.ErrInvalidToken) || errors.Is(err, token.ErrExpiredToken) {
		return ErrInvalidGrant
	}
	if err != nil {
		return err
	}
	// The app's session is made as the browser's that allowed it was:
	// with its AMR, so an app of a user with a second factor gets AAL 2
	// only from a browser signed in with it (cliApprover).
	from, err := h.auth.GetSessionByID(r.Context(), code.SessionID)
	if errors.Is(err, latch.ErrInvalidSessionID) {
		return ErrInvalidGrant
	}
	if err != nil {
		return err
	}
	// The mark of an app's session is a session detail like the user
	// agent: a Lucia session table has no column for it unless
	// SessionDetails is on, and writing it there failed the exchange.
	attrs := h.sessionDetails(r)
	if attrs != nil {
		attrs[SessionClientAttribute] = "cli"
	}
	s, err := h.auth.CreateSession(r.Context(), latch.CreateSessionOptions{UserID: code.UserID, AMR: from.AMR, Attributes: attrs})
	if err != nil {
		return err
	}
	h.record(r, code.UserID, evTokenUsed, h.cliCodes.Name())
	h.recordSignIn(r, code.UserID, "cli")
	h.setOTTHeader(w, r, s)
	out := authBody(r, s)
	out.Token = s.Token
	writeJSON(w, http.StatusOK, out)
	return nil
}

// cliApprover refuses to let a session below AAL 2 allow an app for a
// user who has a second factor (a session made before the factor was
// added): the app's session would skip the factor.
func (h *Handler) cliApprover(r *http.Request, s latch.Session) error {
	if s.AAL >= 2 {
		return nil
	}
	methods, err := h.userFactors(r.Context(), s.UserID)
	if err != nil && !errors.Is(err, latch.ErrNoFactorStore) {
		return err
	}
	if len(methods) > 0 {
		return &pageError{http.StatusForbidden, "Your account has a second factor, and this browser signed in without it. Sign out, sign in again with your second factor, then allow the app."}
	}
	return nil
}
