package storetest

import (
	"slices"
	"testing"

	"github.com/latchauth/latch"
)

// testFactorScan: a FactorScanner pages through the factors of one kind in
// id order, whoever they belong to, and nothing of another kind.
func testFactorScan(t *testing.T, open Open) {
	s := open(t)
	sc, ok := s.Users.(latch.FactorScanner)
	fs, _ := s.Users.(latch.FactorStore)
	if !ok || fs == nil {
		t.Skip("the user store does not implement latch.FactorScanner")
	}
	ctx := t.Context()
	kind := newID(t, "k")
	if len(kind) > 32 {
		kind = kind[:32]
	}
	var want []string
	for i := range 2 {
		u := newID(t, "scan")
		if err := s.Users.CreateUser(ctx, latch.UserRecord{ID: u}, nil); err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			id := newID(t, "sc") + string(rune('a'+i*3+j))
			want = append(want, id)
			if err := fs.CreateFactor(ctx, latch.FactorRecord{ID: id, UserID: u, Kind: kind, Data: []byte{byte(j)}, CreatedAt: int64(10 - j)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := fs.CreateFactor(ctx, latch.FactorRecord{ID: newID(t, "other"), UserID: u, Kind: kind + "x", CreatedAt: 1}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	var got []string
	after := ""
	for range 10 {
		page, err := sc.ScanFactors(ctx, kind, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 4 {
			t.Fatalf("a page of %d, limit 4", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, f := range page {
			if f.Kind != kind {
				t.Fatalf("kind %q in a scan of %q", f.Kind, kind)
			}
			got = append(got, f.ID)
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Fatalf("scanned %q, want %q", got, want)
	}
	if page, err := sc.ScanFactors(ctx, "no such kind", "", 10); err != nil || len(page) != 0 {
		t.Fatalf("unknown kind: %v, %v", page, err)
	}
}
