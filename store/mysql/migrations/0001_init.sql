-- Latch default profile, version 1.
--
-- Ids are VARBINARY(255) (latch.MaxIDLength bytes): compared byte for byte,
-- case-sensitive, with no padding, so "abc" and "abc " are two ids. Expiries
-- are BIGINT Unix milliseconds (UTC). Attributes are the JSON written by
-- latch.MarshalAttributes, in a utf8mb4 LONGTEXT (the limit of 64 KiB is one
-- byte over TEXT's). Keys, sessions, tokens and attempt counters reference
-- their user with ON DELETE CASCADE.
--
-- MySQL commits DDL implicitly, so a migration is not one transaction: each
-- statement is written to succeed again after a partial run (IF NOT EXISTS,
-- indexes inside CREATE TABLE).

CREATE TABLE IF NOT EXISTS latch_user (
	id         VARBINARY(255) NOT NULL,
	attributes LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS latch_key (
	id              VARBINARY(255) NOT NULL,
	user_id         VARBINARY(255) NOT NULL,
	hashed_password TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
	PRIMARY KEY (id),
	KEY latch_key_user_id (user_id),
	CONSTRAINT latch_key_user FOREIGN KEY (user_id) REFERENCES latch_user (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS latch_session (
	id             VARBINARY(255) NOT NULL,
	user_id        VARBINARY(255) NOT NULL,
	active_expires BIGINT NOT NULL,
	idle_expires   BIGINT NOT NULL,
	attributes     LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	PRIMARY KEY (id),
	KEY latch_session_user_id (user_id),
	KEY latch_session_idle_expires (idle_expires),
	CONSTRAINT latch_session_user FOREIGN KEY (user_id) REFERENCES latch_user (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS latch_token (
	kind       VARBINARY(255) NOT NULL,
	id         VARBINARY(255) NOT NULL,
	user_id    VARBINARY(255) NOT NULL,
	expires    BIGINT NOT NULL,
	session_id VARBINARY(255) NOT NULL DEFAULT '',
	data       LONGBLOB NULL,
	PRIMARY KEY (kind, id),
	KEY latch_token_user_id_kind (user_id, kind),
	KEY latch_token_expires (expires),
	CONSTRAINT latch_token_user FOREIGN KEY (user_id) REFERENCES latch_user (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS latch_token_attempt (
	kind    VARBINARY(255) NOT NULL,
	user_id VARBINARY(255) NOT NULL,
	count   INT NOT NULL,
	expires BIGINT NOT NULL,
	PRIMARY KEY (kind, user_id),
	KEY latch_token_attempt_user_id (user_id),
	KEY latch_token_attempt_expires (expires),
	CONSTRAINT latch_token_attempt_user FOREIGN KEY (user_id) REFERENCES latch_user (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;
