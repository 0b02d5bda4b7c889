package latch

import "context"

// The storage contracts. They are split by concern so that one backend can
// keep sessions and tokens (Redis) while another keeps users and keys (SQL).
// Every method takes a context first. Times are absolute Unix milliseconds
// (UTC). A store never decides whether something has expired: Auth does; a
// store only compares expiry with the "now" it is given when purging.
//
// Common rules for every store:
//   - a missing row is ErrNotFound (possibly wrapped), except for deletes,
//     which succeed whatever the input;
//   - a taken primary key is ErrDuplicate (possibly wrapped);
//   - a row that refers to a missing user (a key, session or token) is
//     ErrNotFound on create;
//   - attributes round-trip with their types (see MarshalAttributes);
//   - lists return rows in no particular order, and an empty (non-nil or nil)
//     slice when there are none;
//   - ids are compared byte for byte (case-sensitive).

// UserRecord is a user as stored.
type UserRecord struct {
	ID         string
	Attributes Attributes
}

// KeyRecord is a key as stored. HashedPassword is nil for a key without a
// password (an OAuth key, say).
type KeyRecord struct {
	ID             string // providerId:providerUserId
	UserID         string
	HashedPassword *string
}

// SessionRecord is a session as stored. ID is the stored identifier: the
// SHA-256 of the session token in the default profile, the token itself in
// the lucia2 profile.
type SessionRecord struct {
	ID            string
	UserID        string
	ActiveExpires int64 // ms
	IdleExpires   int64 // ms
	Attributes    Attributes
}

// TokenRecord is a single-use token as stored. ID is the stored form of the
// token value (a digest by default). Kind is the name of the token handler
// ("email-verification", "password-reset", ...). (Kind, ID) is the primary key.
type TokenRecord struct {
	ID        string
	Kind      string
	UserID    string
	Expires   int64  // ms
	SessionID string // stored id of the session the token is bound to, or ""
	Data      []byte // opaque payload kept with the token, or nil
}

// UserStore keeps users.
type UserStore interface {
	// CreateUser stores the user and, when key is not nil, its first key, in
	// one transaction: either both exist afterwards or neither does. A taken
	// user id or key id is ErrDuplicate.
	CreateUser(ctx context.Context, user UserRecord, key *KeyRecord) error
	// GetUser returns the user, or ErrNotFound.
	GetUser(ctx context.Context, userID string) (UserRecord, error)
	// UpdateUserAttributes merges patch into the user's attributes in one
	// atomic step (keys in patch replace existing ones; a nil value is stored
	// as nil). ErrNotFound when the user does not exist.
	UpdateUserAttributes(ctx context.Context, userID string, patch Attributes) error
	// DeleteUser removes the user and everything this store holds for it
	// (keys, sessions, tokens, attempt counters, and factors and activity
	// where it keeps them). It succeeds whatever the input.
	DeleteUser(ctx context.Context, userID string) error
}

// KeyStore keeps keys.
type KeyStore interface {
	// CreateKey stores a key. ErrDuplicate when the id is taken, ErrNotFound
	// when the user does not exist.
	CreateKey(ctx context.Context, key KeyRecord) error
	// GetKey returns the key, or ErrNotFound.
	GetKey(ctx context.Context, keyID string) (KeyRecord, error)
	// ListKeys returns the user's keys.
	ListKeys(ctx context.Context, userID string) ([]KeyRecord, error)
	// UpdateKeyPassword sets (or with nil, clears) the key's password hash.
	// ErrNotFound when the key does not exist.
	UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) error
	// DeleteKey removes one key; it succeeds whatever the input.
	DeleteKey(ctx context.Context, keyID string) error
	// DeleteKeysByUser removes all of the user's keys.
	DeleteKeysByUser(ctx context.Context, userID string) error
}

