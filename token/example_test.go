package token_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/token"
)

// exampleAuth returns an Auth on the memory store whose clock stands still
// at noon, 1 June 2026, and a user of it.
func exampleAuth() (*latch.Auth, latch.User) {
	noon := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	auth, err := latch.New(latch.Config{Store: memory.New(), Now: func() time.Time { return noon }})
	if err != nil {
		log.Fatal(err)
	}
	user, err := auth.CreateUser(context.Background(), latch.CreateUserOptions{UserID: "ada"})
	if err != nil {
		log.Fatal(err)
	}
	return auth, user
}

// An email verification link: issue a token, mail a link holding it, and
// validate the token when the link is opened. Validation consumes it.
func Example() {
	auth, user := exampleAuth()
	ctx := context.Background()

	verification, err := token.NewIDTokens(auth, "email-verification", token.IDTokenOptions{ExpiresIn: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := verification.Issue(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	link := "https://example.com/verify/" + tok.String() // mail it

	// The link is opened.
	value := link[len("https://example.com/verify/"):]
	got, err := verification.Validate(ctx, value)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", got.UserID)

	// A second click finds nothing.
	_, err = verification.Validate(ctx, value)
	fmt.Println(errors.Is(err, token.ErrInvalidToken))
	// Output:
	// verified: ada
	// true
}

func ExampleIDTokens() {
	auth, user := exampleAuth()
	ctx := context.Background()
	magicLinks, err := token.NewIDTokens(auth, "magic-link", token.IDTokenOptions{ExpiresIn: 15 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}

	tok, err := magicLinks.Issue(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Kind, tok.UserID, len(tok.String()), tok.ExpiresAt.Format(time.TimeOnly), tok.Expired())

	switch valid, err := magicLinks.Validate(ctx, tok.String()); {
	case errors.Is(err, token.ErrInvalidToken):
		fmt.Println("unknown or used link")
	case errors.Is(err, token.ErrExpiredToken):
		fmt.Println("expired link: ask for a new one")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("sign in", valid.UserID)
	}
	// Output:
	// magic-link ada 43 12:15:00 false
	// sign in ada
}

func ExampleIDTokens_GetAllUserTokens() {
	auth, user := exampleAuth()
	ctx := context.Background()
	// Plain storage keeps the values, so that they can be listed; the
	// default (hashed) storage lists tokens without them.
	links, err := token.NewIDTokens(auth, "email-verification", token.IDTokenOptions{ExpiresIn: time.Hour, Storage: token.Plain})
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := links.Issue(ctx, user.ID)

	tokens, err := links.GetAllUserTokens(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range tokens {
		fmt.Println(t.UserID, t.ExpiresAt.Format(time.TimeOnly), t.Expired(), t.String() == tok.String())
	}
	// Output: ada 13:00:00 false true
}

func ExampleIDTokens_Invalidate() {
	auth, user := exampleAuth()
	ctx := context.Background()
	links, err := token.NewIDTokens(auth, "email-verification", token.IDTokenOptions{ExpiresIn: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := links.Issue(ctx, user.ID)
	links.Issue(ctx, user.ID)

	if err := links.Invalidate(ctx, tok.String()); err != nil {
		log.Fatal(err)
	}
	_, err = links.Validate(ctx, tok.String())
	fmt.Println(errors.Is(err, token.ErrInvalidToken))

	// The user's email changed: every outstanding link goes.
	if err := links.InvalidateAllUserTokens(ctx, user.ID); err != nil {
		log.Fatal(err)
	}
	tokens, _ := links.GetAllUserTokens(ctx, user.ID)
	fmt.Println(len(tokens))
	// Output:
	// true
	// 0
}

// A code mailed to the user and typed in: bound to the user, and limited to
// MaxAttempts tries.
func ExamplePasswordTokens() {
	auth, user := exampleAuth()
	ctx := context.Background()
	codes, err := token.NewPasswordTokens(auth, "email-code", token.PasswordTokenOptions{ExpiresIn: 10 * time.Minute, MaxAttempts: 3})
	if err != nil {
		log.Fatal(err)
	}
	code, err := codes.Issue(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(code.String()), "digits")

	_, err = codes.Validate(ctx, "not-the-code", user.ID)
	fmt.Println(errors.Is(err, token.ErrInvalidToken))

	valid, err := codes.Validate(ctx, code.String(), user.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", valid.UserID)
	// Output:
	// 8 digits
	// true
	// verified: ada
}

func ExamplePasswordTokens_Validate_tooManyAttempts() {
	auth, user := exampleAuth()
	ctx := context.Background()
	codes, err := token.NewPasswordTokens(auth, "email-code", token.PasswordTokenOptions{ExpiresIn: 10 * time.Minute, MaxAttempts: 3})
	if err != nil {
		log.Fatal(err)
	}
	code, _ := codes.Issue(ctx, user.ID)
	for _, guess := range []string{"00000000x", "11111111x", "22222222x", code.String()} {
		_, err := codes.Validate(ctx, guess, user.ID)
		fmt.Println(err)
	}
	// A new code restores the tries.
	code, _ = codes.Issue(ctx, user.ID)
	_, err = codes.Validate(ctx, code.String(), user.ID)
	fmt.Println(err)
	// Output:
	// token: email-code: validate: TOKEN_INVALID: invalid token
	// token: email-code: validate: TOKEN_INVALID: invalid token
	// token: email-code: validate: TOKEN_TOO_MANY_ATTEMPTS: too many attempts
	// token: email-code: validate: TOKEN_TOO_MANY_ATTEMPTS: too many attempts
	// <nil>
}

func ExamplePasswordTokens_GetAllUserTokens() {
	auth, user := exampleAuth()
	ctx := context.Background()
	codes, err := token.NewPasswordTokens(auth, "email-code", token.PasswordTokenOptions{ExpiresIn: 10 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	codes.Issue(ctx, user.ID)
	tokens, err := codes.GetAllUserTokens(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	// Hashed storage: the code itself is not kept, so it is not listed.
	fmt.Printf("%d open, expires %s, value %q\n", len(tokens), tokens[0].ExpiresAt.Format(time.TimeOnly), tokens[0].String())

	if err := codes.InvalidateAllUserTokens(ctx, user.ID); err != nil {
		log.Fatal(err)
	}
	tokens, _ = codes.GetAllUserTokens(ctx, user.ID)
	fmt.Println(len(tokens), "open")
	// Output:
	// 1 open, expires 12:10:00, value ""
	// 0 open
}

// Handing a signed-in session over to another domain or app: the signed-in
// side generates a one-time token, the other side verifies it and gets the
// session (and its token, to set as a cookie).
func ExampleOneTimeTokens() {
	auth, user := exampleAuth()
	ctx := context.Background()
	handoff, err := token.NewOneTimeTokens(auth, "one-time", token.OneTimeTokenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	session, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID})
	if err != nil {
		log.Fatal(err)
	}

	// GET /api/auth/one-time-token/generate, signed in.
	ott, err := handoff.Generate(ctx, session)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(ott.String()), "characters, expires", ott.ExpiresAt.Format(time.TimeOnly))

	// POST /api/auth/one-time-token/verify, elsewhere.
	got, err := handoff.Verify(ctx, ott.String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.User.ID, got.ID == session.ID, got.Token == session.Token)

	_, err = handoff.Verify(ctx, ott.String())
	fmt.Println(errors.Is(err, token.ErrInvalidToken))
	// Output:
	// 32 characters, expires 12:03:00
	// ada true true
	// true
}

// The password-reset flow of Lucia's guide: issue a link (limited per user),
// validate it, then change the password, sign out everywhere and sign in.
func ExamplePasswordResets() {
	auth, _ := exampleAuth()
	ctx := context.Background()
	pw := "old password"
	user, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "grace@example.com", Password: &pw},
	})
	if err != nil {
		log.Fatal(err)
	}
	resets, err := token.NewPasswordResets(auth, token.PasswordResetOptions{})
	if err != nil {
		log.Fatal(err)
	}

	// POST /password-reset {email}: look the user up by key, mail a link.
	key, err := auth.GetKey(ctx, "email", "grace@example.com")
	if err != nil {
		log.Fatal(err)
	}
	tok, err := resets.Issue(ctx, key.UserID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("link expires", tok.ExpiresAt.Format(time.TimeOnly))

	// POST /password-reset/{token} {password}.
	valid, err := resets.Validate(ctx, tok.String())
	if err != nil {
		log.Fatal(err)
	}
	newPassword := "new password"
	if err := auth.InvalidateAllUserSessions(ctx, valid.UserID); err != nil {
		log.Fatal(err)
	}
	if _, err := auth.UpdateKeyPassword(ctx, "email", "grace@example.com", &newPassword); err != nil {
		log.Fatal(err)
	}
	if err := resets.InvalidateAllUserTokens(ctx, valid.UserID); err != nil {
		log.Fatal(err)
	}
	session, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: valid.UserID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(session.UserID == user.ID)

	// The limit: 3 links per user in 15 minutes by default.
	for range 3 {
		_, err = resets.Issue(ctx, user.ID)
	}
	fmt.Println(errors.Is(err, token.ErrTooManyRequests))
	// Output:
	// link expires 14:00:00
	// true
	// true
}

func ExampleDeleteExpired() {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	auth, err := latch.New(latch.Config{Store: memory.New(), Now: func() time.Time { return now }})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	user, _ := auth.CreateUser(ctx, latch.CreateUserOptions{})
	links, _ := token.NewIDTokens(auth, "magic-link", token.IDTokenOptions{ExpiresIn: 15 * time.Minute})
	links.Issue(ctx, user.ID)
	links.Issue(ctx, user.ID)

	now = now.Add(time.Hour)
	n, err := token.DeleteExpired(ctx, auth)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "expired tokens removed")
	// Output: 2 expired tokens removed
}
