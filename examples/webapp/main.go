// Command webapp is a net/http app with its own sign-up, sign-in and
// sign-out, a page behind httpauth's Require, a magic link of its own, and
// authapi mounted beside it under /api/auth (pages off) sharing its
// Auth and session manager: the JSON API, verification and password-reset
// mails, and in dev the outbox at /api/auth/dev/outbox.
//
//	go run ./examples/webapp   # http://localhost:8081
package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/token"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(os.TempDir(), "latch-webapp.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	auth, err := latch.New(latch.Config{Store: store, Env: latch.EnvDev})
	if err != nil {
		return err
	}
	app, err := newApp(auth, "http://localhost:8081", mail.NewOutbox())
	if err != nil {
		return err
	}
	defer app.Close(ctx)
	log.Println("webapp on http://localhost:8081 (mail at /api/auth/dev/outbox)")
	return http.ListenAndServe("localhost:8081", app)
}

// App is the web app: its own pages and authapi beside them.
type App struct {
	auth     *latch.Auth
	sessions *httpauth.Manager
	magic    *token.IDTokens
	mailer   mail.Mailer
	mails    mail.Templates
	api      *authapi.Handler
	mux      *http.ServeMux
}

// newApp wires the app. outbox receives the mail (use an SMTP mailer in
// production).
func newApp(auth *latch.Auth, baseURL string, outbox *mail.Outbox) (*App, error) {
	sessions, err := httpauth.New(auth, httpauth.Options{})
	if err != nil {
		return nil, err
	}
	magic, err := token.NewIDTokens(auth, "webapp-magic-link", token.IDTokenOptions{ExpiresIn: 15 * time.Minute})
	if err != nil {
		return nil, err
	}
	// authapi shares the Auth and the session manager: a session made by
	// either is the other's too.
	api, err := authapi.New(authapi.Config{
		Auth: auth, Sessions: sessions, BaseURL: baseURL, Mailer: outbox, Dev: true,
		DisablePages: true,
		Links: authapi.Links{
			PasswordReset: "/reset?token={token}", // your page: it POSTs /api/auth/password-reset/{token}
			SignedIn:      "/dashboard",
			VerifyEmail:   "/verify?token={token}", // your page: it POSTs /api/auth/email-verification/verify-link
		},
	})
	if err != nil {
		return nil, err
	}
	a := &App{auth: auth, sessions: sessions, magic: magic, mailer: outbox,
		mails: mail.Templates{BaseURL: baseURL}, api: api, mux: http.NewServeMux()}
	a.mux.Handle("/api/auth/", api)
	a.mux.HandleFunc("GET /{$}", a.home)
	a.mux.HandleFunc("POST /sign-up", a.form(a.signUp))
	a.mux.HandleFunc("POST /sign-in", a.form(a.signIn))
	a.mux.HandleFunc("POST /sign-out", a.form(a.signOut))
	a.mux.HandleFunc("POST /magic-link", a.form(a.sendMagicLink))
	a.mux.HandleFunc("GET /magic/{token}", a.magicPage)
	a.mux.HandleFunc("POST /magic/{token}", a.form(a.useMagicLink))
	a.mux.Handle("GET /dashboard", sessions.Require(http.HandlerFunc(a.dashboard)))
	return a, nil
}

// ServeHTTP loads the session of every request (httpauth.FromContext).
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.sessions.Middleware(a.mux).ServeHTTP(w, r)
}

// Close waits for authapi's queued mail.
func (a *App) Close(ctx context.Context) error { return a.api.Close(ctx) }

var pages = template.Must(template.New("").Parse(`
{{define "home"}}<!doctype html><title>webapp</title>
{{if .}}<p>Signed in as {{.}}. <a href="/dashboard">Dashboard</a></p>
<form method="post" action="/sign-out"><button>Sign out</button></form>
{{else}}<form method="post" action="/sign-up"><input name="email" type="email"><input name="password" type="password"><button>Sign up</button></form>
<form method="post" action="/sign-in"><input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>
<form method="post" action="/magic-link"><input name="email" type="email"><button>Mail me a link</button></form>{{end}}{{end}}
{{define "magic"}}<!doctype html><title>Sign in</title>
<form method="post"><button>Sign in</button></form>{{end}}
{{define "dashboard"}}<!doctype html><title>Dashboard</title><p>Hello {{.}}</p>{{end}}`))

