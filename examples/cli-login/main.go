// Command cli-login signs a command-line user in to latchd with the system
// browser, as RFC 8252 describes for native apps: it listens on a loopback
// port, opens the browser at latchd's /cli/authorize with a PKCE challenge
// (RFC 7636, S256) and a random state, receives the single-use code on the
// loopback redirect, exchanges it with its code verifier for a session of
// its own, and calls the API with that session's bearer token.
//
//	go run ./cmd/latchd &
//	go run ./examples/cli-login -server http://localhost:8080
//
// The user signs in in the browser however latchd lets them (password,
// magic link, OAuth) and clicks Allow; the session the program gets is
// listed on their account page, where they can end it.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func main() {
	server := flag.String("server", "http://localhost:8080", "latchd's base URL")
	name := flag.String("name", "cli-login example", "the name the browser shows for this program")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long to wait for the browser")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := login(ctx, *server, *name, openBrowser, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cli-login:", err)
		os.Exit(1)
	}
	fmt.Printf("signed in as %s (user %s)\n", res.Email, res.UserID)
	// A real program would keep res.Token in the user's keychain or a
	// file only they can read, and send it as "Authorization: Bearer".
}

// result is who the program is signed in as, and its bearer token.
type result struct {
	UserID, Email, Token string
}

// login runs the whole flow; open is given the URL to show the user.
func login(ctx context.Context, server, name string, open func(string) error, log io.Writer) (result, error) {
	base, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return result{}, fmt.Errorf("-server %q: want an http(s) URL", server)
	}
	verifier, err := randomString(32)
	if err != nil {
		return result{}, err
	}
	state, err := randomString(16)
	if err != nil {
		return result{}, err
	}

	// The loopback redirect: an IP literal and a port the system picks
	// (RFC 8252 §7.3, §8.3).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, fmt.Errorf("listening on loopback: %w", err)
	}
	redirect := "http://" + ln.Addr().String() + "/callback"
	type answer struct {
		code string
		err  error
	}
	answers := make(chan answer, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var a answer
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			// Not the answer to our request: ignore it, keep waiting.
			http.Error(w, "This sign-in does not belong to the program waiting here.", http.StatusBadRequest)
			return
		case q.Get("error") != "":
			a.err = fmt.Errorf("the sign-in was not allowed (%s)", q.Get("error"))
		case q.Get("code") == "":
			a.err = errors.New("the browser came back without a code")
		default:
			a.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		msg := "You are signed in to the program: you can close this tab."
		if a.err != nil {
			msg = "The program was not signed in: " + a.err.Error()
		}
		fmt.Fprintf(w, "<!doctype html><title>Sign-in</title><p>%s</p>", html.EscapeString(msg))
		select {
		case answers <- a:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// Shutdown, not Close: the browser's request that brought the
		// answer gets its page before the listener goes.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	authorize := base.JoinPath("/cli/authorize")
	authorize.RawQuery = url.Values{
		"redirect_uri": {redirect}, "state": {state}, "client_name": {name},
		"code_challenge": {challengeS256(verifier)}, "code_challenge_method": {"S256"},
	}.Encode()
	fmt.Fprintf(log, "Opening your browser to sign in. If it does not open, go to:\n  %s\n", authorize)
	if err := open(authorize.String()); err != nil {
		fmt.Fprintf(log, "(could not open a browser: %v)\n", err)
	}

	var a answer
	select {
	case a = <-answers:
	case <-ctx.Done():
		return result{}, fmt.Errorf("waiting for the browser: %w", ctx.Err())
	}
	if a.err != nil {
		return result{}, a.err
	}

	// The exchange: the code, the verifier only this program knows, and
	// the same redirect URI.
	var signedIn struct {
		User struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
		Token string `json:"token"`
	}
	body, _ := json.Marshal(map[string]string{"code": a.code, "code_verifier": verifier, "redirect_uri": redirect})
	if err := call(ctx, http.MethodPost, base.JoinPath("/api/auth/cli/token").String(), "", body, &signedIn); err != nil {
		return result{}, fmt.Errorf("exchanging the code: %w", err)
	}
	if signedIn.Token == "" {
		return result{}, errors.New("exchanging the code: no token in the answer")
	}

	// The API, with the bearer token.
	var me struct {
		User struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := call(ctx, http.MethodGet, base.JoinPath("/api/auth/session").String(), signedIn.Token, nil, &me); err != nil {
		return result{}, fmt.Errorf("reading the session: %w", err)
	}
	return result{UserID: me.User.ID, Email: me.User.Email, Token: signedIn.Token}, nil
}

// call sends one API request and decodes the JSON answer into out; an
// error answer becomes an error with its code.
func call(ctx context.Context, method, u, bearer string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return fmt.Errorf("%s: %s %s", resp.Status, e.Error.Code, e.Error.Message)
	}
	return json.Unmarshal(raw, out)
}

// randomString returns n random bytes, base64url: the alphabet of PKCE
// verifiers. 32 bytes give a 43-character verifier.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func challengeS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// openBrowser opens u in the system browser.
func openBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	return cmd.Start()
}
