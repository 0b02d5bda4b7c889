package password_test

import (
	"fmt"

	"github.com/latchauth/latch/password"
)

// A hash written by Lucia v2 verifies as it is.
func ExampleVerify() {
	const luciaHash = "s2:vemnxdz8c5auirhd:a24353c9a5e642465e45ddda9ea25704e278179161434737f08d8ec9181d40fc67fb031db615ac3698202033437d200e29dd33586da65b62950a55e6035582fa"
	ok, err := password.Verify(luciaHash, "correct horse battery staple")
	fmt.Println(ok, err)
	// Output: true <nil>
}

func ExampleArgon2id() {
	h := password.Argon2id{}
	hash, err := h.Hash("correct horse battery staple")
	if err != nil {
		panic(err)
	}
	ok, _ := h.Verify(hash, "correct horse battery staple")
	fmt.Println(ok, h.NeedsRehash(hash))
	// Output: true false
}