// form checks Origin on a form post (login CSRF included), parses it and
// turns an error into a 400 page.
func (a *App) form(fn func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.sessions.CheckOrigin(r); err != nil {
			http.Error(w, "cross-site request refused", http.StatusForbidden)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if err := fn(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	email := ""
	if s, ok := httpauth.FromContext(r.Context()); ok {
		email = s.User.Attributes.String("email")
	}
	_ = pages.ExecuteTemplate(w, "home", email)
}

// startSession signs the user in and goes to the dashboard.
func (a *App) startSession(w http.ResponseWriter, r *http.Request, userID string) error {
	s, err := a.auth.CreateSession(r.Context(), latch.CreateSessionOptions{UserID: userID})
	if err != nil {
		return err
	}
	a.sessions.SetSessionCookie(w, s)
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

func (a *App) signUp(w http.ResponseWriter, r *http.Request) error {
	// authapi.CreateUser checks the address and the password the way
	// authapi's sign-up does and stores the "email" attribute it reads.
	u, err := authapi.CreateUser(r.Context(), a.auth, authapi.NewUser{
		Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password"),
	})
	if errors.Is(err, latch.ErrDuplicateKeyID) {
		return errors.New("that address has an account: sign in")
	}
	if err != nil {
		return err
	}
	return a.startSession(w, r, u.ID)
}

func (a *App) signIn(w http.ResponseWriter, r *http.Request) error {
	pw := r.PostForm.Get("password")
	// The core normalises email keys: "Ada@Example.com" finds ada@example.com.
	key, err := a.auth.UseKey(r.Context(), "email", r.PostForm.Get("email"), &pw)
	if errors.Is(err, latch.ErrInvalidKeyID) || errors.Is(err, latch.ErrInvalidPassword) {
		return errors.New("wrong email or password")
	}
	if err != nil {
		return err
	}
	return a.startSession(w, r, key.UserID)
}

func (a *App) signOut(w http.ResponseWriter, r *http.Request) error {
	if s, ok := httpauth.FromContext(r.Context()); ok {
		// The id, not the token: InvalidateSession(ctx, s.Token) is an
		// error (latch.ErrSessionTokenGiven); InvalidateSessionToken takes one.
		if err := a.auth.InvalidateSession(r.Context(), s.ID); err != nil {
			return err
		}
	}
	a.sessions.ClearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// sendMagicLink mails a sign-in link to an existing account; the answer
// is the same whether or not the address has one.
func (a *App) sendMagicLink(w http.ResponseWriter, r *http.Request) error {
	email := latch.NormalizeEmailKey(r.PostForm.Get("email"))
	if key, err := a.auth.GetKey(r.Context(), "email", email); err == nil {
		tok, err := a.magic.Issue(r.Context(), key.UserID)
		if err != nil {
			return err
		}
		m := a.mails.MagicLink(email, "/magic/"+tok.String(), tok.ExpiresAt.Sub(a.auth.Now()))
		if err := a.mailer.Send(r.Context(), m); err != nil {
			return fmt.Errorf("sending the link: %w", err)
		}
	}
	fmt.Fprintln(w, "If that address has an account, a link is on its way.")
	return nil
}

// magicPage shows one button: mail scanners that open links do not sign in.
func (a *App) magicPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = pages.ExecuteTemplate(w, "magic", nil)
}

func (a *App) useMagicLink(w http.ResponseWriter, r *http.Request) error {
	tok, err := a.magic.Validate(r.Context(), r.PathValue("token")) // single use
	if err != nil {
		return errors.New("this link is used or expired: ask for a new one")
	}
	return a.startSession(w, r, tok.UserID)
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	s, _ := httpauth.FromContext(r.Context())
	_ = pages.ExecuteTemplate(w, "dashboard", s.User.Attributes.String("email"))
}
