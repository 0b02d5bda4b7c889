package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/latchauth/latch"
)

// testActivity checks the ActivityStore contract on whichever of the stores
// implements it (Sessions first: on a split setup the record lives beside
// the sessions; then Users); it is skipped when none does.
func testActivity(t *testing.T, open Open) {
	s := open(t)
	as, ok := s.Sessions.(latch.ActivityStore)
	if !ok {
		if as, ok = s.Users.(latch.ActivityStore); !ok {
			t.Skip("no store implements latch.ActivityStore")
		}
	}
	ctx := t.Context()
	user, other := newID(t, "act"), newID(t, "act")
	for _, id := range []string{user, other} {
		if err := s.Users.CreateUser(ctx, latch.UserRecord{ID: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, withUsers := as.(latch.UserStore); withUsers {
		err := as.AddActivity(ctx, latch.ActivityEvent{ID: "x", UserID: newID(t, "nobody"), Type: "sign-in", At: 1})
		if !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("AddActivity for a missing user: %v, want ErrNotFound", err)
		}
	}
	// Five events: two share a millisecond, so the id breaks the tie.
	ats := []int64{1000, 2000, 2000, 3000, 4000}
	for i, at := range ats {
		e := latch.ActivityEvent{ID: fmt.Sprintf("e%d", i), UserID: user, Type: "sign-in", At: at,
			IP: "192.0.2.1", UserAgent: "Firefox ✓", Detail: fmt.Sprintf("d%d", i)}
		if err := as.AddActivity(ctx, e); err != nil {
			t.Fatalf("AddActivity %d: %v", i, err)
		}
	}
	if err := as.AddActivity(ctx, latch.ActivityEvent{ID: "e0", UserID: user, Type: "x", At: 5}); !errors.Is(err, latch.ErrDuplicate) {
		t.Errorf("AddActivity with a taken id: %v, want ErrDuplicate", err)
	}
	if err := as.AddActivity(ctx, latch.ActivityEvent{ID: "e0", UserID: other, Type: "sign-up", At: 1500}); err != nil {
		t.Fatalf("the same id for another user: %v", err)
	}

	// Pages of two, newest first, follow the (At, ID) cursor.
	want := []string{"e4", "e3", "e2", "e1", "e0"}
	var got []string
	var at int64
	var id string
	for range 4 {
		page, err := as.ListActivity(ctx, user, at, id, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("a page of %d events with limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			got = append(got, e.ID)
		}
		last := page[len(page)-1]
		at, id = last.At, last.ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paged events %v, want %v", got, want)
	}
	all, err := as.ListActivity(ctx, user, 0, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if e := all[0]; e.UserID != user || e.Type != "sign-in" || e.At != 4000 || e.IP != "192.0.2.1" || e.UserAgent != "Firefox ✓" || e.Detail != "d4" {
		t.Errorf("event round trip: %+v", e)
	}

	n, err := as.DeleteActivityBefore(ctx, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 { // e0 of user and of other; the store may hold others' old events too
		t.Errorf("DeleteActivityBefore removed %d, want at least 2", n)
	}
	if all, _ = as.ListActivity(ctx, user, 0, "", 10); len(all) != 4 || all[3].At != 2000 {
		t.Errorf("after the purge: %d events, want 4 from 2000 on", len(all))
	}
	if err := as.DeleteActivity(ctx, user); err != nil {
		t.Fatal(err)
	}
	if all, _ = as.ListActivity(ctx, user, 0, "", 10); len(all) != 0 {
		t.Errorf("after DeleteActivity: %d events", len(all))
	}
}
