-- Second factors and passkeys (latch.FactorStore): one row per factor,
-- whatever its kind. id is unique across users (a passkey's is its
-- credential id, base64url: case matters, so it is VARBINARY, compared byte
-- for byte like every id here). data is the kind's own state, opaque to the
-- store (secrets in it are encrypted by the caller; at most 16 KiB). Times
-- are Unix milliseconds; last_used_at 0 is never.

CREATE TABLE IF NOT EXISTS latch_factor (
	id           VARBINARY(255) NOT NULL,
	user_id      VARBINARY(255) NOT NULL,
	kind         VARBINARY(32)  NOT NULL,
	name         VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	data         MEDIUMBLOB     NOT NULL,
	created_at   BIGINT         NOT NULL,
	last_used_at BIGINT         NOT NULL,
	PRIMARY KEY (id),
	KEY latch_factor_user_id (user_id, created_at, id),
	CONSTRAINT latch_factor_user FOREIGN KEY (user_id) REFERENCES latch_user (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;