// SessionStore keeps sessions.
type SessionStore interface {
	// CreateSession stores a session. ErrDuplicate when the id is taken,
	// ErrNotFound when the user does not exist (where the store can tell).
	CreateSession(ctx context.Context, s SessionRecord) error
	// GetSession returns the session, or ErrNotFound.
	GetSession(ctx context.Context, sessionID string) (SessionRecord, error)
	// ListSessions returns all of the user's sessions, dead or alive.
	ListSessions(ctx context.Context, userID string) ([]SessionRecord, error)
	// UpdateSessionExpiry sets both expiries. ErrNotFound when the session
	// does not exist.
	UpdateSessionExpiry(ctx context.Context, sessionID string, activeExpires, idleExpires int64) error
	// UpdateSessionAttributes merges patch into the session's attributes
	// atomically, like UpdateUserAttributes. ErrNotFound when missing.
	UpdateSessionAttributes(ctx context.Context, sessionID string, patch Attributes) error
	// DeleteSession removes one session; it succeeds whatever the input.
	DeleteSession(ctx context.Context, sessionID string) error
	// DeleteSessionsByUser removes all of the user's sessions.
	DeleteSessionsByUser(ctx context.Context, userID string) error
	// DeleteExpiredSessions removes sessions whose idle expiry is at or
	// before now: the user's when userID is not "", everyone's otherwise.
	// It returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, userID string, now int64) (int64, error)
}

// SessionUserGetter is implemented by stores that keep sessions and users
// together and can read both in one round trip (a SQL join). Auth uses it on
// the validation hot path when the same store serves Sessions and Users.
type SessionUserGetter interface {
	// GetSessionAndUser returns the session and its user, or ErrNotFound.
	GetSessionAndUser(ctx context.Context, sessionID string) (SessionRecord, UserRecord, error)
}

// TokenStore keeps single-use tokens and the attempt counters of numeric codes.
type TokenStore interface {
	// PutToken stores a token. ErrDuplicate when (Kind, ID) is taken,
	// ErrNotFound when the user does not exist (where the store can tell).
	PutToken(ctx context.Context, t TokenRecord) error
	// TakeToken reads and deletes the token (kind, id) in one atomic step:
	// of any number of concurrent calls for the same token, exactly one
	// returns it and the others get ErrNotFound. When userID is not "", only
	// a token of that user matches; another user's token is left in place
	// and ErrNotFound is returned. An expired token is still returned (and
	// deleted): the caller decides what expiry means.
	TakeToken(ctx context.Context, kind, id, userID string) (TokenRecord, error)
	// GetToken returns the token without consuming it, or ErrNotFound.
	GetToken(ctx context.Context, kind, id string) (TokenRecord, error)
	// ListTokens returns the user's tokens of that kind, expired ones too.
	ListTokens(ctx context.Context, userID, kind string) ([]TokenRecord, error)
	// DeleteToken removes one token; it succeeds whatever the input.
	DeleteToken(ctx context.Context, kind, id string) error
	// DeleteUserTokens removes the user's tokens of that kind, or of every
	// kind when kind is "". Attempt counters stay (ResetAttempts removes
	// one; DeleteUser removes them all).
	DeleteUserTokens(ctx context.Context, userID, kind string) error
	// DeleteExpiredTokens removes tokens whose expiry is at or before now,
	// and attempt counters whose window has ended. It returns how many
	// tokens it removed.
	DeleteExpiredTokens(ctx context.Context, now int64) (int64, error)

	// AddAttempt atomically adds one to the (kind, userID) attempt counter
	// and returns the new count. A counter whose expiry is at or before now
	// starts again from zero; the counter's expiry is set to expires when it
	// starts. Concurrent calls each see a distinct count.
	AddAttempt(ctx context.Context, kind, userID string, now, expires int64) (int, error)
	// Attempts returns the counter, 0 when absent or expired at now.
	Attempts(ctx context.Context, kind, userID string, now int64) (int, error)
	// ResetAttempts removes the counter; it succeeds whatever the input.
	ResetAttempts(ctx context.Context, kind, userID string) error
}

// Store is a backend that keeps everything.
type Store interface {
	UserStore
	KeyStore
	SessionStore
	TokenStore
}

// Transactor is implemented by stores that can run several of their calls
// as one transaction (the SQL stores). InTx calls fn with a context that
// carries the transaction: every call on the store made with that context
// (or one derived from it) joins the transaction, which is committed when fn
// returns nil and rolled back when it returns an error or panics. Calls
// made with another context do not join it, and on a store with a single
// writer (SQLite) they wait until it ends: inside fn, use fn's context. An
// InTx called with a context that already carries a transaction of the same
// store joins it.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}
