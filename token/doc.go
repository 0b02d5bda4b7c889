// Package token issues and validates single-use tokens on a latch.Auth:
// the links and codes of email verification, password reset and magic
// links, and one-time tokens that hand a session over to another client.
//
// Each handler has a name, the Kind of its tokens; two handlers of one Auth
// cannot share a name, so neither can read the other's tokens.
//
//   - IDTokens: long random values that identify their user by themselves
//     (links). Issue, Validate, Invalidate, InvalidateAllUserTokens,
//     GetAllUserTokens, as in Lucia's tokens integration; Peek reads one
//     without consuming it.
//   - PasswordTokens: short numeric codes the user types in, bound to their
//     user (Validate takes the user id) and guarded by an attempt limit.
//   - OneTimeTokens: short-lived tokens bound to a session, exchanged for
//     it once (better-auth's one-time-token plugin).
//   - PasswordResets: reset links with a per-user issue limit.
//   - AuthorizationCodes: the PKCE codes of native and command-line apps'
//     sign-in, bound to the session that allowed them: once that session
//     ends, a code exchanges for nothing.
//
// Validation consumes a token in the same atomic step that reads it (the
// store's TakeToken), so of any number of concurrent validations of one
// token exactly one succeeds. An expired token is consumed too and reported
// as ErrExpiredToken. Malformed values (empty, over MaxLength bytes, not
// printable ASCII) are ErrInvalidToken without a store being asked.
//
// At rest a token is its SHA-256 digest by default (Hashed): the row never
// holds the value, so a leaked table hands out no token. Plain and
// CustomHash are options; with a digest, listed tokens carry no value.
// DeleteExpired purges expired tokens.
//
// Time is the Auth's clock (latch.Config.Now); tests move it instead of
// sleeping.
package token
