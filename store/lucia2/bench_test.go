package lucia2_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/lucia2"
)

// BenchmarkGetSessionAndUserDisabledFlag measures the validation hot path
// on a Lucia SQLite database with the disabled flag read beside the user
// (after Migrate) and without it (a store opened before Migrate made
// latch_user_disabled).
func BenchmarkGetSessionAndUserDisabledFlag(b *testing.B) {
	path := filepath.Join(b.TempDir(), "lucia.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	for _, ddl := range []string{
		`CREATE TABLE auth_user (id TEXT NOT NULL PRIMARY KEY, email TEXT)`,
		`CREATE TABLE user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, hashed_password TEXT)`,
		`CREATE TABLE user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL)`,
	} {
		if _, err := db.Exec(ddl); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	ctx := context.Background()
	without, err := lucia2.Open(ctx, lucia2.SQLite, path, lucia2.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer without.Close()
	with, err := lucia2.Open(ctx, lucia2.SQLite, path, lucia2.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer with.Close()
	if err := with.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if err := with.CreateUser(ctx, latch.UserRecord{ID: "u", Attributes: latch.Attributes{"email": "a@example.com"}}, nil); err != nil {
		b.Fatal(err)
	}
	if err := with.CreateSession(ctx, latch.SessionRecord{ID: "s", UserID: "u", ActiveExpires: 1 << 50, IdleExpires: 1 << 50}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    *lucia2.Store
	}{{"with-flag", with}, {"without-flag", without}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := c.s.GetSessionAndUser(ctx, "s"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
