package token_test

import (
	"testing"
	"time"

	"github.com/latchauth/latch/token"
)

// TestIDTokenData: the payload comes back with the token, once; an expired
// token gives no payload.
func TestIDTokenData(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ids := must(token.NewIDTokens(e.auth, "with-data", token.IDTokenOptions{ExpiresIn: time.Minute}))(t, "NewIDTokens")
		u := e.user()
		tok := must(ids.IssueWithData(e.ctx, u, []byte("new@example.com")))(t, "IssueWithData")
		got, data, err := ids.ValidateWithData(e.ctx, tok.String())
		if err != nil || got.UserID != u || string(data) != "new@example.com" {
			t.Fatalf("ValidateWithData = %+v, %q, %v", got, data, err)
		}
		_, _, err = ids.ValidateWithData(e.ctx, tok.String())
		wantErr(t, "second ValidateWithData", err, token.ErrInvalidToken)
		old := must(ids.IssueWithData(e.ctx, u, []byte("x")))(t, "IssueWithData")
		e.clock.Add(time.Minute)
		_, data, err = ids.ValidateWithData(e.ctx, old.String())
		wantErr(t, "ValidateWithData of an expired token", err, token.ErrExpiredToken)
		if data != nil {
			t.Errorf("payload of an expired token: %q", data)
		}
	})
}
