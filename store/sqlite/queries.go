package sqlite

// queries are the store's statements outside transactions, each prepared
// on first use on the pool that runs it: reads on the reader pool, writes
// on the writer.
type queries struct {
	// Reads.
	getUser, getSessionAndUser, getSession, listSessions *stmt
	getKey, listKeys                                     *stmt
	getToken, listTokens, attempts                       *stmt
	listUsers, listKeyUsers                              *stmt

	// Writes.
	deleteUser                                                            *stmt
	createKey, updateKeyPassword, deleteKey, deleteKeysByUser             *stmt
	createSession, updateSessionExpiry, deleteSession, deleteUserSessions *stmt
	deleteExpiredSessions, deleteExpiredUserSessions                      *stmt
	putToken, takeToken, deleteToken, deleteUserTokens, deleteUserKind    *stmt
	addAttempt, resetAttempts                                             *stmt

	// The activity record.
	addActivity, listActivity, deleteActivity, deleteActivityBefore *stmt
}

// Columns read for each record, in the order the scan helpers expect.
const (
	sessionColumns = "user_id, active_expires, idle_expires, attributes"
	tokenColumns   = "kind, id, user_id, expires, session_id, data, data IS NOT NULL"
)

func (s *Store) queries() queries {
	r, w := s.reader, s.writer
	return queries{
		getUser: s.newStmt(r, "SELECT attributes FROM latch_user WHERE id = ?"),
		// The validation hot path: session and user in one lookup each.
		getSessionAndUser: s.newStmt(r, `SELECT s.user_id, s.active_expires, s.idle_expires, s.attributes, u.attributes
			FROM latch_session AS s JOIN latch_user AS u ON u.id = s.user_id WHERE s.id = ?`),
		getSession:   s.newStmt(r, "SELECT "+sessionColumns+" FROM latch_session WHERE id = ?"),
		listSessions: s.newStmt(r, "SELECT id, "+sessionColumns+" FROM latch_session WHERE user_id = ?"),
		getKey:       s.newStmt(r, "SELECT user_id, hashed_password FROM latch_key WHERE id = ?"),
		listKeys:     s.newStmt(r, "SELECT id, hashed_password FROM latch_key WHERE user_id = ?"),
		getToken:     s.newStmt(r, "SELECT "+tokenColumns+" FROM latch_token WHERE kind = ? AND id = ?"),
		listTokens:   s.newStmt(r, "SELECT "+tokenColumns+" FROM latch_token WHERE user_id = ? AND kind = ?"),
		attempts:     s.newStmt(r, "SELECT count FROM latch_token_attempt WHERE kind = ? AND user_id = ? AND expires > ?"),
		// Administration: pages in byte order of the primary key.
		listUsers: s.newStmt(r, "SELECT id, attributes FROM latch_user WHERE id > ? ORDER BY id LIMIT ?"),
		// From the prefix on; the caller stops at the first id past it.
		listKeyUsers: s.newStmt(r, `SELECT k.id, u.id, u.attributes FROM latch_key AS k JOIN latch_user AS u ON u.id = k.user_id
			WHERE k.id >= ? AND k.id > ? ORDER BY k.id LIMIT ?`),

		// Keys, sessions, tokens and counters go with the user: ON DELETE CASCADE.
		deleteUser: s.newStmt(w, "DELETE FROM latch_user WHERE id = ?"),

		createKey:         s.newStmt(w, "INSERT INTO latch_key (id, user_id, hashed_password) VALUES (?, ?, ?)"),
		updateKeyPassword: s.newStmt(w, "UPDATE latch_key SET hashed_password = ? WHERE id = ?"),
		deleteKey:         s.newStmt(w, "DELETE FROM latch_key WHERE id = ?"),
		deleteKeysByUser:  s.newStmt(w, "DELETE FROM latch_key WHERE user_id = ?"),

		createSession: s.newStmt(w, `INSERT INTO latch_session (id, user_id, active_expires, idle_expires, attributes)
			VALUES (?, ?, ?, ?, ?)`),
		updateSessionExpiry:       s.newStmt(w, "UPDATE latch_session SET active_expires = ?, idle_expires = ? WHERE id = ?"),
		deleteSession:             s.newStmt(w, "DELETE FROM latch_session WHERE id = ?"),
		deleteUserSessions:        s.newStmt(w, "DELETE FROM latch_session WHERE user_id = ?"),
		deleteExpiredSessions:     s.newStmt(w, "DELETE FROM latch_session WHERE idle_expires <= ?"),
		deleteExpiredUserSessions: s.newStmt(w, "DELETE FROM latch_session WHERE user_id = ? AND idle_expires <= ?"),

		// data: a non-nil empty payload is stored as an empty blob, not NULL
		// (the driver binds an empty slice as NULL).
		putToken: s.newStmt(w, `INSERT INTO latch_token (kind, id, user_id, expires, session_id, data)
			VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?7 THEN ifnull(?6, X'') END)`),
		// The single-use primitive: whichever DELETE runs first gets the row.
		takeToken: s.newStmt(w, `DELETE FROM latch_token WHERE kind = ?1 AND id = ?2 AND (?3 = '' OR user_id = ?3)
			RETURNING `+tokenColumns),
		deleteToken:      s.newStmt(w, "DELETE FROM latch_token WHERE kind = ? AND id = ?"),
		deleteUserTokens: s.newStmt(w, "DELETE FROM latch_token WHERE user_id = ?"),
		deleteUserKind:   s.newStmt(w, "DELETE FROM latch_token WHERE user_id = ? AND kind = ?"),

		// One statement: a counter whose window has ended starts again at 1
		// with the new expiry. Every SET expression reads the old row.
		addAttempt: s.newStmt(w, `INSERT INTO latch_token_attempt (kind, user_id, count, expires) VALUES (?1, ?2, 1, ?4)
			ON CONFLICT (kind, user_id) DO UPDATE SET
				count = CASE WHEN expires <= ?3 THEN 1 ELSE count + 1 END,
				expires = CASE WHEN expires <= ?3 THEN ?4 ELSE expires END
			RETURNING count`),
		resetAttempts: s.newStmt(w, "DELETE FROM latch_token_attempt WHERE kind = ? AND user_id = ?"),

		addActivity: s.newStmt(w, `INSERT INTO latch_activity (user_id, id, type, at, ip, user_agent, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?)`),
		listActivity: s.newStmt(r, `SELECT id, type, at, ip, user_agent, detail FROM latch_activity
			WHERE user_id = ?1 AND (?2 = 0 OR at < ?2 OR (at = ?2 AND id < ?3))
			ORDER BY at DESC, id DESC LIMIT ?4`),
		deleteActivity:       s.newStmt(w, "DELETE FROM latch_activity WHERE user_id = ?"),
		deleteActivityBefore: s.newStmt(w, "DELETE FROM latch_activity WHERE at < ?"),
	}
}
