// Package admin is Latch's admin API: an http.Handler that serves
// /api/admin/ for operators, apart from authapi, meant to be mounted on a
// listener of its own (latchd's --admin-addr, loopback by default).
//
// Only an "Authorization: Bearer <token>" header with one of
// Config.Tokens opens it (compared in constant time; no cookie is ever
// read); failures are throttled per client IP. Every call is audited (see
// Audit). The routes:
//
//	GET    /api/admin/users?q=&cursor=&limit=   list users, by email prefix q
//	POST   /api/admin/users                     {email,password,name?,verified?} → 201
//	GET    /api/admin/users/{id}?cursor=        user, keys, sessions, activity
//	POST   /api/admin/users/{id}/disable        no sign-in; sessions end, tokens void
//	POST   /api/admin/users/{id}/enable
//	DELETE /api/admin/users/{id}/sessions       → 204
//	DELETE /api/admin/users/{id}/factors        → 200 {removed}: second factors, passkeys, recovery codes; sessions end, mailed
//	POST   /api/admin/users/{id}/password-reset {link?:"password-reset"|"magic-link"} → 202, mailed
//	DELETE /api/admin/users/{id}                → 204
//
// Another method on one of these paths is 405 METHOD_NOT_ALLOWED with
// Allow, any other path 404 NOT_FOUND; both only after the token check.
// The mails and the removal of factors go through the auth API's handler
// (Config.Mailer, Config.FactorRemover: *authapi.Handler is both);
// without one, those routes answer 501 NOT_SUPPORTED.
//
//	h, err := admin.New(admin.Config{Auth: auth, Tokens: []admin.Token{{Name: "ops", Value: token}}, Mailer: api, FactorRemover: api})
//	go http.ListenAndServe("127.0.0.1:8081", h)
package admin
