package throttle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/latchauth/latch/throttle"
)

// A sign-in handler checks the limiter before verifying a password, counts
// a failure when the password is wrong, and resets the key on success.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	signIn, err := throttle.New(throttle.NewMemoryStore(clock), throttle.Options{Free: 3, Prefix: "signin:"})
	if err != nil {
		panic(err)
	}
	for attempt := 1; attempt <= 6; attempt++ {
		if wait, _ := signIn.Check(ctx, "ada@example.com"); wait > 0 {
			fmt.Printf("attempt %d: locked, retry after %v\n", attempt, wait)
			now = now.Add(wait) // the client waits
		}
		_ = signIn.Fail(ctx, "ada@example.com") // wrong password
	}
	_ = signIn.Reset(ctx, "ada@example.com") // right password at last
	wait, _ := signIn.Check(ctx, "ada@example.com")
	fmt.Println("after a success:", wait)
	// Output:
	// attempt 5: locked, retry after 1s
	// attempt 6: locked, retry after 2s
	// after a success: 0s
}
