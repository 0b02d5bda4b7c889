// Package httpauth connects Latch sessions to net/http: a middleware that
// reads the session from a cookie or an "Authorization: Bearer" header,
// renews the cookie as the session is renewed, checks the Origin of
// cookie-carrying requests that change state (CSRF), and puts the session
// in the request's context.
//
// It works with any router, since it is only an http.Handler wrapper:
//
//	m, err := httpauth.New(auth, httpauth.Options{})
//	mux := http.NewServeMux()
//	mux.Handle("GET /me", m.Require(http.HandlerFunc(me)))
//	http.ListenAndServe(":8080", m.Middleware(mux))
//
// and inside a handler:
//
//	s, ok := httpauth.FromContext(r.Context())
//
// Errors are answered as JSON, {"error":{"code":"…","message":"…"}}:
// 401 UNAUTHORIZED from Require, 403 INVALID_ORIGIN from the Origin check,
// 503 STORE_UNAVAILABLE when the session store does not answer. WriteJSON
// and WriteError write the same shape for the handlers built on top.
package httpauth
