package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

// A memory store behind latch.Auth: sign up, sign in, validate the session.
func Example() {
	ctx := context.Background()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		panic(err)
	}
	pw := "correct horse battery staple"
	user, err := auth.CreateUser(ctx, latch.CreateUserOptions{
		Key:        &latch.KeyOptions{ProviderID: "email", ProviderUserID: "ada@example.com", Password: &pw},
		Attributes: latch.Attributes{"email": "ada@example.com"},
	})
	if err != nil {
		panic(err)
	}
	wrong := "guess"
	_, err = auth.UseKey(ctx, "email", "ada@example.com", &wrong)
	fmt.Println("wrong password:", errors.Is(err, latch.ErrInvalidPassword))

	key, err := auth.UseKey(ctx, "email", "ada@example.com", &pw)
	if err != nil {
		panic(err)
	}
	session, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: key.UserID})
	if err != nil {
		panic(err)
	}
	s, err := auth.ValidateSession(ctx, session.Token)
	if err != nil {
		panic(err)
	}
	fmt.Println("same user:", s.User.ID == user.ID, s.User.Attributes.String("email"))
	// Output:
	// wrong password: true
	// same user: true ada@example.com
}
