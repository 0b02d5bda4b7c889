package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/latchauth/latch"
)

// TestInTxCallIsAtomic: inside InTx, a CreateUser whose key is refused
// leaves no user behind, and the transaction's other writes still commit.
func TestInTxCallIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	must(t, s.CreateUser(ctx, latch.UserRecord{ID: "owner"}, &latch.KeyRecord{ID: "email:taken", UserID: "owner"}))
	err := s.InTx(ctx, func(ctx context.Context) error {
		must(t, s.CreateUser(ctx, latch.UserRecord{ID: "before"}, nil))
		err := s.CreateUser(ctx, latch.UserRecord{ID: "intruder"}, &latch.KeyRecord{ID: "email:taken", UserID: "intruder"})
		if !errors.Is(err, latch.ErrDuplicate) {
			t.Errorf("CreateUser with a taken key in InTx = %v, want ErrDuplicate", err)
		}
		if _, err := s.GetUser(ctx, "intruder"); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("GetUser of the refused user inside InTx = %v, want ErrNotFound", err)
		}
		_, err = s.TakeToken(ctx, "k", "missing", "")
		if !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("TakeToken of a missing token in InTx = %v, want ErrNotFound", err)
		}
		return s.CreateUser(ctx, latch.UserRecord{ID: "after"}, nil)
	})
	must(t, err)
	for id, want := range map[string]error{"before": nil, "after": nil, "intruder": latch.ErrNotFound} {
		if _, err := s.GetUser(ctx, id); !errors.Is(err, want) {
			t.Errorf("GetUser(%s) after InTx = %v, want %v", id, err, want)
		}
	}
}

// TestInTxDeadlock: two transactions lock two users in opposite orders.
// The server rolls one back; even when its fn ignores the error, its InTx
// fails and none of its writes remain. The other commits.
func TestInTxDeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	for _, u := range []string{"u1", "u2"} {
		must(t, s.CreateUser(ctx, latch.UserRecord{ID: u}, nil))
	}
	var (
		locked sync.WaitGroup
		wg     sync.WaitGroup
		errs   [2]error
	)
	locked.Add(2)
	order := [2][2]string{{"u1", "u2"}, {"u2", "u1"}}
	for i := range 2 {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(ctx context.Context) error {
				first, second := order[i][0], order[i][1]
				err := s.UpdateUserAttributes(ctx, first, latch.Attributes{"by": int64(i)})
				locked.Done()
				if err != nil {
					return err
				}
				locked.Wait()
				_ = s.UpdateUserAttributes(ctx, second, latch.Attributes{"by": int64(i)}) // ignored on purpose
				return s.CreateUser(ctx, latch.UserRecord{ID: fmt.Sprint("after", i)}, nil)
			})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			winner = i
		case errors.Is(err, latch.ErrNotFound) || errors.Is(err, latch.ErrDuplicate):
			t.Errorf("InTx #%d = %v, want a deadlock error", i, err)
		}
	}
	if winner < 0 || errs[1-winner] == nil {
		t.Fatalf("InTx results %v, want exactly one to fail", errs)
	}
	loser := 1 - winner
	if _, err := s.GetUser(ctx, fmt.Sprint("after", loser)); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("the failed transaction's later write exists (err %v)", err)
	}
	if _, err := s.GetUser(ctx, fmt.Sprint("after", winner)); err != nil {
		t.Errorf("the committed transaction's write: %v", err)
	}
	for _, u := range []string{"u1", "u2"} {
		got, err := s.GetUser(ctx, u)
		must(t, err)
		if got.Attributes.Int("by") != int64(winner) {
			t.Errorf("%s: by = %v, want %d (the winner's)", u, got.Attributes["by"], winner)
		}
	}
}
