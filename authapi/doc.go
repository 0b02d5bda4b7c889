// Package authapi is Latch's HTTP surface: a mountable http.Handler that
// serves the JSON API under /api/auth, the server-rendered HTML pages
// (sign-up, sign-in, email verification, password reset, magic link,
// account) and, in dev, the mail outbox.
//
// # API
//
// Bodies are JSON; every error is {"error":{"code":"…","message":"…"}}
// with the status and code of one table (see Error and the Err variables).
// Bodies over 64 KiB are refused with 413 BODY_TOO_LARGE, malformed JSON
// with 400 INVALID_BODY; unknown fields are ignored. A panic becomes a bare
// 500 INTERNAL, logged, never shown.
//
// A signed-in answer is {"user":{…},"session":{…}}: the user's id, email,
// emailVerified and name, and the session's id (a digest of its token,
// safe to show), expiries and freshness. The session token itself goes in
// the HttpOnly cookie; it is also put in the body as "token" only when the
// request has no Origin header, which is to say when it does not come from
// a browser: API clients use it as a bearer token, and a script on a web
// page can never read it.
//
// # Requests that must not tell whether an account exists
//
// Password reset and magic link requests answer 202 with one body. The
// lookup of the address, the token and the mail happen on a queue off the
// request path, so the answer and its timing are the same whether or not
// the address has an account. Sign-in answers 401 INVALID_CREDENTIALS for
// an unknown address and for a wrong password alike, after the same
// hashing work. Sign-up does tell (409 USER_ALREADY_EXISTS), as it must.
//
// # CSRF
//
// A request with the session cookie and a method other than GET, HEAD or
// OPTIONS must carry an allowed Origin (httpauth checks it). The API also
// refuses a foreign Origin on requests without a cookie, and the pages
// require an allowed Origin on every form post, so that no other site can
// sign a visitor in to an account of its choosing.
//
// # Pages on other origins
//
// The origins in httpauth.Options.CORSOrigins may call the JSON API from
// the browser with the cookie: under /api/auth, and only there, they get
// preflights answered and every answer with credentialed CORS headers for
// their exact origin. Other origins get no CORS header; pages and the dev
// outbox never answer cross-origin. GET /api/auth/client.js serves a
// JavaScript client for such pages, an ES module without dependencies.
//
// # Email addresses
//
// See NormalizeEmail for the canonical form and how look-alike characters
// are handled.
package authapi
