package webhook_test

import (
	"fmt"
	"strconv"
	"time"

	"github.com/latchauth/latch/webhook"
)

// A receiver checks a webhook with Verify: the headers' values, the body
// as received, and the secrets it trusts (two during a rotation).
func ExampleVerify() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // from latchd webhook secret
	body := []byte(`{"type":"user.created","timestamp":"2026-12-05T01:02:03Z","data":{"userId":"u1"}}`)
	now := time.Unix(1764896523, 0)
	sig, _ := webhook.Sign([]string{secret}, "evt_1", now, body) // what latchd sends

	err := webhook.Verify([]string{secret}, "evt_1", strconv.FormatInt(now.Unix(), 10), sig, body, now, 0)
	fmt.Println(err)
	err = webhook.Verify([]string{secret}, "evt_1", strconv.FormatInt(now.Unix(), 10), sig, []byte(`{}`), now, 0)
	fmt.Println(err)
	// Output:
	// <nil>
	// webhook: no valid signature
}
