// Package latch is authentication for Go: users, keys and sessions, on
// storage you choose.
//
// The model is Lucia v2's. A user has an id and typed attributes. A key is
// a way to sign in as a user, named "providerId:providerUserId"
// ("email:ada@example.com", "github:1234"), optionally with a password
// hash. A session is created for a user after a key was used; its token
// goes to the client (a cookie or a bearer token) and is checked on every
// request with ValidateSession.
//
// Sessions have an active period (24 hours by default) and an idle period
// after it (14 days). Validating a session in its idle period renews it and
// returns it with Fresh set, so the HTTP layer sets the cookie again; past
// the idle period the session is dead and ErrInvalidSessionID is returned.
//
// Storage is behind small interfaces (UserStore, KeyStore, SessionStore,
// TokenStore) implemented by the packages under store/: memory, sqlite,
// postgres, mysql and redis. In the default profile only the SHA-256 of a
// session token is stored; ProfileLucia2 reads and writes a Lucia v2
// database as it is.
//
// Every error an Auth returns can be matched with errors.Is against the
// exported sentinels, which carry Lucia's codes (AUTH_INVALID_SESSION_ID,
// AUTH_INVALID_KEY_ID, ...). The only clock is Config.Now, so tests move
// time instead of sleeping.
package latch
