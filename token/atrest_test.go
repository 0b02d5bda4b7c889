package token_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

// TestAtRestSQLite reads the raw rows with SQL: a token's row holds the
// SHA-256 digest of its value, never the value, and a one-time token's row
// never holds the session token.
func TestAtRestSQLite(t *testing.T) {
	t.Parallel()
	store := openSQLite(t)
	e := newEnv(t, store)
	h := newHandlers(t, e)
	u := e.user()
	sess := e.session(u)
	issued := map[string]token.Token{
		"link":           must(h.ids.Issue(e.ctx, u))(t, "IDTokens.Issue"),
		"code":           must(h.codes.Issue(e.ctx, u))(t, "PasswordTokens.Issue"),
		"ott":            must(h.ott.Generate(e.ctx, sess))(t, "OneTimeTokens.Generate"),
		"password-reset": must(h.resets.Issue(e.ctx, u))(t, "PasswordResets.Issue"),
	}
	for kind, tok := range issued {
		rows, err := store.DB().QueryContext(e.ctx, "SELECT id, user_id, session_id, data FROM latch_token WHERE kind = ?", kind)
		noErr(t, "SELECT", err)
		n := 0
		for rows.Next() {
			n++
			var id, userID, sessionID string
			var data []byte
			noErr(t, "Scan", rows.Scan(&id, &userID, &sessionID, &data))
			if id != latch.HashToken(tok.String()) || len(id) != 64 {
				t.Errorf("%s: stored id %q, want the hex SHA-256 of the value", kind, id)
			}
			for col, v := range map[string][]byte{"id": []byte(id), "user_id": []byte(userID), "session_id": []byte(sessionID), "data": data} {
				if bytes.Contains(v, []byte(tok.String())) {
					t.Errorf("%s: column %s holds the token value", kind, col)
				}
				if bytes.Contains(v, []byte(sess.Token)) {
					t.Errorf("%s: column %s holds the session token", kind, col)
				}
			}
		}
		noErr(t, "rows", rows.Err())
		rows.Close()
		if n != 1 {
			t.Errorf("%s: %d rows, want 1", kind, n)
		}
	}
	// The plain option stores the value, as documented.
	plain := must(token.NewIDTokens(e.auth, "plain", token.IDTokenOptions{ExpiresIn: time.Hour, Storage: token.Plain}))(t, "NewIDTokens")
	tok := must(plain.Issue(e.ctx, u))(t, "Issue")
	var id string
	noErr(t, "SELECT", store.DB().QueryRowContext(e.ctx, "SELECT id FROM latch_token WHERE kind = ?", "plain").Scan(&id))
	if id != tok.String() {
		t.Errorf("plain storage: stored id %q, want the value %q", id, tok)
	}
}
