package mysql

import (
	"context"
	"database/sql"
	"errors"
)

// The store's statements. Each is prepared once per Store (see stmts) and
// run outside transactions directly, inside them through Tx.StmtContext,
// which reuses the connection's prepared copy.
const (
	sqlCreateUser        = "INSERT INTO latch_user (id, attributes) VALUES (?, ?)"
	sqlGetUser           = "SELECT attributes FROM latch_user WHERE id = ?"
	sqlLockUser          = "SELECT attributes FROM latch_user WHERE id = ? FOR UPDATE"
	sqlSetUserAttributes = "UPDATE latch_user SET attributes = ? WHERE id = ?"
	// Keys, sessions, tokens and counters go with the user: ON DELETE CASCADE.
	sqlDeleteUser = "DELETE FROM latch_user WHERE id = ?"

	// Administration: pages in byte order (VARBINARY) of the primary key;
	// the key list reads from the prefix on and the caller stops at the
	// first id past it, so no LIKE pattern is needed.
	sqlListUsers    = "SELECT id, attributes FROM latch_user WHERE id > ? ORDER BY id LIMIT ?"
	sqlListKeyUsers = `SELECT k.id, u.id, u.attributes FROM latch_key AS k JOIN latch_user AS u ON u.id = k.user_id
		WHERE k.id >= ? AND k.id > ? ORDER BY k.id LIMIT ?`

	sqlCreateKey         = "INSERT INTO latch_key (id, user_id, hashed_password) VALUES (?, ?, ?)"
	sqlGetKey            = "SELECT user_id, hashed_password FROM latch_key WHERE id = ?"
	sqlKeyExists         = "SELECT 1 FROM latch_key WHERE id = ?"
	sqlListKeys          = "SELECT id, hashed_password FROM latch_key WHERE user_id = ?"
	sqlUpdateKeyPassword = "UPDATE latch_key SET hashed_password = ? WHERE id = ?"
	sqlDeleteKey         = "DELETE FROM latch_key WHERE id = ?"
	sqlDeleteUserKeys    = "DELETE FROM latch_key WHERE user_id = ?"

	sqlCreateSession = "INSERT INTO latch_session (id, user_id, active_expires, idle_expires, attributes) VALUES (?, ?, ?, ?, ?)"
	sqlGetSession    = "SELECT user_id, active_expires, idle_expires, attributes FROM latch_session WHERE id = ?"
	// The validation hot path: session and user in one round trip.
	sqlGetSessionAndUser = "SELECT s.user_id, s.active_expires, s.idle_expires, s.attributes, u.attributes" +
		" FROM latch_session AS s JOIN latch_user AS u ON u.id = s.user_id WHERE s.id = ?"
	sqlSessionExists             = "SELECT 1 FROM latch_session WHERE id = ?"
	sqlListSessions              = "SELECT id, active_expires, idle_expires, attributes FROM latch_session WHERE user_id = ?"
	sqlUpdateSessionExpiry       = "UPDATE latch_session SET active_expires = ?, idle_expires = ? WHERE id = ?"
	sqlLockSession               = "SELECT attributes FROM latch_session WHERE id = ? FOR UPDATE"
	sqlSetSessionAttributes      = "UPDATE latch_session SET attributes = ? WHERE id = ?"
	sqlDeleteSession             = "DELETE FROM latch_session WHERE id = ?"
	sqlDeleteUserSessions        = "DELETE FROM latch_session WHERE user_id = ?"
	sqlDeleteExpiredSessions     = "DELETE FROM latch_session WHERE idle_expires <= ?"
	sqlDeleteExpiredUserSessions = "DELETE FROM latch_session WHERE user_id = ? AND idle_expires <= ?"

	sqlPutToken = "INSERT INTO latch_token (kind, id, user_id, expires, session_id, data) VALUES (?, ?, ?, ?, ?, ?)"
	sqlGetToken = "SELECT user_id, expires, session_id, data FROM latch_token WHERE kind = ? AND id = ?"
	// TakeToken's lock: of concurrent takers, the first holds the row until
	// it has deleted it and committed; the others then read no row.
	sqlLockToken          = sqlGetToken + " FOR UPDATE"
	sqlDeleteToken        = "DELETE FROM latch_token WHERE kind = ? AND id = ?"
	sqlListTokens         = "SELECT id, expires, session_id, data FROM latch_token WHERE user_id = ? AND kind = ?"
	sqlDeleteUserTokens   = "DELETE FROM latch_token WHERE user_id = ?"
	sqlDeleteUserKind     = "DELETE FROM latch_token WHERE user_id = ? AND kind = ?"
	sqlDeleteExpiredToken = "DELETE FROM latch_token WHERE expires <= ?"

	// A counter whose window has ended starts again at 1 with the new
	// expiry. The assignments run left to right, so count's still sees the
	// old expires. Arguments: kind, user, expires, now, now, expires.
	sqlAddAttempt = "INSERT INTO latch_token_attempt (kind, user_id, count, expires) VALUES (?, ?, 1, ?)" +
		" ON DUPLICATE KEY UPDATE count = IF(expires <= ?, 1, count + 1), expires = IF(expires <= ?, ?, expires)"
	sqlReadAttempt           = "SELECT count FROM latch_token_attempt WHERE kind = ? AND user_id = ?"
	sqlAttempts              = "SELECT count FROM latch_token_attempt WHERE kind = ? AND user_id = ? AND expires > ?"
	sqlResetAttempts         = "DELETE FROM latch_token_attempt WHERE kind = ? AND user_id = ?"
	sqlDeleteExpiredAttempts = "DELETE FROM latch_token_attempt WHERE expires <= ?"

	sqlAddActivity  = "INSERT INTO latch_activity (user_id, id, type, at, ip, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?, ?)"
	sqlListActivity = `SELECT id, type, at, ip, user_agent, detail FROM latch_activity
		WHERE user_id = ? AND (? = 0 OR at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC LIMIT ?`
	sqlDeleteActivity       = "DELETE FROM latch_activity WHERE user_id = ?"
	sqlDeleteActivityBefore = "DELETE FROM latch_activity WHERE at < ?"
)

