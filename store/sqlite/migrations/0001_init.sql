-- Latch default profile, version 1.
--
-- Ids are TEXT compared with SQLite's default BINARY collation, so byte for
-- byte (case-sensitive). Expiries are Unix milliseconds (UTC). Attributes are
-- the JSON written by latch.MarshalAttributes. Tables are STRICT (a value of
-- the wrong type is an error, not silently stored) and WITHOUT ROWID (a
-- lookup by id is one b-tree search, not two).

CREATE TABLE latch_user (
	id         TEXT NOT NULL PRIMARY KEY,
	attributes TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE latch_key (
	id              TEXT NOT NULL PRIMARY KEY,
	user_id         TEXT NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	hashed_password TEXT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX latch_key_user_id ON latch_key (user_id);

CREATE TABLE latch_session (
	id             TEXT    NOT NULL PRIMARY KEY,
	user_id        TEXT    NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	active_expires INTEGER NOT NULL,
	idle_expires   INTEGER NOT NULL,
	attributes     TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX latch_session_user_id ON latch_session (user_id);
CREATE INDEX latch_session_idle_expires ON latch_session (idle_expires);

CREATE TABLE latch_token (
	kind       TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	user_id    TEXT    NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	expires    INTEGER NOT NULL,
	session_id TEXT    NOT NULL DEFAULT '',
	data       BLOB    NULL,
	PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX latch_token_user_id_kind ON latch_token (user_id, kind);
CREATE INDEX latch_token_expires ON latch_token (expires);

CREATE TABLE latch_token_attempt (
	kind    TEXT    NOT NULL,
	user_id TEXT    NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	count   INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	PRIMARY KEY (kind, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX latch_token_attempt_user_id ON latch_token_attempt (user_id);
CREATE INDEX latch_token_attempt_expires ON latch_token_attempt (expires);
