package redis_test

import (
	"context"
	"log"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/redis"
)

// Sessions and tokens in Redis, users and keys in another store.
func Example() {
	var db latch.Store // a SQL store, say postgres.Open(...)

	sessions, err := redis.Open("redis://127.0.0.1:6379/0", redis.Options{Prefix: "myapp:"})
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()

	auth, err := latch.New(latch.Config{
		Users: db, Keys: db,
		Sessions: sessions, Tokens: sessions,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = auth

	// The same store counts sign-in attempts across processes.
	n, retryAfter, err := sessions.Hit(context.Background(), "sign-in:203.0.113.7", time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	if n > 10 {
		log.Printf("too many attempts; retry in %v", retryAfter)
	}
}
