package lucia2

import (
	"strconv"
	"strings"
)

// queries are the store's fixed statements, built once at Open for the
// dialect and the tables' columns. Inserts and attribute updates, whose
// columns depend on the call, are built per call.
type queries struct {
	getUser, deleteUser                                      string
	getKey, listKeys, createKey, updateKeyPassword           string
	deleteKey, deleteKeysByUser                              string
	getSession, getSessionAndUser, listSessions              string
	updateSessionExpiry, deleteSession, deleteSessionsByUser string
	deleteExpiredSessions, deleteExpiredUserSessions         string
	putToken, getToken, takeToken, lockToken, listTokens     string
	deleteToken, deleteUserTokens, deleteUserKind            string
	deleteExpiredTokens, deleteExpiredAttempts               string
	addAttempt, readAttempt, attempts, resetAttempts         string
	// Administration: a user with its disabled flag, the flag's writes,
	// and the lists.
	getUserFull, disableUser, enableUser, listUsers, listKeyUsers string
}

// Columns of Latch's token table as the scan helper reads them.
const tokenColumns = "kind, id, user_id, expires, session_id, data, data IS NOT NULL"

func (s *Store) buildQueries() queries {
	u, k, se := s.users, s.keys, s.sessions
	ucols := s.selectCols(u, "")
	scols := s.selectCols(se, "")
	var q queries

	q.getUser = "SELECT id" + ucols + " FROM " + u.quoted + " WHERE " + s.eq(u, "id", "id")
	q.deleteUser = "DELETE FROM " + u.quoted + " WHERE " + s.eq(u, "id", "id")
	q.getUserFull = "SELECT u.id" + s.selectCols(u, "u") + ", " + s.disabledCol("u") + " FROM " + u.quoted + " AS u WHERE " + s.eq(u, "id", "u.id")
	q.disableUser = "INSERT INTO " + DisabledTable + " (user_id, disabled_at) VALUES (?, ?)"
	q.enableUser = "DELETE FROM " + DisabledTable + " WHERE user_id = ?"
	q.listUsers = "SELECT u.id" + s.selectCols(u, "u") + ", " + s.disabledCol("u") + " FROM " + u.quoted + " AS u WHERE " +
		s.byteOrder("u.id") + " > ? ORDER BY " + s.byteOrder("u.id") + " LIMIT ?"
	// From the prefix on; the caller stops at the first id past it.
	q.listKeyUsers = "SELECT k.id, u.id" + s.selectCols(u, "u") + ", " + s.disabledCol("u") + " FROM " + k.quoted + " AS k JOIN " +
		u.quoted + " AS u ON u.id = k.user_id WHERE " + s.byteOrder("k.id") + " >= ? AND " + s.byteOrder("k.id") + " > ? ORDER BY " +
		s.byteOrder("k.id") + " LIMIT ?"

	const keyCols = "SELECT id, user_id, hashed_password FROM "
	q.getKey = keyCols + k.quoted + " WHERE " + s.eq(k, "id", "id")
	q.listKeys = keyCols + k.quoted + " WHERE " + s.eq(k, "user_id", "user_id")
	q.createKey = "INSERT INTO " + k.quoted + " (id, user_id, hashed_password) VALUES (?, ?, ?)"
	q.updateKeyPassword = "UPDATE " + k.quoted + " SET hashed_password = ? WHERE " + s.eq(k, "id", "id")
	q.deleteKey = "DELETE FROM " + k.quoted + " WHERE " + s.eq(k, "id", "id")
	q.deleteKeysByUser = "DELETE FROM " + k.quoted + " WHERE " + s.eq(k, "user_id", "user_id")

	sessCols := "SELECT id, user_id, active_expires, idle_expires" + scols + " FROM " + se.quoted
	q.getSession = sessCols + " WHERE " + s.eq(se, "id", "id")
	q.listSessions = sessCols + " WHERE " + s.eq(se, "user_id", "user_id")
	// The validation hot path: the session and its user in one query.
	q.getSessionAndUser = "SELECT s.id, s.user_id, s.active_expires, s.idle_expires" + s.selectCols(se, "s") +
		", u.id" + s.selectCols(u, "u") + ", " + s.disabledCol("u") +
		" FROM " + se.quoted + " AS s JOIN " + u.quoted + " AS u ON u.id = s.user_id WHERE " + s.eq(se, "id", "s.id")
	q.updateSessionExpiry = "UPDATE " + se.quoted + " SET active_expires = ?, idle_expires = ? WHERE " + s.eq(se, "id", "id")
	q.deleteSession = "DELETE FROM " + se.quoted + " WHERE " + s.eq(se, "id", "id")
	q.deleteSessionsByUser = "DELETE FROM " + se.quoted + " WHERE " + s.eq(se, "user_id", "user_id")
	q.deleteExpiredSessions = "DELETE FROM " + se.quoted + " WHERE idle_expires <= ?"
	q.deleteExpiredUserSessions = "DELETE FROM " + se.quoted + " WHERE " + s.eq(se, "user_id", "user_id") + " AND idle_expires <= ?"

	// Tokens. A non-nil empty payload is stored as an empty blob, not NULL
	// (drivers bind an empty slice as NULL), and read back with the
	// "data IS NOT NULL" column.
	emptyBlob, flag, blob := "X''", "?", "?"
	if s.d == dPostgres {
		emptyBlob, flag, blob = "''::bytea", "?::boolean", "?::bytea"
	}
	tuser := s.eq(u, "id", "user_id") // Latch's user_id columns have the user id's type
	q.putToken = "INSERT INTO " + TokenTable + " (kind, id, user_id, expires, session_id, data) VALUES (?, ?, ?, ?, ?, CASE WHEN " +
		flag + " THEN COALESCE(" + blob + ", " + emptyBlob + ") END)"
	q.getToken = "SELECT " + tokenColumns + " FROM " + TokenTable + " WHERE kind = ? AND id = ?"
	q.listTokens = "SELECT " + tokenColumns + " FROM " + TokenTable + " WHERE " + tuser + " AND kind = ?"
	q.deleteToken = "DELETE FROM " + TokenTable + " WHERE kind = ? AND id = ?"
	q.deleteUserTokens = "DELETE FROM " + TokenTable + " WHERE " + tuser
	q.deleteUserKind = "DELETE FROM " + TokenTable + " WHERE " + tuser + " AND kind = ?"
	q.deleteExpiredTokens = "DELETE FROM " + TokenTable + " WHERE expires <= ?"
	q.deleteExpiredAttempts = "DELETE FROM " + AttemptTable + " WHERE expires <= ?"
	q.attempts = "SELECT count FROM " + AttemptTable + " WHERE kind = ? AND " + tuser + " AND expires > ?"
	q.resetAttempts = "DELETE FROM " + AttemptTable + " WHERE kind = ? AND " + tuser
	if s.d == dMySQL {
		// No DELETE … RETURNING on MySQL: lock the row, then delete it.
		q.lockToken = "SELECT " + tokenColumns + " FROM " + TokenTable + " WHERE kind = ? AND id = ? FOR UPDATE"
		// Assignments run left to right: count reads the old expires.
		q.addAttempt = "INSERT INTO " + AttemptTable + " (kind, user_id, `count`, expires) VALUES (?, ?, 1, ?)" +
			" ON DUPLICATE KEY UPDATE `count` = IF(expires <= ?, 1, `count` + 1), expires = IF(expires <= ?, ?, expires)"
		q.readAttempt = "SELECT `count` FROM " + AttemptTable + " WHERE kind = ? AND " + tuser
		q.attempts = "SELECT `count` FROM " + AttemptTable + " WHERE kind = ? AND " + tuser + " AND expires > ?"
	} else {
		// The single-use primitive: whichever DELETE runs first gets the row.
		q.takeToken = "DELETE FROM " + TokenTable + " WHERE kind = ? AND id = ? AND (? = '' OR user_id = ?) RETURNING " + tokenColumns
		q.addAttempt = "INSERT INTO " + AttemptTable + " AS a (kind, user_id, count, expires) VALUES (?, ?, 1, ?)" +
			" ON CONFLICT (kind, user_id) DO UPDATE SET" +
			" count = CASE WHEN a.expires <= ? THEN 1 ELSE a.count + 1 END," +
			" expires = CASE WHEN a.expires <= ? THEN ? ELSE a.expires END" +
			" RETURNING count"
	}

	if s.d == dPostgres {
		for _, p := range []*string{
			&q.getUser, &q.deleteUser, &q.getKey, &q.listKeys, &q.createKey, &q.updateKeyPassword,
			&q.deleteKey, &q.deleteKeysByUser, &q.getSession, &q.getSessionAndUser, &q.listSessions,
			&q.updateSessionExpiry, &q.deleteSession, &q.deleteSessionsByUser, &q.deleteExpiredSessions,
			&q.deleteExpiredUserSessions, &q.putToken, &q.getToken, &q.takeToken, &q.lockToken, &q.listTokens,
			&q.deleteToken, &q.deleteUserTokens, &q.deleteUserKind, &q.deleteExpiredTokens,
			&q.deleteExpiredAttempts, &q.addAttempt, &q.readAttempt, &q.attempts, &q.resetAttempts,
			&q.getUserFull, &q.disableUser, &q.enableUser, &q.listUsers, &q.listKeyUsers,
		} {
			*p = rebind(*p)
		}
	}
	return q
}

