// Package oauth signs users in with OAuth 2.0 and OpenID Connect
// providers: the authorization code flow with PKCE (S256) sent to every
// provider, a random state (and, for OpenID Connect, a nonce) kept in
// short-lived cookies, ID tokens verified with go-oidc, and the
// provider's user mapped to one shape, [ProviderUser].
//
// Nothing of OAuth, JWT or JWKS is done by hand: golang.org/x/oauth2 makes
// the authorization URL, the PKCE challenge and the code exchange, and
// github.com/coreos/go-oidc/v3 does discovery, fetches the JWKS and
// verifies ID tokens (signature, issuer, audience, expiry). This package
// keeps the flow's state between the two legs of the redirect, checks it,
// and turns what providers answer into a [ProviderUser].
//
// # Providers
//
// A [Provider] is data: endpoints or an OIDC issuer, scopes, and a small
// function that maps the provider's user. The
// providers subpackage has ready-made ones (Apple, GitHub, Google,
// Microsoft Entra ID, LINE, LinkedIn, ... and any OpenID Connect provider
// from its issuer URL); package oauthtest runs a fake provider on loopback
// for tests.
//
// ID tokens are accepted only when signed with an asymmetric algorithm
// checked against the provider's JWKS, unless the provider lists a MAC
// ("HS256") in [Provider.IDTokenAlgs]: LINE signs the ID tokens of web
// logins with HS256 keyed with the channel secret, which go-oidc's key
// sets (public keys only) cannot check, so the signature is then checked
// by go-jose with the client secret, and go-oidc still checks the rest.
// Every ID token must carry this browser's nonce, except with
// [Provider.NonceOptional], for a provider that does not echo it
// (LinkedIn). Beyond go-oidc's checks, a token naming another client as
// its "azp", issued more than [MaxClockSkew] in the future, or with a
// time that is not a number is refused. With [Config.Secure], every
// provider endpoint must be https:// unless on loopback. Provider ids
// Latch keeps for its own keys ([ReservedProviderIDs]) are always refused.
//
// # The flow
//
// A [Client] runs the flow over net/http:
//
//	AuthCodeURL(w, r, "github", next)  sets the flow cookies, returns the provider URL
//	Callback(w, r, "github")           clears the cookies, checks the state, exchanges
//	                                   the code, verifies the ID token, reads the user
//
// The flow cookies (state, PKCE verifier, nonce, next) are HttpOnly,
// SameSite=Lax, Secure and named with the "__Secure-" prefix when
// [Config.Secure] is set, scoped to the
// provider's callback path and live [FlowTTL]. Callback deletes them
// whatever happens, so a callback works once; the state is compared in
// constant time. next, where to go after signing in, is kept only when it
// is a path on this site ([SafeNext]).
//
// # Accounts
//
// [FindOrCreateUser] then finds or makes the Latch user of a provider
// user:
//
//  1. the user of the key "providerId:providerUserId", when it exists;
//  2. else, when the provider says the address is verified and an email
//     key "email:<address>" exists, that user, to whom the provider key is
//     added (account linking);
//  3. else a new user with the provider key, made with it in one
//     transaction.
//
// An address the provider has not verified never links accounts.
//
// An application with its own linking policy calls [GetExistingUser]
// instead, which finds the user of the provider key or reports none and
// creates and links nothing, and reads the verified ID token's claims
// from [Result.Claims] or with [Result.DecodeClaims].
//
// # Errors
//
// The errors are values for errors.Is: [ErrInvalidState] (a forged,
// replayed or expired callback), [ErrConsentDenied] (the user said no),
// [ErrExchange] (the code was refused), [ErrInvalidIDToken], and
// [ErrUnknownProvider], [ErrAuthorization], [ErrUserInfo], [ErrDiscovery].
package oauth
