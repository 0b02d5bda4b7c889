package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/latchauth/latch"
)

// testTx checks latch.Transactor on stores that implement it (one store
// serving everything): commit, rollback on error and on panic, reads of the
// transaction's own writes, a consumed token coming back on rollback,
// nesting, and concurrent transactions taking one token.
func testTx(t *testing.T, open Open) {
	// txOf returns the fixture and its Transactor, or skips.
	txOf := func(t *testing.T) (*fixture, latch.Transactor) {
		f := setup(t, open)
		f.needTokens()
		tr, ok := f.Users.(latch.Transactor)
		if !ok || !sameBackend(f.Users, f.Sessions) || !sameBackend(f.Users, f.Tokens) {
			t.Skip("no single store implementing latch.Transactor")
		}
		return f, tr
	}
	errBoom := errors.New("boom")

	// writeAll writes a user with a key, a session and a token in ctx.
	writeAll := func(t *testing.T, f *fixture, ctx context.Context) (latch.KeyRecord, latch.SessionRecord, latch.TokenRecord) {
		t.Helper()
		u := newID(t, "u")
		k := latch.KeyRecord{ID: newKeyID(t), UserID: u}
		must(t, "CreateUser in tx", f.Users.CreateUser(ctx, latch.UserRecord{ID: u, Attributes: latch.Attributes{"n": int64(1)}}, &k))
		s := latch.SessionRecord{ID: newSessionID(t), UserID: u, ActiveExpires: baseMS, IdleExpires: baseMS + hour}
		must(t, "CreateSession in tx", f.Sessions.CreateSession(ctx, s))
		tok := latch.TokenRecord{ID: newTokenID(t), Kind: "tx", UserID: u, Expires: baseMS}
		must(t, "PutToken in tx", f.Tokens.PutToken(ctx, tok))
		must(t, "UpdateUserAttributes in tx", f.Users.UpdateUserAttributes(ctx, u, latch.Attributes{"n": int64(2)}))
		// The transaction reads its own writes.
		got, err := f.Users.GetUser(ctx, u)
		must(t, "GetUser in tx", err)
		if got.Attributes["n"] != int64(2) {
			t.Fatalf("GetUser in tx: n = %v, want 2", got.Attributes["n"])
		}
		_, err = f.Tokens.GetToken(ctx, tok.Kind, tok.ID)
		must(t, "GetToken in tx", err)
		return k, s, tok
	}
	// gone checks that none of the writes exist outside.
	gone := func(t *testing.T, f *fixture, k latch.KeyRecord, s latch.SessionRecord, tok latch.TokenRecord) {
		t.Helper()
		_, err := f.Users.GetUser(f.ctx, k.UserID)
		wantNotFound(t, "GetUser after rollback", err)
		_, err = f.Keys.GetKey(f.ctx, k.ID)
		wantNotFound(t, "GetKey after rollback", err)
		_, err = f.Sessions.GetSession(f.ctx, s.ID)
		wantNotFound(t, "GetSession after rollback", err)
		_, err = f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		wantNotFound(t, "GetToken after rollback", err)
	}

	t.Run("commit", func(t *testing.T) {
		f, tr := txOf(t)
		var k latch.KeyRecord
		var s latch.SessionRecord
		var tok latch.TokenRecord
		must(t, "InTx", tr.InTx(f.ctx, func(ctx context.Context) error {
			k, s, tok = writeAll(t, f, ctx)
			return nil
		}))
		got, err := f.Users.GetUser(f.ctx, k.UserID)
		must(t, "GetUser after commit", err)
		if got.Attributes["n"] != int64(2) {
			t.Errorf("after commit: n = %v, want 2", got.Attributes["n"])
		}
		_, err = f.Keys.GetKey(f.ctx, k.ID)
		must(t, "GetKey after commit", err)
		_, err = f.Sessions.GetSession(f.ctx, s.ID)
		must(t, "GetSession after commit", err)
		_, err = f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		must(t, "GetToken after commit", err)
	})

	t.Run("rollback-on-error", func(t *testing.T) {
		f, tr := txOf(t)
		var k latch.KeyRecord
		var s latch.SessionRecord
		var tok latch.TokenRecord
		err := tr.InTx(f.ctx, func(ctx context.Context) error {
			k, s, tok = writeAll(t, f, ctx)
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx = %v, want fn's error", err)
		}
		gone(t, f, k, s, tok)
	})

	t.Run("rollback-on-panic", func(t *testing.T) {
		f, tr := txOf(t)
		var k latch.KeyRecord
		var s latch.SessionRecord
		var tok latch.TokenRecord
		func() {
			defer func() {
				if p := recover(); p != errBoom {
					t.Fatalf("recovered %v, want fn's panic", p)
				}
			}()
			_ = tr.InTx(f.ctx, func(ctx context.Context) error {
				k, s, tok = writeAll(t, f, ctx)
				panic(errBoom)
			})
		}()
		gone(t, f, k, s, tok)
		// The store still works afterwards (the connection was released).
		f.user(nil)
	})

	t.Run("failed-statement-rolls-back-earlier-ones", func(t *testing.T) {
		f, tr := txOf(t)
		u := f.user(latch.Attributes{"v": "old"})
		taken := f.key(u, nil)
		err := tr.InTx(f.ctx, func(ctx context.Context) error {
			if err := f.Users.UpdateUserAttributes(ctx, u, latch.Attributes{"v": "new"}); err != nil {
				return err
			}
			return f.Keys.CreateKey(ctx, latch.KeyRecord{ID: taken.ID, UserID: u}) // duplicate
		})
		wantErr(t, "InTx with a duplicate key", err, latch.ErrDuplicate)
		got, err := f.Users.GetUser(f.ctx, u)
		must(t, "GetUser", err)
		if got.Attributes["v"] != "old" {
			t.Errorf("attribute update survived the rollback: %v", got.Attributes["v"])
		}
	})

	t.Run("taken-token-returns-on-rollback", func(t *testing.T) {
		f, tr := txOf(t)
		u := f.user(nil)
		tok := f.token(u, "tx", baseMS)
		err := tr.InTx(f.ctx, func(ctx context.Context) error {
			if _, err := f.Tokens.TakeToken(ctx, tok.Kind, tok.ID, ""); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx = %v", err)
		}
		_, err = f.Tokens.GetToken(f.ctx, tok.Kind, tok.ID)
		must(t, "GetToken after a rolled-back take", err)
	})

	t.Run("nested-joins", func(t *testing.T) {
		f, tr := txOf(t)
		u := newID(t, "u")
		err := tr.InTx(f.ctx, func(ctx context.Context) error {
			if err := tr.InTx(ctx, func(ctx context.Context) error {
				return f.Users.CreateUser(ctx, latch.UserRecord{ID: u}, nil)
			}); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx = %v", err)
		}
		_, err = f.Users.GetUser(f.ctx, u)
		wantNotFound(t, "GetUser after the outer rollback", err)
	})

	t.Run("concurrent-take", func(t *testing.T) {
		f, tr := txOf(t)
		u := f.user(nil)
		tok := f.token(u, "tx", baseMS)
		const n = 20
		var wg sync.WaitGroup
		wins := make(chan struct{}, n)
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				err := tr.InTx(f.ctx, func(ctx context.Context) error {
					if _, err := f.Tokens.TakeToken(ctx, tok.Kind, tok.ID, u); err != nil {
						return err
					}
					// More writes after the take, as a password reset does.
					return f.Sessions.DeleteSessionsByUser(ctx, u)
				})
				switch {
				case err == nil:
					wins <- struct{}{}
				case !errors.Is(err, latch.ErrNotFound):
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent InTx: %v", err)
		}
		if len(wins) != 1 {
			t.Errorf("%d transactions took the token, want exactly 1", len(wins))
		}
	})
}
