package latch_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

type role string

type base struct {
	CreatedAt time.Time // created_at
}

type profile struct {
	base
	Email         string     `latch:"email"`
	EmailVerified bool       // email_verified
	Age           int8       `latch:"age"`
	Score         float64    `latch:"score"`
	Ratio         float32    `latch:"ratio"`
	Logins        uint32     `latch:"logins"`
	Role          role       `latch:"role"`
	Nickname      *string    `latch:"nickname"`
	DeletedAt     *time.Time `latch:"deleted_at"`
	Extra         any        `latch:"extra"`
	Ignored       string     `latch:"-"`
	UserID        string     // user_id
	private       string
}

func TestAttributesDecode(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	a := latch.Attributes{
		"email": "ada@example.com", "email_verified": int64(1), "age": int64(36), "score": int64(7),
		"ratio": 0.5, "logins": int64(12), "role": "admin", "nickname": "ada", "deleted_at": nil,
		"extra": true, "Ignored": "x", "-": "x", "user_id": "u1", "created_at": created, "unknown": "skipped",
	}
	var p profile
	p.private = "kept"
	if err := a.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Email != "ada@example.com" || !p.EmailVerified || p.Age != 36 || p.Score != 7 || p.Ratio != 0.5 ||
		p.Logins != 12 || p.Role != "admin" || p.Nickname == nil || *p.Nickname != "ada" || p.DeletedAt != nil ||
		p.Extra != true || p.Ignored != "" || p.UserID != "u1" || !p.CreatedAt.Equal(created) || p.private != "kept" {
		t.Errorf("decoded %+v", p)
	}

	bad := []struct {
		attrs latch.Attributes
		want  string
	}{
		{latch.Attributes{"email": int64(1)}, `"email" into field profile.Email`},
		{latch.Attributes{"age": int64(300)}, "overflows"},
		{latch.Attributes{"logins": int64(-1)}, "does not fit"},
		{latch.Attributes{"email_verified": int64(2)}, "not a boolean"},
		{latch.Attributes{"email_verified": "yes"}, "not a bool"},
		{latch.Attributes{"score": "1"}, "not a number"},
		{latch.Attributes{"ratio": math.MaxFloat64}, "overflows"},
		{latch.Attributes{"created_at": "2026-01-02"}, "not a time"},
		{latch.Attributes{"nickname": false}, "not a string"},
	}
	for _, tt := range bad {
		var p profile
		err := tt.attrs.Decode(&p)
		if !errors.Is(err, latch.ErrInvalidAttributes) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%v) = %v, want ErrInvalidAttributes with %q", tt.attrs, err, tt.want)
		}
	}

	var notStruct string
	for _, dst := range []any{nil, profile{}, &notStruct, (*profile)(nil)} {
		if err := a.Decode(dst); err == nil {
			t.Errorf("Decode(%T) succeeded", dst)
		}
	}
	var withSlice struct {
		Tags []string `latch:"tags"`
	}
	if err := (latch.Attributes{}).Decode(&withSlice); err == nil || !strings.Contains(err.Error(), "Tags") {
		t.Errorf("a []string field: %v", err)
	}
	type Inner struct {
		Plan string `latch:"plan"`
	}
	type inner struct {
		Hidden string `latch:"hidden"`
	}
	var embedded struct {
		*Inner
		*inner
	}
	if err := (latch.Attributes{"plan": "pro", "hidden": "x"}).Decode(&embedded); err != nil || embedded.Inner == nil || embedded.Plan != "pro" || embedded.inner != nil {
		t.Errorf("embedded pointers: %+v %v", embedded, err)
	}
	var dup struct {
		A string `latch:"x"`
		X string
	}
	if err := (latch.Attributes{}).Decode(&dup); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("two fields for one attribute: %v", err)
	}
}

// TestDecodeAfterStore: what a store gives back decodes like what was
// written, for users and sessions alike.
func TestDecodeAfterStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{Attributes: latch.Attributes{"email": "b@example.com", "age": 40}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID, Attributes: latch.Attributes{"device": "phone"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.ValidateSession(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	var up struct {
		Email string `latch:"email"`
		Age   int    `latch:"age"`
	}
	var sp struct {
		Device string `latch:"device"`
	}
	if err := v.User.DecodeAttributes(&up); err != nil || up.Email != "b@example.com" || up.Age != 40 {
		t.Errorf("user: %+v %v", up, err)
	}
	if err := v.DecodeAttributes(&sp); err != nil || sp.Device != "phone" {
		t.Errorf("session: %+v %v", sp, err)
	}
}

// An application's own types for its users and sessions, filled from the
// attributes (Lucia's getUserAttributes and getSessionAttributes).
func ExampleAttributes_Decode() {
	ctx := context.Background()
	auth, err := latch.New(latch.Config{Store: memory.New()})
	if err != nil {
		panic(err)
	}
	user, err := auth.CreateUser(ctx, latch.CreateUserOptions{Attributes: latch.Attributes{
		"email": "ada@example.com", "email_verified": true, "plan_seats": 5,
	}})
	if err != nil {
		panic(err)
	}
	created, err := auth.CreateSession(ctx, latch.CreateSessionOptions{
		UserID: user.ID, Attributes: latch.Attributes{"device": "laptop"},
	})
	if err != nil {
		panic(err)
	}

	// In a handler: s, ok := httpauth.FromContext(r.Context()).
	s, err := auth.ValidateSession(ctx, created.Token)
	if err != nil {
		panic(err)
	}
	var account struct {
		Email         string  `latch:"email"`
		EmailVerified bool    `latch:"email_verified"`
		Seats         int     `latch:"plan_seats"`
		Nickname      *string // nickname: absent, so nil
	}
	if err := s.User.DecodeAttributes(&account); err != nil {
		panic(err)
	}
	var device struct {
		Name string `latch:"device"`
	}
	if err := s.DecodeAttributes(&device); err != nil {
		panic(err)
	}
	fmt.Println(account.Email, account.EmailVerified, account.Seats, account.Nickname == nil, device.Name)
	// Output: ada@example.com true 5 true laptop
}