// selectCols returns ", col, col…" for the table's attribute columns,
// qualified by alias when it is not "". On PostgreSQL, columns of types
// the store does not map are read as text.
func (s *Store) selectCols(t *table, alias string) string {
	var b strings.Builder
	for _, c := range t.attrs {
		b.WriteString(", ")
		if alias != "" {
			b.WriteString(alias + ".")
		}
		b.WriteString(c.quoted)
		if s.d == dPostgres && c.kind == kindOther {
			b.WriteString("::text")
		}
	}
	return b.String()
}

// eq returns the predicate "expr = ?" comparing expr, which reads the Lucia
// column col of t, with one id. On MySQL it adds a byte-for-byte comparison
// beside the indexed one, so that a case-insensitive or PAD SPACE collation
// does not match another id; its two placeholders take the id twice (see
// idArgs).
func (s *Store) eq(t *table, col, expr string) string {
	if s.d != dMySQL {
		return expr + " = ?"
	}
	param := "?"
	if cs := t.charset[col]; cs != "" && cs != "binary" {
		param = "CONVERT(? USING " + cs + ")"
	}
	return "(" + expr + " = ? AND CAST(" + expr + " AS BINARY) = CAST(" + param + " AS BINARY))"
}

// idArgs returns the arguments of one eq predicate.
func (s *Store) idArgs(id string) []any {
	if s.d == dMySQL {
		return []any{id, id}
	}
	return []any{id}
}

// args concatenates argument lists.
func args(lists ...[]any) []any {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]any, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// bind returns the SQL for the dialect: on PostgreSQL with "?" placeholders
// numbered "$1", "$2", …
func (s *Store) bind(query string) string {
	if s.d == dPostgres {
		return rebind(query)
	}
	return query
}

// rebind numbers the "?" placeholders of query ("$1", "$2", …), leaving
// quoted identifiers and string literals alone.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// insertSQL returns the INSERT of a row of t with the Lucia columns lucia
// and the attribute columns cols.
func (s *Store) insertSQL(t *table, lucia []string, cols []*column) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.quoted + " (")
	n := 0
	for _, l := range lucia {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(l)
		n++
	}
	for _, c := range cols {
		b.WriteString(", " + c.quoted)
		n++
	}
	b.WriteString(") VALUES (")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
	}
	b.WriteString(")")
	return s.bind(b.String())
}

// updateSQL returns the UPDATE setting cols of the row of t with one id.
func (s *Store) updateSQL(t *table, cols []*column) string {
	var b strings.Builder
	b.WriteString("UPDATE " + t.quoted + " SET ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.quoted + " = ?")
	}
	b.WriteString(" WHERE " + s.eq(t, "id", "id"))
	return s.bind(b.String())
}
