package latch

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/latchauth/latch/password"
)

// Profile selects how Latch lays out what it stores.
type Profile string

const (
	// ProfileDefault keeps session tokens as SHA-256 digests and hashes new
	// passwords with Argon2id.
	ProfileDefault Profile = ""
	// ProfileLucia2 reads and writes a Lucia v2 database as it is: session
	// ids stored as they are, new passwords hashed in Lucia's "s2:" scrypt format.
	ProfileLucia2 Profile = "lucia2"
)

// Env is the deployment environment; the HTTP layer reads it for cookie
// settings (no Secure attribute in dev, so http://localhost works).
type Env string

const (
	EnvProd Env = "prod"
	EnvDev  Env = "dev"
)

// PasswordHasher hashes and verifies passwords. The password package
// provides Argon2id and Lucia's scrypt; Verify must accept every format the
// application still has in its database.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) (bool, error)
}

// rehasher is implemented by hashers that can tell when a stored hash should
// be replaced by a new one (an older format or weaker parameters).
type rehasher interface {
	NeedsRehash(hash string) bool
}

// Config configures an Auth. The zero value of each field is replaced by its
// documented default in New.
type Config struct {
	// Store keeps everything; it fills whichever of Users, Keys, Sessions
	// and Tokens is nil. Set those to split storage, e.g. sessions and tokens
	// in Redis and users and keys in SQL.
	Store    Store
	Users    UserStore
	Keys     KeyStore
	Sessions SessionStore
	Tokens   TokenStore
	// Activity keeps the security activity record. Default: Store, or
	// else Users, when it implements ActivityStore; none otherwise.
	Activity ActivityStore
	// KeepSessionAMR keeps sessions' authentication methods (see
	// CreateSessionOptions.AMR) in the lucia2 profile, whose session table
	// must then have a text column "amr". In the default profile they are
	// always kept.
	KeepSessionAMR bool
	// Factors keeps second factors and passkeys. Default: Store, or else
	// Users, when it implements FactorStore; none otherwise.
	Factors FactorStore
	// ActivityRetention is how long activity events are kept (see
	// Auth.PurgeActivity). Default 90 days.
	ActivityRetention time.Duration

	// Now is the clock. Default time.Now. Tests move it instead of sleeping.
	Now func() time.Time

	// ActivePeriod is how long a new or renewed session is active. Default 24 h.
	ActivePeriod time.Duration
	// IdlePeriod is how long after the active period a session can still be
	// renewed by use. Default 14 days.
	IdlePeriod time.Duration
	// SessionMaxLifetime, when positive, is an absolute timeout (ASVS
	// V3.3.2): a session dies that long after it was created however much
	// it is used; renewals never carry it past that. The creation time is
	// kept in the session attribute SessionCreatedAttribute, so a store
	// with fixed columns (store/lucia2) needs a time column of that name.
	// Sessions created while it was 0 have no such attribute and no
	// absolute timeout. Default 0: none, as in Lucia v2.
	SessionMaxLifetime time.Duration

	// Env is EnvProd (the default) or EnvDev.
	Env Env
	// Profile is ProfileDefault or ProfileLucia2.
	Profile Profile

	// PasswordHasher hashes new passwords and verifies stored ones. Default:
	// Argon2id in the default profile, Lucia's s2 scrypt in the lucia2
	// profile; both verify every format either writes.
	PasswordHasher PasswordHasher

	// GenerateUserID makes ids for users created without one. Default: 15
	// characters of a-z0-9, as in Lucia v2.
	GenerateUserID func() (string, error)
	// SessionTokenLength is the length of new session tokens, of a-z0-9.
	// Default 40 (about 206 bits), as Lucia v2's session ids.
	SessionTokenLength int

	// EmailKeysAsGiven turns off the normalisation of "email" keys (see
	// NormalizeEmailKey): keys are then stored and looked up exactly as
	// given. By default "Ada@Example.com" and "ada@example.com" are one key.
	EmailKeysAsGiven bool
}

// Auth is the entry point: users, keys and sessions. It is safe for
// concurrent use.
type Auth struct {
	users    UserStore
	keys     KeyStore
	sessions SessionStore
	tokens   TokenStore
	joined   SessionUserGetter // non-nil when one store serves sessions and users
	tx       Transactor        // non-nil when one transactional store serves everything
	activity ActivityStore     // nil when no store keeps the activity record
	factors  FactorStore       // nil when no store keeps second factors
	keepAMR  bool

	activityRetention time.Duration
	userTx            Transactor // non-nil when one transactional store serves users and keys

	now          func() time.Time
	activePeriod time.Duration
	idlePeriod   time.Duration
	maxLifetime  time.Duration
	env          Env
	profile      Profile
	hasher       PasswordHasher
	genUserID    func() (string, error)
	tokenLength  int
	emailAsIs    bool

	dummyOnce sync.Once
	dummyHash string

	kindsMu sync.Mutex
	kinds   map[string]bool // token kinds registered by handlers
}

