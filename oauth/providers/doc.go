// Package providers makes the oauth.Provider of common OAuth 2.0 and
// OpenID Connect providers, each with its documented endpoints, scopes and
// user response. Each returns a *oauth.Provider whose fields may be
// changed before it is given to oauth.New (more scopes, another ID, or, in
// tests, another endpoint).
//
// Email addresses are marked verified only where the provider documents
// that it verified them (GitHub's verified primary address, Google's
// email_verified claim, ...); elsewhere EmailVerified is false, and such a
// sign-in never links to an existing account by address.
package providers

import (
	"net/http"

	"github.com/latchauth/latch/oauth"
)

// str and boolean read a decoded JSON object; see oauth.String and oauth.Bool.
var (
	str     = oauth.String
	boolean = oauth.Bool
)

// userAgent identifies Latch to APIs that want a User-Agent (GitHub, Reddit).
const userAgent = "latch-oauth/1 (+https://github.com/latchauth/latch)"

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func orDefault(scopes, def []string) []string {
	if len(scopes) > 0 {
		return scopes
	}
	return def
}
