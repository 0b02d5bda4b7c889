-- Latch default profile, version 1.
--
-- Ids are TEXT with the "C" collation: compared and sorted byte for byte
-- (case-sensitive, no locale rules), which also makes their b-tree
-- comparisons plain memcmp. Expiries are BIGINT Unix milliseconds (UTC).
-- Attributes are TEXT holding the JSON written by latch.MarshalAttributes,
-- kept as written (jsonb would reorder keys and rewrite numbers). Every row
-- that belongs to a user goes with it: ON DELETE CASCADE, with an index on
-- each user_id so that the cascade and the per-user queries do not scan.

CREATE TABLE latch_user (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	attributes TEXT             NOT NULL
);

CREATE TABLE latch_key (
	id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id         TEXT COLLATE "C" NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	hashed_password TEXT             NULL
);

CREATE INDEX latch_key_user_id ON latch_key (user_id);

CREATE TABLE latch_session (
	id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id        TEXT COLLATE "C" NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	active_expires BIGINT           NOT NULL,
	idle_expires   BIGINT           NOT NULL,
	attributes     TEXT             NOT NULL
);

CREATE INDEX latch_session_user_id ON latch_session (user_id);
CREATE INDEX latch_session_idle_expires ON latch_session (idle_expires);

CREATE TABLE latch_token (
	kind       TEXT COLLATE "C" NOT NULL,
	id         TEXT COLLATE "C" NOT NULL,
	user_id    TEXT COLLATE "C" NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	expires    BIGINT           NOT NULL,
	session_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	data       BYTEA            NULL,
	PRIMARY KEY (kind, id)
);

CREATE INDEX latch_token_user_id_kind ON latch_token (user_id, kind);
CREATE INDEX latch_token_expires ON latch_token (expires);

CREATE TABLE latch_token_attempt (
	kind    TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	count   INTEGER          NOT NULL,
	expires BIGINT           NOT NULL,
	PRIMARY KEY (kind, user_id)
);

CREATE INDEX latch_token_attempt_user_id ON latch_token_attempt (user_id);
CREATE INDEX latch_token_attempt_expires ON latch_token_attempt (expires);