// New validates cfg, fills in defaults and returns an Auth.
func New(cfg Config) (*Auth, error) {
	a := &Auth{
		users: cfg.Users, keys: cfg.Keys, sessions: cfg.Sessions, tokens: cfg.Tokens,
		now: cfg.Now, activePeriod: cfg.ActivePeriod, idlePeriod: cfg.IdlePeriod,
		maxLifetime: cfg.SessionMaxLifetime,
		env:         cfg.Env, profile: cfg.Profile, hasher: cfg.PasswordHasher,
		genUserID: cfg.GenerateUserID, tokenLength: cfg.SessionTokenLength,
		emailAsIs: cfg.EmailKeysAsGiven,
		kinds:     map[string]bool{},
	}
	if cfg.Store != nil {
		if a.users == nil {
			a.users = cfg.Store
		}
		if a.keys == nil {
			a.keys = cfg.Store
		}
		if a.sessions == nil {
			a.sessions = cfg.Store
		}
		if a.tokens == nil {
			a.tokens = cfg.Store
		}
	}
	switch {
	case a.users == nil:
		return nil, errors.New("latch: Config.Users (or Config.Store) is required")
	case a.keys == nil:
		return nil, errors.New("latch: Config.Keys (or Config.Store) is required")
	case a.sessions == nil:
		return nil, errors.New("latch: Config.Sessions (or Config.Store) is required")
	}
	a.activity, a.activityRetention = cfg.Activity, cfg.ActivityRetention
	if a.activity == nil {
		if as, ok := cfg.Store.(ActivityStore); ok {
			a.activity = as
		} else if as, ok := a.users.(ActivityStore); ok {
			a.activity = as
		}
	}
	a.factors, a.keepAMR = cfg.Factors, cfg.KeepSessionAMR
	if a.factors == nil {
		if fs, ok := cfg.Store.(FactorStore); ok {
			a.factors = fs
		} else if fs, ok := a.users.(FactorStore); ok {
			a.factors = fs
		}
	}
	if a.activityRetention < 0 {
		return nil, errors.New("latch: Config.ActivityRetention is negative")
	}
	if a.activityRetention == 0 {
		a.activityRetention = 90 * 24 * time.Hour
	}
	if g, ok := a.sessions.(SessionUserGetter); ok && sameValue(a.sessions, a.users) {
		a.joined = g
	}
	if t, ok := a.users.(Transactor); ok && sameValue(a.users, a.keys) && sameValue(a.users, a.sessions) &&
		(a.tokens == nil || sameValue(a.users, a.tokens)) {
		a.tx = t
	}
	if t, ok := a.users.(Transactor); ok && sameValue(a.users, a.keys) {
		a.userTx = t
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.activePeriod == 0 {
		a.activePeriod = 24 * time.Hour
	}
	if a.idlePeriod == 0 {
		a.idlePeriod = 14 * 24 * time.Hour
	}
	if a.maxLifetime < 0 {
		return nil, fmt.Errorf("latch: Config.SessionMaxLifetime must not be negative")
	}
	if a.activePeriod < time.Second || a.idlePeriod < 0 {
		return nil, fmt.Errorf("latch: Config.ActivePeriod must be at least 1s and Config.IdlePeriod not negative")
	}
	switch a.env {
	case "":
		a.env = EnvProd
	case EnvProd, EnvDev:
	default:
		return nil, fmt.Errorf("latch: Config.Env %q: want %q or %q", a.env, EnvProd, EnvDev)
	}
	switch a.profile {
	case ProfileDefault, ProfileLucia2:
	default:
		return nil, fmt.Errorf("latch: Config.Profile %q: want \"\" or %q", a.profile, ProfileLucia2)
	}
	if a.hasher == nil {
		if a.profile == ProfileLucia2 {
			a.hasher = password.Scrypt{}
		} else {
			a.hasher = password.Argon2id{}
		}
	}
	if a.genUserID == nil {
		a.genUserID = func() (string, error) { return RandomString(15, AlphabetLowerNumeric) }
	}
	if a.tokenLength == 0 {
		a.tokenLength = 40
	}
	if a.tokenLength < 22 || a.tokenLength > 255 {
		return nil, fmt.Errorf("latch: Config.SessionTokenLength %d: want 22 to 255", a.tokenLength)
	}
	return a, nil
}

// sameValue reports whether two interface values hold the same comparable
// value (the same store pointer, typically).
func sameValue(x, y any) bool {
	if x == nil || y == nil {
		return false
	}
	if !reflect.TypeOf(x).Comparable() || reflect.TypeOf(x) != reflect.TypeOf(y) {
		return false
	}
	return x == y
}

// Now returns the current time by the configured clock.
func (a *Auth) Now() time.Time { return a.now() }

// Env returns the configured environment.
func (a *Auth) Env() Env { return a.env }

// Profile returns the configured schema profile.
func (a *Auth) Profile() Profile { return a.profile }

// TokenStore returns the configured token store, or nil when none is set.
func (a *Auth) TokenStore() TokenStore { return a.tokens }

// RegisterTokenKind reserves a token kind name for one handler; a second
// registration of the same name on this Auth is an error. Token handlers
// call it so that two handlers cannot read each other's tokens.
func (a *Auth) RegisterTokenKind(kind string) error {
	if kind == "" {
		return errors.New("latch: empty token kind")
	}
	a.kindsMu.Lock()
	defer a.kindsMu.Unlock()
	if a.kinds[kind] {
		return fmt.Errorf("latch: a token handler named %q already exists on this Auth", kind)
	}
	a.kinds[kind] = true
	return nil
}

// TokenKinds returns the token kinds registered on this Auth by its token
// handlers, sorted: what "every token of a user" means when an account
// change voids them (see TokenStore.DeleteUserTokens).
func (a *Auth) TokenKinds() []string {
	a.kindsMu.Lock()
	defer a.kindsMu.Unlock()
	out := make([]string, 0, len(a.kinds))
	for k := range a.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
