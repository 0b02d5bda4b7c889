package lucia2

import (
	"context"
	"database/sql"
	"fmt"
)

// Migrate creates Latch's own tables beside Lucia's, when they do not
// exist yet: latch_token (single-use tokens), latch_token_attempt
// (attempt counters of numeric codes), latch_factor (second factors and
// passkeys), latch_user_disabled (the users an administrator disabled)
// and latch_activity (the security activity record), with the columns of
// Latch's default schema and a foreign key to the Lucia user table, ON
// DELETE CASCADE, so
// that deleting a user, by Latch or by Lucia, removes its tokens too. It
// never creates, alters or drops Lucia's own tables. Running it again, or
// from several processes at once, is safe.
func (s *Store) Migrate(ctx context.Context) error {
	var err error
	switch s.d {
	case dSQLite:
		err = s.atomic(ctx, func(q querier) error { return execAll(ctx, q, s.sqliteDDL()) })
	case dPostgres:
		err = s.atomic(ctx, func(q querier) error {
			// DDL is transactional on PostgreSQL; the lock makes
			// concurrent runs wait for one another instead of racing on
			// the catalog.
			if _, err := q.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7305617228091434290)"); err != nil {
				return err
			}
			return execAll(ctx, q, s.postgresDDL())
		})
	case dMySQL:
		// MySQL commits DDL implicitly: each statement stands alone and is
		// written to succeed again after a partial run.
		err = execAll(ctx, s.writer, s.mysqlDDL())
	}
	if err != nil {
		return fmt.Errorf("lucia2: migrate: %w", err)
	}
	if s.noDisabled {
		// Opened before DisabledTable existed: read it from now on. Call
		// Migrate before the store is in use, as latchd does.
		s.noDisabled = false
		s.q = s.buildQueries()
	}
	return nil
}

func execAll(ctx context.Context, q querier, stmts []string) error {
	for _, st := range stmts {
		if _, err := q.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("%w\n\tin: %s", err, st)
		}
	}
	return nil
}

// The column layout is Latch's default one (store/sqlite's migration 0001)
// for these two tables; user_id references the Lucia user table.

func (s *Store) sqliteDDL() []string {
	// SQLite's REFERENCES names a table of the same database, unqualified:
	// Latch's tables go into the user table's database.
	schema, userTable := splitName(s.users.name)
	in := ""
	if schema != "" {
		in = s.d.quoteIdent(schema) + "."
	}
	ref := s.d.quoteIdent(userTable) + " (id) ON DELETE CASCADE"
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + in + `latch_token (
	kind       TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	user_id    TEXT    NOT NULL REFERENCES ` + ref + `,
	expires    INTEGER NOT NULL,
	session_id TEXT    NOT NULL DEFAULT '',
	data       BLOB    NULL,
	PRIMARY KEY (kind, id)
)`,
		`CREATE INDEX IF NOT EXISTS ` + in + `latch_token_user_id_kind ON latch_token (user_id, kind)`,
		`CREATE INDEX IF NOT EXISTS ` + in + `latch_token_expires ON latch_token (expires)`,
		`CREATE TABLE IF NOT EXISTS ` + in + `latch_token_attempt (
	kind    TEXT    NOT NULL,
	user_id TEXT    NOT NULL REFERENCES ` + ref + `,
	count   INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	PRIMARY KEY (kind, user_id)
)`,
		`CREATE INDEX IF NOT EXISTS ` + in + `latch_token_attempt_user_id ON latch_token_attempt (user_id)`,
		`CREATE INDEX IF NOT EXISTS ` + in + `latch_token_attempt_expires ON latch_token_attempt (expires)`,
		`CREATE TABLE IF NOT EXISTS ` + in + `latch_factor (
	id           TEXT    NOT NULL PRIMARY KEY,
	user_id      TEXT    NOT NULL REFERENCES ` + ref + `,
	kind         TEXT    NOT NULL,
	name         TEXT    NOT NULL,
	data         BLOB    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL
)`,
		`CREATE INDEX IF NOT EXISTS ` + in + `latch_factor_user_id ON latch_factor (user_id, created_at, id)`,
		`CREATE TABLE IF NOT EXISTS ` + in + DisabledTable + ` (
	user_id     TEXT    NOT NULL PRIMARY KEY REFERENCES ` + ref + `,
	disabled_at INTEGER NOT NULL
)`,
		`CREATE TABLE IF NOT EXISTS ` + in + `latch_activity (
	user_id    TEXT    NOT NULL REFERENCES ` + ref + `,
	id         TEXT    NOT NULL,
	type       TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	ip         TEXT    NOT NULL DEFAULT '',
	user_agent TEXT    NOT NULL DEFAULT '',
	detail     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (user_id, id)
)`,
		`CREATE INDEX IF NOT EXISTS ` + in + `latch_activity_user_at ON latch_activity (user_id, at, id)`,
		`CREATE INDEX IF NOT EXISTS ` + in + `latch_activity_at ON latch_activity (at)`,
	}
}

