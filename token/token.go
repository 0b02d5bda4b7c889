package token

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch"
)

// MaxLength is the longest token value accepted, in bytes. Longer values,
// empty ones, and values with bytes outside printable ASCII are refused
// with ErrInvalidToken before any store is asked. authapi's endpoints take
// values up to the same length. With Plain storage the value is the stored
// id, so there the limit is latch.MaxIDLength (255), what every store's id
// column holds.
const MaxLength = 512

// The errors of the token handlers, matched with errors.Is. Returned errors
// wrap them with the handler's name and the operation. An unknown user is
// latch.ErrInvalidUserID. Store failures other than a missing row are
// wrapped and returned as they are, never disguised as one of these.
var (
	// ErrInvalidToken: the value is unknown, already used, malformed, or
	// belongs to another user.
	ErrInvalidToken = &latch.Error{Code: "TOKEN_INVALID", Message: "invalid token"}
	// ErrExpiredToken: the token existed but its expiry has passed; it has
	// been consumed all the same.
	ErrExpiredToken = &latch.Error{Code: "TOKEN_EXPIRED", Message: "expired token"}
	// ErrDuplicateToken: every value the generator produced was taken.
	ErrDuplicateToken = &latch.Error{Code: "TOKEN_DUPLICATE", Message: "could not generate an unused token"}
	// ErrTooManyAttempts: too many wrong codes for this user; the user's
	// open codes have been invalidated until a new one is issued.
	ErrTooManyAttempts = &latch.Error{Code: "TOKEN_TOO_MANY_ATTEMPTS", Message: "too many attempts"}
	// ErrTooManyRequests: too many tokens requested for this user in the
	// issue window.
	ErrTooManyRequests = &latch.Error{Code: "TOKEN_TOO_MANY_REQUESTS", Message: "too many requests"}
)

// Token is an issued or validated token.
type Token struct {
	// Kind is the name of the handler that issued it.
	Kind   string
	UserID string
	// ExpiresAt is when the token stops being valid (exclusive, to the
	// millisecond): at that instant it is already expired.
	ExpiresAt time.Time
	// SessionID is the session an authorization code was issued from
	// (AuthorizationCodes.Exchange); "" for other tokens.
	SessionID string

	value   string
	expired bool
}

// String returns the token's value, the secret to hand to the user. It is
// "" for a token listed by GetAllUserTokens when the handler stores digests
// (Hashed or CustomHash storage): the value is not kept, so it cannot be
// shown again.
func (t Token) String() string { return t.value }

// Expired reports whether the token had expired by the Auth's clock at the
// moment the token was returned.
func (t Token) Expired() bool { return t.expired }

// LogValue keeps the value out of structured logs.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", t.Kind),
		slog.String("user_id", t.UserID),
		slog.Time("expires_at", t.ExpiresAt),
	)
}

// storageMode is how a Storage derives the stored id from a value.
type storageMode uint8

const (
	modeHashed storageMode = iota
	modePlain
	modeCustom
)

// Storage says how token values are kept at rest. The zero value is Hashed.
type Storage struct {
	mode storageMode
	hash func(string) string
}

var (
	// Hashed stores latch.HashToken(value), the lowercase hex SHA-256: the
	// row holds the digest, never the value. It is the default.
	Hashed = Storage{mode: modeHashed}
	// Plain stores the value itself, so that GetAllUserTokens can return it
	// and a reset link can be sent again (PasswordResets). Anyone who reads
	// the table can then use the tokens in it.
	Plain = Storage{mode: modePlain}
)

// CustomHash stores hash(value). hash must be deterministic and return a
// non-empty string of at most 255 bytes (printable ASCII is safest for
// every store).
func CustomHash(hash func(value string) string) Storage {
	return Storage{mode: modeCustom, hash: hash}
}

func (s Storage) check() error {
	switch {
	case s.mode == modeCustom && s.hash == nil:
		return errors.New("CustomHash(nil)")
	case s.mode > modeCustom:
		return errors.New("unknown storage")
	}
	return nil
}

// id returns the stored id of a (valid) value.
func (s Storage) id(value string) (string, error) {
	switch s.mode {
	case modePlain:
		return value, nil
	case modeCustom:
		id := s.hash(value)
		if id == "" || len(id) > latch.MaxIDLength || !utf8.ValidString(id) {
			return "", errors.New("the CustomHash function returned an empty, over-long or non-UTF-8 id")
		}
		return id, nil
	}
	return latch.HashToken(value), nil
}

// keepsValue reports whether a stored id is the value itself.
func (s Storage) keepsValue() bool { return s.mode == modePlain }

