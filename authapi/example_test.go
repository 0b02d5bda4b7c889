package authapi_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
)

func Example() {
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	h, err := authapi.New(authapi.Config{
		Auth:    auth,
		BaseURL: "http://" + srv.Listener.Addr().String(),
		Dev:     true, // mail goes to the dev outbox
	})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(context.Background()) // waits for queued mail
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()

	res, err := srv.Client().Post(srv.URL+"/api/auth/sign-up", "application/json",
		strings.NewReader(`{"email":"Ada@Example.com","password":"correct horse battery"}`))
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println(res.Status)
	// Output: 201 Created
}

func ExampleNormalizeEmail() {
	for _, s := range []string{" Ada@Example.COM ", "élodie@xn--exmple-cua.com", "p\u0430ypal@example.com"} {
		e, err := authapi.NormalizeEmail(s)
		fmt.Printf("%q %v\n", e, err)
	}
	// Output:
	// "ada@example.com" <nil>
	// "élodie@exämple.com" <nil>
	// "" invalid email address
}
