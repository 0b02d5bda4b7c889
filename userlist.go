package latch

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// UserLister is implemented by stores that can list their users, for
// administration (the admin API, `latchd user list`). It is optional: Auth
// finds it on the store that keeps users by type assertion. Both lists
// compare and order ids byte for byte.
type UserLister interface {
	// ListUsers returns up to limit users in order of id, those whose id
	// is greater than after ("" for the first page).
	ListUsers(ctx context.Context, after string, limit int) ([]UserRecord, error)
	// ListKeyUsers returns up to limit keys whose id starts with prefix,
	// each with its user, in order of key id, those whose id is greater
	// than after ("" for the first page). A user with two such keys comes
	// twice.
	ListKeyUsers(ctx context.Context, prefix, after string, limit int) ([]KeyUser, error)
}

// KeyUser is a key id with the user it belongs to, as ListKeyUsers lists them.
type KeyUser struct {
	KeyID string
	User  UserRecord
}

// MaxUserPage is the most users ListUsers returns at once.
const MaxUserPage = 100

// ErrListUnsupported is returned by ListUsers when the store that keeps
// users does not implement UserLister.
var ErrListUnsupported = errors.New("latch: the user store cannot list users")

// ListUsersOptions select a page of users.
type ListUsersOptions struct {
	// EmailPrefix, when not "", keeps the users with an email key
	// ("email:<address>") whose address starts with it, in order of
	// address; it is normalised as email keys are (see NormalizeEmailKey).
	// Otherwise every user comes, in order of id.
	EmailPrefix string
	// Cursor is "" for the first page, or the next cursor ListUsers
	// returned with the same EmailPrefix.
	Cursor string
	// Limit is capped at MaxUserPage; 0 means MaxUserPage.
	Limit int
}

// ListUsers returns a page of users and the cursor of the next page (""
// after the last). An unknown cursor is ErrInvalidCursor; a store that
// cannot list is ErrListUnsupported.
func (a *Auth) ListUsers(ctx context.Context, opts ListUsersOptions) ([]User, string, error) {
	lister, ok := a.users.(UserLister)
	if !ok {
		return nil, "", fmt.Errorf("latch: list users: %w", ErrListUnsupported)
	}
	limit := opts.Limit
	if limit <= 0 || limit > MaxUserPage {
		limit = MaxUserPage
	}
	mode := "u"
	prefix := ""
	if opts.EmailPrefix != "" {
		mode = "k"
		p := opts.EmailPrefix
		if checkID("email prefix", p) != nil { // before normalising mends invalid UTF-8
			return nil, "", fmt.Errorf("latch: list users: %w", invalid("the email prefix is not valid"))
		}
		if !a.emailAsIs {
			// Not NormalizeEmailKey: a prefix has no whole domain to map.
			p = norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(p))))
		}
		prefix = KeyID(EmailProviderID, p)
		if checkID("email prefix", prefix) != nil {
			return nil, "", fmt.Errorf("latch: list users: %w", invalid("the email prefix is not valid"))
		}
	}
	after := ""
	if opts.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(opts.Cursor)
		m, rest, ok := strings.Cut(string(raw), ".")
		if err != nil || !ok || m != mode || checkID("cursor", rest) != nil {
			return nil, "", fmt.Errorf("latch: list users: %w", ErrInvalidCursor)
		}
		after = rest
	}
	var (
		out  []User
		last string
		more bool
	)
	if mode == "u" {
		recs, err := lister.ListUsers(ctx, after, limit+1)
		if err != nil {
			return nil, "", fmt.Errorf("latch: list users: %w", err)
		}
		if more = len(recs) > limit; more {
			recs = recs[:limit]
		}
		out = make([]User, 0, len(recs))
		for _, r := range recs {
			out = append(out, userFromRecord(r))
			last = r.ID
		}
	} else {
		recs, err := lister.ListKeyUsers(ctx, prefix, after, limit+1)
		if err != nil {
			return nil, "", fmt.Errorf("latch: list users: %w", err)
		}
		if more = len(recs) > limit; more {
			recs = recs[:limit]
		}
		out = make([]User, 0, len(recs))
		for _, r := range recs {
			out = append(out, userFromRecord(r.User))
			last = r.KeyID
		}
	}
	next := ""
	if more {
		next = base64.RawURLEncoding.EncodeToString([]byte(mode + "." + last))
	}
	return out, next, nil
}

// UserAttributeColumns is implemented by a user store whose attributes
// are a fixed set of columns (store/lucia2 on a Lucia v2 user table): it
// refuses, with ErrInvalidAttributes, a write that carries an attribute it
// has no column for. UserAttributes lists the attributes it can keep.
type UserAttributeColumns interface {
	UserAttributes() []string
}

// KeepsUserAttribute reports whether the user store can keep the user
// attribute name: always, unless it implements UserAttributeColumns and
// has no column of that name. Code writing an optional attribute (a
// display name, a creation time) leaves out one the store cannot keep,
// where writing it would fail the whole sign-up.
func (a *Auth) KeepsUserAttribute(name string) bool {
	c, ok := a.users.(UserAttributeColumns)
	return !ok || slices.Contains(c.UserAttributes(), name)
}

// CanListUsers reports whether the user store implements UserLister.
func (a *Auth) CanListUsers() bool {
	_, ok := a.users.(UserLister)
	return ok
}
