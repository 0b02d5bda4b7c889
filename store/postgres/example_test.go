package postgres_test

import (
	"context"
	"fmt"
	"log"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
)

// Open a pool, migrate, and validate a session as a request handler would.
// (Not run by go test: it needs a server. TestConformance runs the same
// calls against the test server.)
func Example() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, "postgres://app@127.0.0.1:5432/app?sslmode=disable")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	auth, err := latch.New(latch.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	user, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: "github", ProviderUserID: "1815"},
		Attributes: latch.Attributes{"email": "ada@example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	session, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: user.ID})
	if err != nil {
		log.Fatal(err)
	}

	// What a request handler does with the token from the cookie: one
	// query, a join of the session and its user.
	valid, err := auth.ValidateSession(ctx, session.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(valid.User.Attributes.String("email"), valid.State)
}
