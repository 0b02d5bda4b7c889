package postgres

// The store's statements. They are constants: pgx prepares each one on a
// connection the first time it runs there and keeps it in the connection's
// statement cache, so every later call is a bind and execute of a plan
// PostgreSQL already has.

// Columns read for each record, in the order the scan code expects.
const (
	sessionColumns = "user_id, active_expires, idle_expires, attributes"
	tokenColumns   = "kind, id, user_id, expires, session_id, data"
)

// Users.
const (
	insertUser = "INSERT INTO latch_user (id, attributes) VALUES ($1, $2)"
	getUser    = "SELECT attributes FROM latch_user WHERE id = $1"
	// FOR UPDATE: concurrent merges of one row wait for each other
	// instead of overwriting each other's keys.
	lockUserAttributes   = "SELECT attributes FROM latch_user WHERE id = $1 FOR UPDATE"
	updateUserAttributes = "UPDATE latch_user SET attributes = $2 WHERE id = $1"
	// Keys, sessions, tokens and counters go with the user: ON DELETE CASCADE.
	deleteUser = "DELETE FROM latch_user WHERE id = $1"
)

// Keys.
const (
	insertKey         = "INSERT INTO latch_key (id, user_id, hashed_password) VALUES ($1, $2, $3)"
	getKey            = "SELECT user_id, hashed_password FROM latch_key WHERE id = $1"
	listKeys          = "SELECT id, hashed_password FROM latch_key WHERE user_id = $1"
	updateKeyPassword = "UPDATE latch_key SET hashed_password = $2 WHERE id = $1"
	deleteKey         = "DELETE FROM latch_key WHERE id = $1"
	deleteUserKeys    = "DELETE FROM latch_key WHERE user_id = $1"
)

// Sessions.
const (
	insertSession = `INSERT INTO latch_session (id, user_id, active_expires, idle_expires, attributes)
		VALUES ($1, $2, $3, $4, $5)`
	getSession = "SELECT " + sessionColumns + " FROM latch_session WHERE id = $1"
	// The validation hot path: the session and its user in one round trip,
	// one primary-key lookup each.
	getSessionAndUser = `SELECT s.user_id, s.active_expires, s.idle_expires, s.attributes, u.attributes
		FROM latch_session AS s JOIN latch_user AS u ON u.id = s.user_id WHERE s.id = $1`
	listSessions              = "SELECT id, " + sessionColumns + " FROM latch_session WHERE user_id = $1"
	updateSessionExpiry       = "UPDATE latch_session SET active_expires = $2, idle_expires = $3 WHERE id = $1"
	lockSessionAttributes     = "SELECT attributes FROM latch_session WHERE id = $1 FOR UPDATE"
	updateSessionAttributes   = "UPDATE latch_session SET attributes = $2 WHERE id = $1"
	deleteSession             = "DELETE FROM latch_session WHERE id = $1"
	deleteUserSessions        = "DELETE FROM latch_session WHERE user_id = $1"
	deleteExpiredSessions     = "DELETE FROM latch_session WHERE idle_expires <= $1"
	deleteExpiredUserSessions = "DELETE FROM latch_session WHERE user_id = $1 AND idle_expires <= $2"
)

// Tokens and attempt counters.
const (
	insertToken = `INSERT INTO latch_token (kind, id, user_id, expires, session_id, data)
		VALUES ($1, $2, $3, $4, $5, $6)`
	// The single-use primitive: of concurrent DELETEs of one row, the first
	// deletes and returns it; the others wait for its row lock, then find
	// the row gone and return nothing.
	takeToken             = "DELETE FROM latch_token WHERE kind = $1 AND id = $2 RETURNING " + tokenColumns
	takeUserToken         = "DELETE FROM latch_token WHERE kind = $1 AND id = $2 AND user_id = $3 RETURNING " + tokenColumns
	getToken              = "SELECT " + tokenColumns + " FROM latch_token WHERE kind = $1 AND id = $2"
	listTokens            = "SELECT " + tokenColumns + " FROM latch_token WHERE user_id = $1 AND kind = $2"
	deleteToken           = "DELETE FROM latch_token WHERE kind = $1 AND id = $2"
	deleteUserKindTokens  = "DELETE FROM latch_token WHERE user_id = $1 AND kind = $2"
	deleteUserTokens      = "DELETE FROM latch_token WHERE user_id = $1"
	deleteExpiredTokens   = "DELETE FROM latch_token WHERE expires <= $1"
	deleteExpiredAttempts = "DELETE FROM latch_token_attempt WHERE expires <= $1"

	// One statement: the first attempt inserts the counter; later ones
	// update it under its row lock, so concurrent calls queue and each
	// returns its own count. A counter whose window has ended ($3 = now)
	// starts again at 1 with the new expiry ($4). Both SET expressions read
	// the row as it was before the update.
	addAttempt = `INSERT INTO latch_token_attempt AS a (kind, user_id, count, expires) VALUES ($1, $2, 1, $4)
		ON CONFLICT (kind, user_id) DO UPDATE SET
			count = CASE WHEN a.expires <= $3 THEN 1 ELSE a.count + 1 END,
			expires = CASE WHEN a.expires <= $3 THEN $4 ELSE a.expires END
		RETURNING count`
	attempts      = "SELECT count FROM latch_token_attempt WHERE kind = $1 AND user_id = $2 AND expires > $3"
	resetAttempts = "DELETE FROM latch_token_attempt WHERE kind = $1 AND user_id = $2"
)
