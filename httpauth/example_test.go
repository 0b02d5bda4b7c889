package httpauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpauth"
	"github.com/latchauth/latch/store/memory"
)

// The middleware in front of a mux: a public route, a route that requires
// a session, and clients signed in by bearer token, by cookie, or not at all.
func Example() {
	ctx := context.Background()
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		panic(err)
	}
	sessions, err := httpauth.New(auth, httpauth.Options{})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		if s, ok := httpauth.FromContext(r.Context()); ok {
			fmt.Fprintf(w, "hello, %s\n", s.User.Attributes.String("name"))
			return
		}
		fmt.Fprintln(w, "hello, stranger")
	})
	mux.Handle("POST /notes", sessions.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpauth.WriteJSON(w, http.StatusCreated, map[string]string{"saved": "yes"})
	})))
	srv := httptest.NewServer(sessions.Middleware(mux))
	defer srv.Close()

	user, err := auth.CreateUser(ctx, latch.CreateUserOptions{Attributes: latch.Attributes{"name": "Ada"}})
	if err != nil {
		panic(err)
	}
	session, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID})
	if err != nil {
		panic(err)
	}

	send := func(method, path string, header ...string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		fmt.Printf("%s %s: %d %s\n", method, path, res.StatusCode, strings.TrimSpace(string(body)))
	}
	send("GET", "/hello")
	send("GET", "/hello", "Authorization", "Bearer "+session.Token)
	send("POST", "/notes")
	send("POST", "/notes", "Authorization", "Bearer "+session.Token)
	cookie := "auth_session=" + session.Token
	send("POST", "/notes", "Cookie", cookie, "Origin", "https://evil.example")
	send("POST", "/notes", "Cookie", cookie, "Origin", srv.URL)
	// Output:
	// GET /hello: 200 hello, stranger
	// GET /hello: 200 hello, Ada
	// POST /notes: 401 {"error":{"code":"UNAUTHORIZED","message":"sign in to continue"}}
	// POST /notes: 201 {"saved":"yes"}
	// POST /notes: 403 {"error":{"code":"INVALID_ORIGIN","message":"this request must come from a page of this site (Origin check failed)"}}
	// POST /notes: 201 {"saved":"yes"}
}

// A handler reads the signed-in user into the application's own type.
func ExampleFromContext_decodeAttributes() {
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		panic(err)
	}
	sessions, err := httpauth.New(auth, httpauth.Options{})
	if err != nil {
		panic(err)
	}
	type account struct {
		Email string `latch:"email"`
		Admin bool   `latch:"is_admin"`
	}
	h := sessions.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := httpauth.FromContext(r.Context())
		var a account
		if err := s.User.DecodeAttributes(&a); err != nil {
			http.Error(w, "bad account data", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s admin=%v", a.Email, a.Admin)
	}))

	ctx := context.Background()
	user, err := auth.CreateUser(ctx, latch.CreateUserOptions{Attributes: latch.Attributes{"email": "ada@example.com", "is_admin": true}})
	if err != nil {
		panic(err)
	}
	session, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID})
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+session.Token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: ada@example.com admin=true
}
