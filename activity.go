package latch

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ActivityEvent is one entry of a user's security activity record: what
// happened to the account, when and from where. It never holds a secret
// (no token value, no password).
type ActivityEvent struct {
	ID        string // assigned by RecordActivity; orders events of one millisecond
	UserID    string
	Type      string // "sign-in", "sign-in-failed", "password-reset", ...
	At        int64  // ms
	IP        string
	UserAgent string
	Detail    string // the method, the token kind, the provider; short
}

// ActivityStore keeps the security activity record: append-only, per user.
// It is optional; Auth finds it on Config.Activity, or else on Config.Store
// or Config.Users by type assertion.
type ActivityStore interface {
	// AddActivity appends an event. ErrDuplicate when (UserID, ID) is
	// taken, ErrNotFound when the user does not exist (where the store
	// keeps users).
	AddActivity(ctx context.Context, e ActivityEvent) error
	// ListActivity returns up to limit events of the user, newest first
	// (At, then ID, descending), strictly older than (beforeAt, beforeID)
	// when beforeAt is not 0.
	ListActivity(ctx context.Context, userID string, beforeAt int64, beforeID string, limit int) ([]ActivityEvent, error)
	// DeleteActivity removes the user's events; it succeeds whatever the input.
	DeleteActivity(ctx context.Context, userID string) error
	// DeleteActivityBefore removes every event whose At is before the
	// given time and returns how many it removed.
	DeleteActivityBefore(ctx context.Context, before int64) (int64, error)
}

// Limits of an activity event's fields; longer values are cut.
const (
	maxActivityType   = 64
	maxActivityIP     = 64
	maxActivityUA     = 512
	maxActivityDetail = 256
	// MaxActivityPage is the most events ListActivity returns at once.
	MaxActivityPage = 100
)

// ErrInvalidCursor is returned by ListActivity for a cursor it did not make.
var ErrInvalidCursor = &Error{Code: "INVALID_CURSOR", Message: "invalid cursor"}

// HasActivity reports whether a store keeps the activity record.
func (a *Auth) HasActivity() bool { return a.activity != nil }

// RecordActivity appends an event to the user's record, with a new ID and
// the time now; fields over their limits are cut. Without an ActivityStore
// it does nothing.
func (a *Auth) RecordActivity(ctx context.Context, e ActivityEvent) error {
	if a.activity == nil {
		return nil
	}
	if checkID("user id", e.UserID) != nil || e.Type == "" {
		return fmt.Errorf("latch: record activity: %w", invalid("an event needs a user id and a type"))
	}
	id, err := RandomString(16, AlphabetLowerNumeric)
	if err != nil {
		return fmt.Errorf("latch: record activity: %w", err)
	}
	e.ID, e.At = id, ms(a.now())
	e.Type, e.IP = cut(e.Type, maxActivityType), cut(e.IP, maxActivityIP)
	e.UserAgent, e.Detail = cut(e.UserAgent, maxActivityUA), cut(e.Detail, maxActivityDetail)
	if err := a.activity.AddActivity(ctx, e); err != nil {
		return fmt.Errorf("latch: record activity: %w", err)
	}
	return nil
}

// ListActivity returns a page of the user's events, newest first, from the
// cursor ("" for the newest), and the cursor of the next page ("" after
// the last). limit is capped at MaxActivityPage. Events older than the
// retention are not returned even before a purge removed them. Without an
// ActivityStore the record is empty.
func (a *Auth) ListActivity(ctx context.Context, userID, cursor string, limit int) ([]ActivityEvent, string, error) {
	if limit <= 0 || limit > MaxActivityPage {
		limit = MaxActivityPage
	}
	if a.activity == nil {
		return []ActivityEvent{}, "", nil
	}
	var beforeAt int64
	var beforeID string
	if cursor != "" {
		var ok bool
		if beforeAt, beforeID, ok = parseCursor(cursor); !ok {
			return nil, "", fmt.Errorf("latch: list activity: %w", ErrInvalidCursor)
		}
	}
	evs, err := a.activity.ListActivity(ctx, userID, beforeAt, beforeID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("latch: list activity: %w", err)
	}
	oldest := ms(a.now().Add(-a.activityRetention))
	for i, e := range evs {
		if e.At < oldest {
			evs = evs[:i]
			break
		}
	}
	next := ""
	if len(evs) > limit {
		evs = evs[:limit]
		last := evs[limit-1]
		next = makeCursor(last.At, last.ID)
	}
	return evs, next, nil
}

// PurgeActivity removes the events older than Config.ActivityRetention and
// returns how many it removed.
func (a *Auth) PurgeActivity(ctx context.Context) (int64, error) {
	if a.activity == nil {
		return 0, nil
	}
	n, err := a.activity.DeleteActivityBefore(ctx, ms(a.now().Add(-a.activityRetention)))
	if err != nil {
		return 0, fmt.Errorf("latch: purge activity: %w", err)
	}
	return n, nil
}

// cut makes s storable everywhere (valid UTF-8, no NUL) and at most n bytes.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) { // never cut a character in two
		s = s[:len(s)-1]
	}
	return s
}

func makeCursor(at int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + "." + id))
}

func parseCursor(c string) (int64, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", false
	}
	at, id, ok := strings.Cut(string(raw), ".")
	if !ok || checkID("event id", id) != nil {
		return 0, "", false
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, id, true
}
