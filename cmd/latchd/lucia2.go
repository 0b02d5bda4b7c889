package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
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
// keys and sessions in Lucia's tables, tokens and the disabled users in
// Latch's own tables beside them (latchd migrate creates only those).
// require2FA is --require-2fa, which needs the session table's amr column.
func (b *backend) openLucia2(ctx context.Context, u string, cfg *latch.Config, require2FA bool) error {
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
	b.addCheck("database", s.DB().PingContext)
	// A NOT NULL column without a default that latchd never writes fails
	// every sign-up (500): say so at start. Sign-in still works, so a
	// deployment whose users sign up elsewhere may run as it is.
	for _, name := range s.UserAttributes() {
		if c, _ := s.UserColumn(name); c.Required && !slices.Contains(lucia2Required, name) && !slices.Contains(lucia2Optional, name) {
			b.notes = append(b.notes, fmt.Sprintf("sign-up will fail: the user table's column %s is NOT NULL without a default and latchd does not write it; give it a default or allow NULL", name))
		}
	}
	if cfg.SessionMaxLifetime > 0 && !slices.Contains(s.SessionAttributes(), latch.SessionCreatedAttribute) {
		// Lucia's sessions have no creation time to count from.
		b.notes = append(b.notes, "no absolute session timeout: the session table has no "+latch.SessionCreatedAttribute+" column")
		cfg.SessionMaxLifetime = 0
	}
	if cfg.SessionMaxLifetime > 0 {
		if err := s.CheckSessionAttribute(latch.SessionCreatedAttribute, time.Time{}); err != nil {
			return fmt.Errorf("--schema lucia2: latchd writes the session attribute %s (for --session-max-lifetime): %w",
				latch.SessionCreatedAttribute, err)
		}
	}
	if err := b.lucia2AMR(s, cfg, require2FA); err != nil {
		return err
	}
	b.lucia2 = true
	return nil
}

// lucia2AMR turns on Config.KeepSessionAMR when the session table has an
// amr column, read from the columns the store found at Open. Without it
// every session reads as AAL 1: a user with a second factor could never
// show it, so --require-2fa is refused and the operator is told, once at
// start, the one statement that fixes it.
func (b *backend) lucia2AMR(s *lucia2.Store, cfg *latch.Config, require2FA bool) error {
	if slices.Contains(s.SessionAttributes(), latch.SessionAMRAttribute) {
		// The store writes the methods as one space-separated string.
		if err := s.CheckSessionAttribute(latch.SessionAMRAttribute, ""); err != nil {
			return fmt.Errorf("--schema lucia2: latchd keeps a session's sign-in methods in the session attribute %s: %w", latch.SessionAMRAttribute, err)
		}
		cfg.KeepSessionAMR = true
		b.infos = append(b.infos, "sessions keep their sign-in methods (AMR) in "+lucia2.DefaultSessionTable+"."+latch.SessionAMRAttribute+": a session made with a second factor is AAL 2")
		return nil
	}
	if require2FA {
		return fmt.Errorf("--require-2fa with --schema lucia2 needs a column %s in %s: %s", latch.SessionAMRAttribute, lucia2.DefaultSessionTable, lucia2AMRAdvice(s.Dialect()))
	}
	b.notes = append(b.notes, "sessions keep no sign-in methods (AMR): "+lucia2AMRAdvice(s.Dialect()))
	return nil
}

// lucia2AMRAdvice says what is lost without the amr column and the
// statement that adds it. The column is nullable: the Lucia application
// sharing the table writes sessions without it.
func lucia2AMRAdvice(dialect string) string {
	typ := "TEXT"
	if dialect == lucia2.MySQL {
		typ = "VARCHAR(255)"
	}
	return fmt.Sprintf("every session is AAL 1, so a user with a second factor can never allow a CLI app, no session shows 2-step, and --require-2fa cannot work; add the column with ALTER TABLE %s ADD COLUMN %s %s",
		lucia2.DefaultSessionTable, latch.SessionAMRAttribute, typ)
}

