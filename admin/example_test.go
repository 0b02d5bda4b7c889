package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/admin"
	"github.com/latchauth/latch/store/memory"
)

// The admin API on its own listener; every request carries the token.
func Example() {
	auth, _ := latch.New(latch.Config{Store: memory.New()})
	h, err := admin.New(admin.Config{Auth: auth, Tokens: []admin.Token{{Name: "ops", Value: adminToken}}})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h) // latchd: a loopback --admin-addr
	defer srv.Close()

	u, _ := auth.CreateUser(context.Background(), latch.CreateUserOptions{Attributes: latch.Attributes{"email": "ada@example.com"}})
	req, _ := http.NewRequest("POST", srv.URL+"/api/admin/users/"+u.ID+"/disable", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	got, _ := auth.GetUser(context.Background(), u.ID)
	fmt.Println(res.StatusCode, got.Disabled())
	// Output: 200 true
}