// maxValue is the longest value this storage can keep: a Plain value is
// the stored id itself.
func (s Storage) maxValue() int {
	if s.keepsValue() {
		return latch.MaxIDLength
	}
	return MaxLength
}

// validValue is the package's validValue within the storage's limit.
func (h *handler) validValue(v string) bool {
	return len(v) <= h.storage.maxValue() && validValue(v)
}

// validValue reports whether v may be a token value: 1 to MaxLength bytes
// of printable ASCII. Anything else is refused before a store sees it.
func validValue(v string) bool {
	if v == "" || len(v) > MaxLength {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// validUserID reports whether id may be a user id (see latch's checks).
func validUserID(id string) bool {
	if id == "" || len(id) > latch.MaxIDLength || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// validName reports whether a handler name is 1 to 64 bytes of letters,
// digits, '-', '_' and '.'. Other characters (':' in particular) are left
// for the names Latch derives from it, such as a reset handler's
// "<name>:issue" counter.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// maxPutTries is how many values Issue tries when the store reports the
// (kind, id) as taken: the first and three retries. With the default
// generators a collision is practically impossible (10^-60 for 43
// characters); a short custom or numeric one can collide, and a constant
// one always does, which ends in ErrDuplicateToken.
const maxPutTries = 4

// handler is what every token kind shares: the Auth, its token store, the
// kind name, expiry, storage and generator.
type handler struct {
	auth  *latch.Auth
	store latch.TokenStore
	// storeHasUsers: the token store keeps users too, so it refuses a
	// token of a missing user (see checkUserBeforePut).
	storeHasUsers bool
	kind          string
	expiresIn     time.Duration
	storage       Storage
}

// config names a constructor and its options type in configuration errors.
type config struct {
	ctor, opts, name string
}

// errorf returns an error naming the constructor, the handler and the
// options field.
func (c config) errorf(field, format string, args ...any) error {
	return fmt.Errorf("token: %s %q: %s.%s %s", c.ctor, c.name, c.opts, field, fmt.Sprintf(format, args...))
}

// newHandler checks what every handler needs. It does not register the
// kind: constructors do that last, once every option is valid, so a
// refused configuration does not reserve the name.
func newHandler(auth *latch.Auth, c config, expiresIn time.Duration, storage Storage) (handler, error) {
	switch {
	case auth == nil:
		return handler{}, fmt.Errorf("token: %s: nil *latch.Auth", c.ctor)
	case auth.TokenStore() == nil:
		return handler{}, fmt.Errorf("token: %s %q: the Auth has no token store (set latch.Config.Tokens or latch.Config.Store)", c.ctor, c.name)
	case !validName(c.name):
		return handler{}, fmt.Errorf("token: %s: name %q: want 1 to 64 letters, digits, '-', '_' or '.'", c.ctor, c.name)
	case expiresIn < time.Second:
		return handler{}, c.errorf("ExpiresIn", "is %v: want at least 1s", expiresIn)
	}
	if err := storage.check(); err != nil {
		return handler{}, c.errorf("Storage", "is %v", err)
	}
	_, hasUsers := auth.TokenStore().(latch.UserStore)
	return handler{auth: auth, store: auth.TokenStore(), storeHasUsers: hasUsers, kind: c.name, expiresIn: expiresIn, storage: storage}, nil
}

// register reserves the handler's kind on its Auth.
func (h *handler) register(c config) error {
	if err := h.auth.RegisterTokenKind(h.kind); err != nil {
		return fmt.Errorf("token: %s: %w", c.ctor, err)
	}
	return nil
}

// checkLength validates a Length option and returns it or def.
func checkLength(c config, storage Storage, length, def int) (int, error) {
	if length == 0 {
		return def, nil
	}
	if max := storage.maxValue(); length < 1 || length > max {
		if storage.keepsValue() {
			return 0, c.errorf("Length", "is %d: want 1 to %d with Plain storage", length, max)
		}
		return 0, c.errorf("Length", "is %d: want 1 to %d", length, max)
	}
	return length, nil
}

// wrap prefixes err with the handler's name and the operation.
func (h *handler) wrap(op string, err error) error {
	return fmt.Errorf("token: %s: %s: %w", h.kind, op, err)
}

// checkUser returns nil when the user exists.
func (h *handler) checkUser(ctx context.Context, op, userID string) error {
	if _, err := h.auth.GetUser(ctx, userID); err != nil {
		if errors.Is(err, latch.ErrInvalidUserID) {
			return h.wrap(op, latch.ErrInvalidUserID)
		}
		return h.wrap(op, err)
	}
	return nil
}

// checkUserBeforePut is checkUser where the token store cannot tell a
// missing user itself. A store that also keeps users refuses a token of a
// missing user with ErrNotFound (the storage contract, checked by
// store/storetest), which put reports as latch.ErrInvalidUserID: asking the
// user store first would only repeat that check, at the cost of a read.
func (h *handler) checkUserBeforePut(ctx context.Context, op, userID string) error {
	if !h.storeHasUsers {
		return h.checkUser(ctx, op, userID)
	}
	if !validUserID(userID) {
		return h.wrap(op, latch.ErrInvalidUserID)
	}
	return nil
}

// put stores a new token for the user with a fresh value from gen, trying
// again with another value when the id is taken. data, when not nil,
// computes the payload from the value (a one-time token seals the session
// token with it).
func (h *handler) put(ctx context.Context, op, userID, sessionID string, gen func() (string, error), data func(value string) ([]byte, error)) (Token, error) {
	for range maxPutTries {
		value, err := gen()
		if err != nil {
			return Token{}, h.wrap(op, fmt.Errorf("generating a value: %w", err))
		}
		if !h.validValue(value) {
			return Token{}, h.wrap(op, fmt.Errorf("the generator returned an unusable value (want 1 to %d bytes of printable ASCII)", h.storage.maxValue()))
		}
		id, err := h.storage.id(value)
		if err != nil {
			return Token{}, h.wrap(op, err)
		}
		rec := latch.TokenRecord{
			ID: id, Kind: h.kind, UserID: userID,
			Expires:   h.auth.Now().Add(h.expiresIn).UnixMilli(),
			SessionID: sessionID,
		}
		if data != nil {
			if rec.Data, err = data(value); err != nil {
				return Token{}, h.wrap(op, err)
			}
		}
		err = h.putRecord(ctx, rec)
		switch {
		case err == nil:
			h.observe(latch.OutcomeIssued)
			return Token{Kind: h.kind, UserID: userID, ExpiresAt: msTime(rec.Expires), value: value}, nil
		case errors.Is(err, latch.ErrDuplicate):
			continue
		case errors.Is(err, latch.ErrNotFound): // no such user (see checkUserBeforePut)
			return Token{}, h.wrap(op, latch.ErrInvalidUserID)
		default:
			return Token{}, h.wrap(op, err)
		}
	}
	return Token{}, h.wrap(op, ErrDuplicateToken)
}

// putRecord stores the token and raises latch.EventTokenIssued; in one
// transaction when the Auth records events (latch.Config.RecordEvent), so
// that the event's durable record and the token commit together.
func (h *handler) putRecord(ctx context.Context, rec latch.TokenRecord) error {
	put := func(ctx context.Context) error {
		if err := h.store.PutToken(ctx, rec); err != nil {
			h.auth.ObserveStoreError("tokens", "put_token", err)
			return err
		}
		return h.auth.RaiseEvent(ctx, latch.Event{Type: latch.EventTokenIssued, UserID: rec.UserID, Data: map[string]string{"kind": h.kind}})
	}
	if !h.auth.RecordsEvents() {
		return put(ctx)
	}
	return h.auth.InTx(ctx, put)
}

// observe reports an outcome of this kind of token (latch.Config.Observe).
func (h *handler) observe(outcome string) {
	h.auth.Observe(latch.Observation{Subject: latch.ObserveToken, Kind: h.kind, Outcome: outcome})
}

// take consumes the token with this value (of this user, when userID is
// not ""). It returns the record even when it has expired, with the
// expired flag, so the caller decides; an unknown value is ErrInvalidToken.
// It reports the outcome: invalid, expired, or consumed (with
// latch.EventTokenConsumed).
func (h *handler) take(ctx context.Context, op, value, userID string) (latch.TokenRecord, bool, error) {
	rec, expired, err := h.takeQuiet(ctx, op, value, userID)
	switch {
	case errors.Is(err, ErrInvalidToken):
		h.observe(latch.OutcomeInvalid)
	case err != nil:
	case expired:
		h.observe(latch.OutcomeExpired)
	default:
		h.observe(latch.OutcomeConsumed)
		if err := h.auth.RaiseEvent(ctx, latch.Event{Type: latch.EventTokenConsumed, UserID: rec.UserID, Data: map[string]string{"kind": h.kind}}); err != nil {
			return latch.TokenRecord{}, false, h.wrap(op, err)
		}
	}
	return rec, expired, err
}

// takeQuiet is take without reporting: for deletes that are no use.
func (h *handler) takeQuiet(ctx context.Context, op, value, userID string) (latch.TokenRecord, bool, error) {
	if !h.validValue(value) {
		return latch.TokenRecord{}, false, h.wrap(op, ErrInvalidToken)
	}
	id, err := h.storage.id(value)
	if err != nil {
		return latch.TokenRecord{}, false, h.wrap(op, err)
	}
	rec, err := h.store.TakeToken(ctx, h.kind, id, userID)
	if err != nil {
		h.auth.ObserveStoreError("tokens", "take_token", err)
		if errors.Is(err, latch.ErrNotFound) {
			return latch.TokenRecord{}, false, h.wrap(op, ErrInvalidToken)
		}
		return latch.TokenRecord{}, false, h.wrap(op, err)
	}
	return rec, h.auth.Now().UnixMilli() >= rec.Expires, nil
}

// peek reads the token with this value without consuming it.
func (h *handler) peek(ctx context.Context, op, value string) (Token, error) {
	if !validValue(value) {
		return Token{}, h.wrap(op, ErrInvalidToken)
	}
	id, err := h.storage.id(value)
	if err != nil {
		return Token{}, h.wrap(op, err)
	}
	rec, err := h.store.GetToken(ctx, h.kind, id)
	if errors.Is(err, latch.ErrNotFound) {
		return Token{}, h.wrap(op, ErrInvalidToken)
	}
	if err != nil {
		return Token{}, h.wrap(op, err)
	}
	if h.auth.Now().UnixMilli() >= rec.Expires {
		return Token{}, h.wrap(op, ErrExpiredToken)
	}
	return Token{Kind: h.kind, UserID: rec.UserID, ExpiresAt: msTime(rec.Expires), value: value}, nil
}

// validate consumes a token and returns it, or ErrExpiredToken when it had
// expired (it is consumed all the same).
func (h *handler) validate(ctx context.Context, op, value, userID string) (Token, error) {
	rec, expired, err := h.take(ctx, op, value, userID)
	if err != nil {
		return Token{}, err
	}
	if expired {
		return Token{}, h.wrap(op, ErrExpiredToken)
	}
	return Token{Kind: h.kind, UserID: rec.UserID, ExpiresAt: msTime(rec.Expires), value: value}, nil
}

// invalidate deletes the token with this value; bad values are ignored.
func (h *handler) invalidate(ctx context.Context, value string) error {
	if !h.validValue(value) {
		return nil
	}
	id, err := h.storage.id(value)
	if err != nil {
		return h.wrap("invalidate", err)
	}
	if err := h.store.DeleteToken(ctx, h.kind, id); err != nil {
		return h.wrap("invalidate", err)
	}
	return nil
}

// invalidateAll deletes the user's tokens of this kind.
func (h *handler) invalidateAll(ctx context.Context, userID string) error {
	if !validUserID(userID) {
		return nil
	}
	if err := h.store.DeleteUserTokens(ctx, userID, h.kind); err != nil {
		return h.wrap("invalidate user tokens", err)
	}
	return nil
}

// list returns the user's tokens of this kind, valid and expired, earliest
// expiry first. Values are set only with Plain storage.
func (h *handler) list(ctx context.Context, userID string) ([]Token, error) {
	const op = "get user tokens"
	if err := h.checkUser(ctx, op, userID); err != nil {
		return nil, err
	}
	recs, err := h.store.ListTokens(ctx, userID, h.kind)
	if err != nil {
		return nil, h.wrap(op, err)
	}
	// Stores list in no particular order; sort by expiry, then stored id.
	slices.SortFunc(recs, func(a, b latch.TokenRecord) int {
		return cmp.Or(cmp.Compare(a.Expires, b.Expires), strings.Compare(a.ID, b.ID))
	})
	now := h.auth.Now().UnixMilli()
	out := make([]Token, 0, len(recs))
	for _, r := range recs {
		t := Token{Kind: h.kind, UserID: r.UserID, ExpiresAt: msTime(r.Expires), expired: now >= r.Expires}
		if h.storage.keepsValue() {
			t.value = r.ID
		}
		out = append(out, t)
	}
	return out, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// DeleteExpired removes every expired token of every kind from the Auth's
// token store, with the attempt counters whose window has ended, and
// returns how many tokens it removed. Run it from time to time (latchd
// does); validation refuses expired tokens whether or not they were purged.
func DeleteExpired(ctx context.Context, auth *latch.Auth) (int64, error) {
	if auth == nil || auth.TokenStore() == nil {
		return 0, errors.New("token: delete expired: the Auth has no token store")
	}
	n, err := auth.TokenStore().DeleteExpiredTokens(ctx, auth.Now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("token: delete expired: %w", err)
	}
	return n, nil
}
