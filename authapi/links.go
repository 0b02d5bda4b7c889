package authapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Links are the places on your site where mailed links and the redirects
// after them send a browser. Each is a path on this site ("/reset?t=x")
// or an absolute http(s) URL. The defaults are authapi's own pages; with
// Config.DisablePages, where the host app has its own pages, PasswordReset
// is required and the others default to "/".
type Links struct {
	// PasswordReset is the page a password-reset mail links to, with
	// "{token}" replaced by the token: the page asks for the new password
	// and POSTs it to /api/auth/password-reset/{token}. Default
	// "/password-reset/{token}".
	PasswordReset string
	// SignedIn is where a magic link or an OAuth sign-in lands when the
	// request named no callbackURL. Default "/account?m=signed-in".
	SignedIn string
	// VerifyEmail is the page a verification mail's link opens, with
	// "{token}" replaced: it verifies with POST
	// /api/auth/email-verification/verify-link {token, password?} (the
	// password when the browser is not signed in as the account). Default
	// "/verify-email/{token}".
	VerifyEmail string
	// MagicLink is the page a magic-link mail links to, with "{token}"
	// replaced (and "callbackURL" added to its query when the request
	// named one): it shows one button and signs in with POST
	// /api/auth/magic-link/verify {token}. Default "/magic-link/{token}";
	// with DisablePages, empty: the mail carries
	// /api/auth/magic-link/{token}, whose GET signs nobody in and answers
	// how to POST the token.
	MagicLink string
	// Failed is where a mailed link that cannot be used (expired, used)
	// lands, with "?e=<error code>" added. Default: authapi's page for
	// that link ("/magic-link", "/verify-email").
	Failed string
}

// fill sets the defaults and checks the values.
func (l *Links) fill(pages bool) error {
	if l.PasswordReset == "" {
		if !pages {
			return errors.New("authapi: Config.Links.PasswordReset is required with DisablePages: the page of your app that takes a reset token (\"/reset?token={token}\")")
		}
		l.PasswordReset = "/password-reset/{token}"
	}
	if !strings.Contains(l.PasswordReset, "{token}") {
		return fmt.Errorf("authapi: Config.Links.PasswordReset %q: want a {token} placeholder", l.PasswordReset)
	}
	home := "/"
	if l.SignedIn == "" {
		l.SignedIn = "/account?m=signed-in"
		if !pages {
			l.SignedIn = home
		}
	}
	if l.VerifyEmail == "" {
		if !pages {
			return errors.New("authapi: Config.Links.VerifyEmail is required with DisablePages: the page of your app that takes a verification token (\"/verify?token={token}\")")
		}
		l.VerifyEmail = "/verify-email/{token}"
	}
	if !strings.Contains(l.VerifyEmail, "{token}") {
		return fmt.Errorf("authapi: Config.Links.VerifyEmail %q: want a {token} placeholder", l.VerifyEmail)
	}
	if l.MagicLink == "" && pages {
		l.MagicLink = "/magic-link/{token}"
	}
	if l.MagicLink != "" && !strings.Contains(l.MagicLink, "{token}") {
		return fmt.Errorf("authapi: Config.Links.MagicLink %q: want a {token} placeholder", l.MagicLink)
	}
	if l.Failed == "" && !pages {
		l.Failed = home
	}
	for name, v := range map[string]string{"PasswordReset": l.PasswordReset, "SignedIn": l.SignedIn, "VerifyEmail": l.VerifyEmail, "MagicLink": l.MagicLink, "Failed": l.Failed} {
		if v != "" && !validTarget(strings.ReplaceAll(v, "{token}", "t")) {
			return fmt.Errorf("authapi: Config.Links.%s %q: want a path starting with / or an absolute http(s) URL", name, v)
		}
	}
	return nil
}

// validTarget accepts a local path or an absolute http(s) URL.
func validTarget(v string) bool {
	if localPath(v, "") != "" {
		return true
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// resetLink is the path or URL a reset mail carries for tok.
func (h *Handler) resetLink(tok string) string {
	return strings.ReplaceAll(h.linkTo.PasswordReset, "{token}", url.PathEscape(tok))
}

// verifyLinkTarget is the page a verification link opens for tok.
func (h *Handler) verifyLinkTarget(tok string) string {
	return strings.ReplaceAll(h.linkTo.VerifyEmail, "{token}", url.PathEscape(tok))
}

// failedLink is where a mailed link that failed sends the browser: the
// configured Links.Failed, or authapi's own page.
func (h *Handler) failedLink(page string) string {
	if h.linkTo.Failed != "" {
		return h.linkTo.Failed
	}
	return page
}

// tokenPagePolicy is the Referrer-Policy of every page whose URL holds a
// mailed link's token (magic link, verification link, reset link, email
// change): a Referer it causes carries the origin alone, never the token
// in the path, while its form's POST keeps a real Origin. (Under
// no-referrer, Chromium posts such a form with "Origin: null", which the
// Origin check refuses for a signed-in browser.)
const tokenPagePolicy = "strict-origin"

// setTokenPagePolicy sets tokenPagePolicy on a token page's answer.
func setTokenPagePolicy(w http.ResponseWriter) {
	w.Header().Set("Referrer-Policy", tokenPagePolicy)
}

// noPages serves a JSON 404 for the page paths when the pages are off;
// the host app owns everything outside /api/.
func (h *Handler) noPages(w http.ResponseWriter, r *http.Request) {
	setRoute(r)
	h.writeError(w, r, ErrNotFound)
}
