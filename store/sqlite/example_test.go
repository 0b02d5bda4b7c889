package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "latch-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(filepath.Join(dir, "latch.db"))
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
		UserID:     "ada",
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

	// What a request handler does with the token from the cookie.
	valid, err := auth.ValidateSession(ctx, session.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(valid.User.ID, valid.User.Attributes.String("email"), valid.State)
	// Output: ada ada@example.com active
}
