-- Second factors and passkeys (latch.FactorStore): one row per factor,
-- whatever its kind. id is unique across users (a passkey's is its
-- credential id, base64url: case matters). data is the kind's own state,
-- opaque to the store (secrets in it are encrypted by the caller). Times are
-- Unix milliseconds; last_used_at 0 is never.
CREATE TABLE latch_factor (
	id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id      TEXT COLLATE "C" NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	kind         TEXT COLLATE "C" NOT NULL,
	name         TEXT             NOT NULL,
	data         BYTEA            NOT NULL,
	created_at   BIGINT           NOT NULL,
	last_used_at BIGINT           NOT NULL
);

CREATE INDEX latch_factor_user_id ON latch_factor (user_id, created_at, id);