// lucia2Store is a Lucia v2 database as latchd uses it: the optional
// attributes that auth_user has no column for are left out of what is
// written, instead of refused. Everything else is the lucia2 store's,
// transactions included.
type lucia2Store struct {
	*lucia2.Store
	drop map[string]bool
	// keyIDMax and maxLen are the lengths, in characters, of the key id
	// and of the email and name columns where the database limits them
	// (read at start): input longer than its column is the client's
	// error (400), refused before anything is written, where the
	// database's own refusal would be a 500.
	keyIDMax int
	maxLen   map[string]int
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
	// Every column latchd writes must take what it writes, checked now
	// rather than at the first sign-up.
	for _, name := range append(slices.Clone(lucia2Required), lucia2Optional...) {
		if drop[name] {
			continue
		}
		if err := s.CheckUserAttribute(name, lucia2Examples[name]); err != nil {
			return nil, fmt.Errorf("--schema lucia2: latchd writes the user attribute %s: %w", name, err)
		}
	}
	ls := &lucia2Store{Store: s, drop: drop, keyIDMax: s.KeyIDMaxLength(), maxLen: map[string]int{}}
	for _, name := range []string{"email", "name"} {
		if c, ok := s.UserColumn(name); ok && c.MaxLength > 0 {
			ls.maxLen[name] = c.MaxLength
		}
	}
	return ls, nil
}

// lucia2Examples are values of the Go type latchd writes into each of its
// user attributes.
var lucia2Examples = map[string]any{
	"email": "", "email_verified": false, "name": "", "created_at": time.Time{},
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

// checkLengths refuses, as the client's error, an email or name longer
// than its column, or an email whose key id ("email:" and the address) is
// longer than the key table's id column.
func (s *lucia2Store) checkLengths(attrs latch.Attributes, keyID string) error {
	email, _ := attrs["email"].(string)
	if n := s.maxLen["email"]; n > 0 && utf8.RuneCountInString(email) > n {
		return tooLong(authapi.ErrInvalidEmail, "the email address", n)
	}
	if n := s.keyIDMax; n > 0 && utf8.RuneCountInString(keyID) > n {
		provider, _, _ := strings.Cut(keyID, ":")
		if provider == "email" {
			return tooLong(authapi.ErrInvalidEmail, "the email address", n-len("email:"))
		}
		return tooLong(authapi.ErrInvalidRequest, "the account id", n-len(provider)-1)
	}
	name, _ := attrs["name"].(string)
	if n := s.maxLen["name"]; n > 0 && utf8.RuneCountInString(name) > n {
		return tooLong(authapi.ErrInvalidName, "the name", n)
	}
	return nil
}

// tooLong is base (a 400) with a message giving the column's limit.
func tooLong(base *authapi.Error, what string, max int) *authapi.Error {
	e := *base
	e.Message = fmt.Sprintf("%s must have at most %d characters", what, max)
	return &e
}

func (s *lucia2Store) CreateUser(ctx context.Context, user latch.UserRecord, key *latch.KeyRecord) error {
	user.Attributes = s.trim(user.Attributes)
	keyID := ""
	if key != nil {
		keyID = key.ID
	}
	if err := s.checkLengths(user.Attributes, keyID); err != nil {
		return err
	}
	return s.Store.CreateUser(ctx, user, key)
}

func (s *lucia2Store) CreateKey(ctx context.Context, key latch.KeyRecord) error {
	if err := s.checkLengths(nil, key.ID); err != nil {
		return err
	}
	return s.Store.CreateKey(ctx, key)
}

func (s *lucia2Store) UpdateUserAttributes(ctx context.Context, userID string, patch latch.Attributes) error {
	patch = s.trim(patch)
	if err := s.checkLengths(patch, ""); err != nil {
		return err
	}
	return s.Store.UpdateUserAttributes(ctx, userID, patch)
}