func (s *Store) postgresDDL() []string {
	ref := s.users.quoted + " (id) ON DELETE CASCADE"
	idType := s.users.idType
	return []string{
		`CREATE TABLE IF NOT EXISTS latch_token (
	kind       TEXT COLLATE "C" NOT NULL,
	id         TEXT COLLATE "C" NOT NULL,
	user_id    ` + idType + ` NOT NULL REFERENCES ` + ref + `,
	expires    BIGINT NOT NULL,
	session_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	data       BYTEA NULL,
	PRIMARY KEY (kind, id)
)`,
		`CREATE INDEX IF NOT EXISTS latch_token_user_id_kind ON latch_token (user_id, kind)`,
		`CREATE INDEX IF NOT EXISTS latch_token_expires ON latch_token (expires)`,
		`CREATE TABLE IF NOT EXISTS latch_token_attempt (
	kind    TEXT COLLATE "C" NOT NULL,
	user_id ` + idType + ` NOT NULL REFERENCES ` + ref + `,
	count   INTEGER NOT NULL,
	expires BIGINT NOT NULL,
	PRIMARY KEY (kind, user_id)
)`,
		`CREATE INDEX IF NOT EXISTS latch_token_attempt_user_id ON latch_token_attempt (user_id)`,
		`CREATE INDEX IF NOT EXISTS latch_token_attempt_expires ON latch_token_attempt (expires)`,
		`CREATE TABLE IF NOT EXISTS latch_factor (
	id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id      ` + idType + ` NOT NULL REFERENCES ` + ref + `,
	kind         TEXT COLLATE "C" NOT NULL,
	name         TEXT NOT NULL,
	data         BYTEA NOT NULL,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL
)`,
		`CREATE INDEX IF NOT EXISTS latch_factor_user_id ON latch_factor (user_id, created_at, id)`,
		`CREATE TABLE IF NOT EXISTS ` + DisabledTable + ` (
	user_id     ` + idType + ` NOT NULL PRIMARY KEY REFERENCES ` + ref + `,
	disabled_at BIGINT NOT NULL
)`,
		`CREATE TABLE IF NOT EXISTS latch_activity (
	user_id    ` + idType + ` NOT NULL REFERENCES ` + ref + `,
	id         TEXT COLLATE "C" NOT NULL,
	type       TEXT NOT NULL,
	at         BIGINT NOT NULL,
	ip         TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	detail     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (user_id, id)
)`,
		`CREATE INDEX IF NOT EXISTS latch_activity_user_at ON latch_activity (user_id, at, id)`,
		`CREATE INDEX IF NOT EXISTS latch_activity_at ON latch_activity (at)`,
	}
}

func (s *Store) mysqlDDL() []string {
	ref := s.users.quoted + " (id) ON DELETE CASCADE"
	// The foreign key column repeats the user id's type, character set and
	// collation, as MySQL requires.
	idType := s.users.idType
	return []string{
		"CREATE TABLE IF NOT EXISTS latch_token (" + `
	kind       VARBINARY(255) NOT NULL,
	id         VARBINARY(255) NOT NULL,
	user_id    ` + idType + ` NOT NULL,
	expires    BIGINT NOT NULL,
	session_id VARBINARY(255) NOT NULL DEFAULT '',
	data       LONGBLOB NULL,
	PRIMARY KEY (kind, id),
	KEY latch_token_user_id_kind (user_id, kind),
	KEY latch_token_expires (expires),
	CONSTRAINT latch_token_lucia_user FOREIGN KEY (user_id) REFERENCES ` + ref + `
) ENGINE = InnoDB`,
		"CREATE TABLE IF NOT EXISTS latch_token_attempt (" + `
	kind    VARBINARY(255) NOT NULL,
	user_id ` + idType + ` NOT NULL,
	` + "`count`" + ` INT NOT NULL,
	expires BIGINT NOT NULL,
	PRIMARY KEY (kind, user_id),
	KEY latch_token_attempt_user_id (user_id),
	KEY latch_token_attempt_expires (expires),
	CONSTRAINT latch_token_attempt_lucia_user FOREIGN KEY (user_id) REFERENCES ` + ref + `
) ENGINE = InnoDB`,
		// id is VARBINARY: a passkey's credential id is case-sensitive.
		"CREATE TABLE IF NOT EXISTS latch_factor (" + `
	id           VARBINARY(255) NOT NULL,
	user_id      ` + idType + ` NOT NULL,
	kind         VARBINARY(32) NOT NULL,
	name         VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	data         MEDIUMBLOB NOT NULL,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	KEY latch_factor_user_id (user_id, created_at, id),
	CONSTRAINT latch_factor_lucia_user FOREIGN KEY (user_id) REFERENCES ` + ref + `
) ENGINE = InnoDB`,
		"CREATE TABLE IF NOT EXISTS " + DisabledTable + " (" + `
	user_id     ` + idType + ` NOT NULL,
	disabled_at BIGINT NOT NULL,
	PRIMARY KEY (user_id),
	CONSTRAINT latch_user_disabled_lucia_user FOREIGN KEY (user_id) REFERENCES ` + ref + `
) ENGINE = InnoDB`,
		"CREATE TABLE IF NOT EXISTS latch_activity (" + `
	user_id    ` + idType + ` NOT NULL,
	id         VARBINARY(255) NOT NULL,
	type       VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL,
	at         BIGINT NOT NULL,
	ip         VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',
	user_agent VARCHAR(512) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',
	detail     VARCHAR(256) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',
	PRIMARY KEY (user_id, id),
	KEY latch_activity_user_at (user_id, at, id),
	KEY latch_activity_at (at),
	CONSTRAINT latch_activity_lucia_user FOREIGN KEY (user_id) REFERENCES ` + ref + `
) ENGINE = InnoDB`,
	}
}

var _ querier = (*sql.DB)(nil)