// stmts are the prepared statements, one field per constant above.
type stmts struct {
	createUser, getUser, lockUser, setUserAttributes, deleteUser *sql.Stmt

	createKey, getKey, keyExists, listKeys, updateKeyPassword, deleteKey, deleteUserKeys *sql.Stmt

	createSession, getSession, getSessionAndUser, sessionExists, listSessions *sql.Stmt
	updateSessionExpiry, lockSession, setSessionAttributes                    *sql.Stmt
	deleteSession, deleteUserSessions, deleteExpiredSessions                  *sql.Stmt
	deleteExpiredUserSessions                                                 *sql.Stmt

	putToken, getToken, lockToken, deleteToken, listTokens *sql.Stmt
	deleteUserTokens, deleteUserKind, deleteExpiredTokens  *sql.Stmt

	addAttempt, readAttempt, attempts, resetAttempts *sql.Stmt
	deleteExpiredAttempts                            *sql.Stmt

	addActivity, listActivity, deleteActivity, deleteActivityBefore *sql.Stmt

	listUsers, listKeyUsers *sql.Stmt

	// shared are the statements of the code the SQL stores share (the
	// factors), by text.
	shared map[string]*sql.Stmt
}

// all pairs each field of q with its statement's text.
func (q *stmts) all() []struct {
	p    **sql.Stmt
	text string
} {
	return []struct {
		p    **sql.Stmt
		text string
	}{
		{&q.createUser, sqlCreateUser}, {&q.getUser, sqlGetUser}, {&q.lockUser, sqlLockUser},
		{&q.setUserAttributes, sqlSetUserAttributes}, {&q.deleteUser, sqlDeleteUser},

		{&q.createKey, sqlCreateKey}, {&q.getKey, sqlGetKey}, {&q.keyExists, sqlKeyExists},
		{&q.listKeys, sqlListKeys}, {&q.updateKeyPassword, sqlUpdateKeyPassword},
		{&q.deleteKey, sqlDeleteKey}, {&q.deleteUserKeys, sqlDeleteUserKeys},

		{&q.createSession, sqlCreateSession}, {&q.getSession, sqlGetSession},
		{&q.getSessionAndUser, sqlGetSessionAndUser}, {&q.sessionExists, sqlSessionExists},
		{&q.listSessions, sqlListSessions}, {&q.updateSessionExpiry, sqlUpdateSessionExpiry},
		{&q.lockSession, sqlLockSession}, {&q.setSessionAttributes, sqlSetSessionAttributes},
		{&q.deleteSession, sqlDeleteSession}, {&q.deleteUserSessions, sqlDeleteUserSessions},
		{&q.deleteExpiredSessions, sqlDeleteExpiredSessions},
		{&q.deleteExpiredUserSessions, sqlDeleteExpiredUserSessions},

		{&q.putToken, sqlPutToken}, {&q.getToken, sqlGetToken}, {&q.lockToken, sqlLockToken},
		{&q.deleteToken, sqlDeleteToken}, {&q.listTokens, sqlListTokens},
		{&q.deleteUserTokens, sqlDeleteUserTokens}, {&q.deleteUserKind, sqlDeleteUserKind},
		{&q.deleteExpiredTokens, sqlDeleteExpiredToken},

		{&q.addAttempt, sqlAddAttempt}, {&q.readAttempt, sqlReadAttempt}, {&q.attempts, sqlAttempts},
		{&q.resetAttempts, sqlResetAttempts},
		{&q.deleteExpiredAttempts, sqlDeleteExpiredAttempts},

		{&q.addActivity, sqlAddActivity}, {&q.listActivity, sqlListActivity},
		{&q.deleteActivity, sqlDeleteActivity}, {&q.deleteActivityBefore, sqlDeleteActivityBefore},

		{&q.listUsers, sqlListUsers}, {&q.listKeyUsers, sqlListKeyUsers},
	}
}

// prepare prepares every statement on db, and the shared ones; on failure
// it closes those it prepared.
func prepare(ctx context.Context, db *sql.DB, shared []string) (*stmts, error) {
	q := &stmts{shared: make(map[string]*sql.Stmt, len(shared))}
	for _, s := range q.all() {
		st, err := db.PrepareContext(ctx, s.text)
		if err != nil {
			_ = q.close()
			return nil, err
		}
		*s.p = st
	}
	for _, text := range shared {
		st, err := db.PrepareContext(ctx, text)
		if err != nil {
			_ = q.close()
			return nil, err
		}
		q.shared[text] = st
	}
	return q, nil
}

// close closes the prepared statements.
func (q *stmts) close() error {
	var errs []error
	for _, s := range q.all() {
		if *s.p != nil {
			errs = append(errs, (*s.p).Close())
		}
	}
	for _, st := range q.shared {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
