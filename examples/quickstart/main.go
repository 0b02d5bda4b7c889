// Command quickstart shows Latch's core on the embedded SQLite store: it
// creates a user with an email and password key in ./latch.db (or the file
// named by -db), signs in with the password, validates the session and
// signs out, printing each step.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

func main() {
	dbPath := flag.String("db", "latch.db", "SQLite database file")
	email := flag.String("email", "ada@example.com", "email of the user to create or sign in")
	pw := flag.String("password", "correct horse battery staple", "the user's password")
	flag.Parse()
	if err := run(context.Background(), *dbPath, strings.ToLower(*email), *pw); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, dbPath, email, pw string) error {
	store, err := sqlite.Open(dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	auth, err := latch.New(latch.Config{Store: store})
	if err != nil {
		return err
	}
	fmt.Printf("database: %s\n", dbPath)

	user, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: email, Password: &pw},
		Attributes: latch.Attributes{"email": email, "email_verified": false},
	})
	switch {
	case errors.Is(err, latch.ErrDuplicateKeyID):
		fmt.Printf("user %s exists already (key email:%s)\n", email, email)
	case err != nil:
		return err
	default:
		fmt.Printf("created user %s with key email:%s\n", user.ID, email)
	}

	wrong := "not the password"
	if _, err := auth.UseKey(ctx, "email", email, &wrong); errors.Is(err, latch.ErrInvalidPassword) {
		fmt.Println("sign-in with a wrong password: refused (AUTH_INVALID_PASSWORD)")
	} else {
		return fmt.Errorf("a wrong password was not refused: %v", err)
	}

	key, err := auth.UseKey(ctx, "email", email, &pw)
	if err != nil {
		return err
	}
	session, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: key.UserID})
	if err != nil {
		return err
	}
	fmt.Printf("signed in: session %s… active until %s, idle until %s\n",
		session.ID[:12], session.ActiveExpires.Format("2006-01-02 15:04 MST"), session.IdleExpires.Format("2006-01-02 15:04 MST"))

	valid, err := auth.ValidateSession(ctx, session.Token)
	if err != nil {
		return err
	}
	fmt.Printf("validated the session token: user %s (%s), state %s\n", valid.User.ID, valid.User.Attributes.String("email"), valid.State)

	if err := auth.InvalidateSession(ctx, session.ID); err != nil {
		return err
	}
	if _, err := auth.ValidateSession(ctx, session.Token); errors.Is(err, latch.ErrInvalidSessionID) {
		fmt.Println("signed out: the token no longer validates (AUTH_INVALID_SESSION_ID)")
	} else {
		return fmt.Errorf("a signed-out session still validates: %v", err)
	}
	sessions, err := auth.GetAllUserSessions(ctx, key.UserID)
	if err != nil {
		return err
	}
	fmt.Printf("the user has %d live session(s) left\n", len(sessions))
	return nil
}
