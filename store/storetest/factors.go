package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
)

// testFactors checks the FactorStore contract on the store that keeps
// users, when it implements it; it is skipped otherwise (Redis keeps no
// users, so no factors).
func testFactors(t *testing.T, open Open) {
	s := open(t)
	fs, ok := s.Users.(latch.FactorStore)
	if !ok {
		t.Skip("the user store does not implement latch.FactorStore")
	}
	ctx := t.Context()
	user, other := newID(t, "fac"), newID(t, "fac")
	for _, id := range []string{user, other} {
		if err := s.Users.CreateUser(ctx, latch.UserRecord{ID: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A passkey's id is a base64url credential id: case matters.
	cred := newID(t, "Cred-_") + "AbC"
	data := []byte{0, 1, 2, 0xff, 'x'} // binary, with a zero byte
	big := bytes.Repeat([]byte{0xab}, latch.MaxFactorDataLength)
	created := []latch.FactorRecord{
		{ID: cred, UserID: user, Kind: latch.FactorPasskey, Name: "YubiKey ✓", Data: data, CreatedAt: 2000},
		{ID: strings.ToLower(cred), UserID: user, Kind: latch.FactorPasskey, Name: "", Data: nil, CreatedAt: 2000},
		{ID: newID(t, "totp"), UserID: user, Kind: latch.FactorTOTP, Name: "Authenticator", Data: big, CreatedAt: 1000},
	}
	for _, f := range created {
		if err := fs.CreateFactor(ctx, f); err != nil {
			t.Fatalf("CreateFactor %q: %v", f.ID, err)
		}
	}
	if err := fs.CreateFactor(ctx, latch.FactorRecord{ID: cred, UserID: other, Kind: latch.FactorPasskey, CreatedAt: 1}); !errors.Is(err, latch.ErrDuplicate) {
		t.Errorf("CreateFactor with a taken id: %v, want ErrDuplicate", err)
	}
	if err := fs.CreateFactor(ctx, latch.FactorRecord{ID: newID(t, "f"), UserID: newID(t, "nobody"), Kind: latch.FactorTOTP, CreatedAt: 1}); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("CreateFactor for a missing user: %v, want ErrNotFound", err)
	}

	got, err := fs.GetFactor(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != user || got.Kind != latch.FactorPasskey || got.Name != "YubiKey ✓" || !bytes.Equal(got.Data, data) || got.CreatedAt != 2000 || got.LastUsedAt != 0 {
		t.Errorf("GetFactor = %+v", got)
	}
	if _, err := fs.GetFactor(ctx, strings.ToUpper(cred)); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("GetFactor with another case: %v, want ErrNotFound (ids are case-sensitive)", err)
	}

	list, err := fs.ListFactors(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range list {
		ids = append(ids, f.ID)
	}
	lower := strings.ToLower(cred)
	want := []string{created[2].ID, min(cred, lower), max(cred, lower)}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("ListFactors = %v, want %v (oldest first, then by id)", ids, want)
	}
	if len(list) == 3 && !bytes.Equal(list[0].Data, big) {
		t.Errorf("a 16 KiB data did not round-trip (%d bytes)", len(list[0].Data))
	}
	if l, err := fs.ListFactors(ctx, other); err != nil || len(l) != 0 {
		t.Errorf("ListFactors of a user without factors = %v, %v", l, err)
	}

	upd := got
	upd.Name, upd.Data, upd.LastUsedAt = "Renamed", []byte("counter=7"), 5000
	upd.Kind, upd.CreatedAt, upd.UserID = "other-kind", 1, other // never change
	if err := fs.UpdateFactor(ctx, upd); err != nil {
		t.Fatal(err)
	}
	got, _ = fs.GetFactor(ctx, cred)
	if got.Name != "Renamed" || string(got.Data) != "counter=7" || got.LastUsedAt != 5000 || got.Kind != latch.FactorPasskey || got.CreatedAt != 2000 || got.UserID != user {
		t.Errorf("after UpdateFactor: %+v", got)
	}
	if err := fs.UpdateFactor(ctx, latch.FactorRecord{ID: newID(t, "missing"), UserID: user, Kind: "totp"}); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("UpdateFactor of a missing factor: %v, want ErrNotFound", err)
	}

	// Concurrent updates of one factor never lose the row.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			f := got
			f.LastUsedAt = int64(6000 + i)
			if err := fs.UpdateFactor(ctx, f); err != nil {
				t.Errorf("concurrent UpdateFactor: %v", err)
			}
		})
	}
	wg.Wait()

	// The longest id, kind and name the core allows are stored whole (a
	// name of 64 four-byte characters is 256 bytes).
	long := latch.FactorRecord{
		ID: newID(t, "long") + strings.Repeat("L", latch.MaxFactorIDLength-20), UserID: other,
		Kind: strings.Repeat("k", 32), Name: strings.Repeat("🔑", latch.MaxFactorNameLength), CreatedAt: 3,
	}
	if err := fs.CreateFactor(ctx, long); err != nil {
		t.Errorf("CreateFactor with the longest id, kind and name: %v", err)
	} else if got, err := fs.GetFactor(ctx, long.ID); err != nil || got.Kind != long.Kind || got.Name != long.Name {
		t.Errorf("the longest id, kind and name came back as %+v, %v", got, err)
	}
	if err := fs.DeleteFactor(ctx, long.ID); err != nil {
		t.Fatal(err)
	}

	if err := fs.DeleteFactor(ctx, lower); err != nil {
		t.Fatal(err)
	}
	if err := fs.DeleteFactor(ctx, newID(t, "missing")); err != nil {
		t.Errorf("DeleteFactor of a missing factor: %v", err)
	}
	if _, err := fs.GetFactor(ctx, lower); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("deleted factor: %v", err)
	}
	if _, err := fs.GetFactor(ctx, cred); err != nil {
		t.Errorf("DeleteFactor removed another factor: %v", err)
	}

	if err := fs.CreateFactor(ctx, latch.FactorRecord{ID: newID(t, "o"), UserID: other, Kind: latch.FactorTOTP, CreatedAt: 1}); err != nil {
		t.Fatal(err)
	}
	if err := fs.DeleteFactorsByUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	if l, _ := fs.ListFactors(ctx, other); len(l) != 0 {
		t.Errorf("after DeleteFactorsByUser: %d factors", len(l))
	}
	if l, _ := fs.ListFactors(ctx, user); len(l) != 2 {
		t.Errorf("DeleteFactorsByUser touched another user: %d factors left, want 2", len(l))
	}

	// Deleting the user removes its factors.
	if err := s.Users.DeleteUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.GetFactor(ctx, cred); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("factor after DeleteUser: %v, want ErrNotFound", err)
	}
	if l, _ := fs.ListFactors(ctx, user); len(l) != 0 {
		t.Errorf("ListFactors after DeleteUser: %d", len(l))
	}

	if tr, ok := s.Users.(latch.Transactor); ok {
		t.Run("transactions", func(t *testing.T) { testFactorsInTx(t, s.Users, fs, tr) })
	}
}

