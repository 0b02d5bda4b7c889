-- The security activity record (latch.ActivityStore): append-only, per
-- user, read newest first a page at a time, purged by age.
CREATE TABLE IF NOT EXISTS latch_activity (
	user_id    VARBINARY(255) NOT NULL,
	id         VARBINARY(255) NOT NULL,
	type       VARCHAR(64)    NOT NULL,
	at         BIGINT         NOT NULL,
	ip         VARCHAR(64)    NOT NULL,
	user_agent VARCHAR(512)   NOT NULL,
	detail     VARCHAR(256)   NOT NULL,
	PRIMARY KEY (user_id, id),
	KEY latch_activity_user_at (user_id, at, id),
	KEY latch_activity_at (at),
	CONSTRAINT latch_activity_user FOREIGN KEY (user_id) REFERENCES latch_user (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;
