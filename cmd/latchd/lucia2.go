package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/lucia2"
)

// The user attributes latchd's API writes. A Lucia v2 database must have a
// column for each required one; the optional ones are written only where
// auth_user has a column for them.
var (
	lucia2Required = []string{"email", "email_verified"}
	lucia2Optional = []string{"name", "created_at"}
)

// openLucia2 opens an existing Lucia v2 database (--schema lucia2): users,
// keys and sessions in Lucia's tables, tokens in Latch's own two tables
// beside them (latchd migrate creates only those).
func (b *backend) openLucia2(ctx context.Context, u string, cfg *latch.Config) error {
	var dialect, dsn string
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		dialect = lucia2.SQLite
		dsn = strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if dsn == "" {
			return fmt.Errorf("--database-url %q: no file name", u)
		}
		b.isSQLite = true
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		dialect, dsn = lucia2.Postgres, u
	case strings.HasPrefix(u, "mysql://"):
		d, err := mysqlDSN(u)
		if err != nil {
			return fmt.Errorf("--database-url %s: %w", redactURL(u), err)
		}
		dialect, dsn = lucia2.MySQL, d
	default:
		return fmt.Errorf("--database-url %q: want sqlite:PATH, postgres://… or mysql://…", redactURL(u))
	}
	s, err := lucia2.Open(ctx, dialect, dsn, lucia2.Options{})
	if err != nil {
		return fmt.Errorf("--schema lucia2 --database-url %s: %w", redactURL(u), err)
	}
	b.closers = append(b.closers, s)
	ls, err := newLucia2Store(s)
	if err != nil {
		return err
	}
	b.migrate, cfg.Store = s.Migrate, ls
	if cfg.SessionMaxLifetime > 0 && !slices.Contains(s.SessionAttributes(), latch.SessionCreatedAttribute) {
		// Lucia's sessions have no creation time to count from.
		b.notes = append(b.notes, "no absolute session timeout: the session table has no "+latch.SessionCreatedAttribute+" column")
		cfg.SessionMaxLifetime = 0
	}
	b.lucia2 = true
	return nil
}

// lucia2Store is a Lucia v2 database as latchd uses it: the optional
// attributes that auth_user has no column for are left out of what is
// written, instead of refused. Everything else is the lucia2 store's,
// transactions included.
type lucia2Store struct {
	*lucia2.Store
	drop map[string]bool
}

func newLucia2Store(s *lucia2.Store) (*lucia2Store, error) {
	cols := s.UserAttributes()
	var missing []string
	for _, name := range lucia2Required {
		if !slices.Contains(cols, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("--schema lucia2: the user table has no column %s (its attribute columns: %s); latchd keeps a user's address in email (text, unique) and email_verified (boolean): add them, e.g. ALTER TABLE auth_user ADD COLUMN email TEXT UNIQUE, ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE",
			strings.Join(missing, ", "), orNone(cols))
	}
	drop := map[string]bool{}
	for _, name := range lucia2Optional {
		if !slices.Contains(cols, name) {
			drop[name] = true
		}
	}
	return &lucia2Store{Store: s, drop: drop}, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// trim returns attrs without the optional attributes that have no column.
func (s *lucia2Store) trim(attrs latch.Attributes) latch.Attributes {
	if len(s.drop) == 0 {
		return attrs
	}
	out := maps.Clone(attrs)
	maps.DeleteFunc(out, func(k string, _ any) bool { return s.drop[k] })
	return out
}

func (s *lucia2Store) CreateUser(ctx context.Context, user latch.UserRecord, key *latch.KeyRecord) error {
	user.Attributes = s.trim(user.Attributes)
	return s.Store.CreateUser(ctx, user, key)
}

func (s *lucia2Store) UpdateUserAttributes(ctx context.Context, userID string, patch latch.Attributes) error {
	return s.Store.UpdateUserAttributes(ctx, userID, s.trim(patch))
}