// testFactorsInTx checks that a transaction of the store covers factor
// writes: read inside it, undone on rollback with everything else (a
// DeleteUser's cascade too), and a refused create leaves it usable.
func testFactorsInTx(t *testing.T, users latch.UserStore, fs latch.FactorStore, tr latch.Transactor) {
	ctx := t.Context()
	errBoom := errors.New("boom")

	// Rolled back: the user and its factors, created, read, updated and a
	// duplicate refused inside, are all gone.
	u := newID(t, "txf")
	f1 := latch.FactorRecord{ID: newID(t, "txf1"), UserID: u, Kind: latch.FactorTOTP, Name: "a", Data: []byte{1}, CreatedAt: 10}
	f2 := latch.FactorRecord{ID: newID(t, "txf2"), UserID: u, Kind: latch.FactorPasskey, Name: "b", CreatedAt: 20}
	// Inside fn, failures are reported and returned (not t.Fatal, which
	// would leave the transaction open), so that InTx rolls back.
	fail := func(op string, err error) error {
		t.Errorf("%s: %v", op, err)
		return err
	}
	err := tr.InTx(ctx, func(ctx context.Context) error {
		if err := users.CreateUser(ctx, latch.UserRecord{ID: u}, nil); err != nil {
			return fail("CreateUser in tx", err)
		}
		if err := fs.CreateFactor(ctx, f1); err != nil {
			return fail("CreateFactor in tx", err)
		}
		if err := fs.CreateFactor(ctx, latch.FactorRecord{ID: f1.ID, UserID: u, Kind: latch.FactorTOTP, CreatedAt: 1}); !errors.Is(err, latch.ErrDuplicate) {
			t.Errorf("duplicate CreateFactor in tx: %v, want ErrDuplicate", err)
		}
		// The transaction goes on after the refused write.
		if err := fs.CreateFactor(ctx, f2); err != nil {
			return fail("CreateFactor after a refused one", err)
		}
		upd := f1
		upd.LastUsedAt = 99
		if err := fs.UpdateFactor(ctx, upd); err != nil {
			return fail("UpdateFactor in tx", err)
		}
		got, err := fs.GetFactor(ctx, f1.ID)
		if err != nil || got.LastUsedAt != 99 {
			t.Errorf("GetFactor in tx = %+v, %v; want its own update", got, err)
		}
		if l, err := fs.ListFactors(ctx, u); err != nil || len(l) != 2 {
			t.Errorf("ListFactors in tx = %d factors, %v; want 2", len(l), err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	for _, id := range []string{f1.ID, f2.ID} {
		if _, err := fs.GetFactor(ctx, id); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("GetFactor after rollback: %v, want ErrNotFound", err)
		}
	}

	// Committed: the factor is there; a DeleteUser (and a
	// DeleteFactorsByUser) rolled back leaves it.
	must(t, "InTx commit", tr.InTx(ctx, func(ctx context.Context) error {
		if err := users.CreateUser(ctx, latch.UserRecord{ID: u}, nil); err != nil {
			return err
		}
		return fs.CreateFactor(ctx, f1)
	}))
	if _, err := fs.GetFactor(ctx, f1.ID); err != nil {
		t.Fatalf("GetFactor after commit: %v", err)
	}
	err = tr.InTx(ctx, func(ctx context.Context) error {
		if err := fs.DeleteFactorsByUser(ctx, u); err != nil {
			return fail("DeleteFactorsByUser in tx", err)
		}
		if err := users.DeleteUser(ctx, u); err != nil {
			return fail("DeleteUser in tx", err)
		}
		if _, err := fs.GetFactor(ctx, f1.ID); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("GetFactor in tx after DeleteUser: %v, want ErrNotFound", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	if got, err := fs.GetFactor(ctx, f1.ID); err != nil || got.UserID != u || !bytes.Equal(got.Data, f1.Data) {
		t.Errorf("GetFactor after a rolled-back DeleteUser = %+v, %v; want the factor", got, err)
	}
}
