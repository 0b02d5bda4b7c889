-- The security activity record (latch.ActivityStore): append-only, per
-- user, read newest first a page at a time, purged by age.
CREATE TABLE latch_activity (
	user_id    TEXT COLLATE "C" NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	id         TEXT COLLATE "C" NOT NULL,
	type       TEXT             NOT NULL,
	at         BIGINT           NOT NULL,
	ip         TEXT             NOT NULL,
	user_agent TEXT             NOT NULL,
	detail     TEXT             NOT NULL,
	PRIMARY KEY (user_id, id)
);

CREATE INDEX latch_activity_user_at ON latch_activity (user_id, at, id);
CREATE INDEX latch_activity_at ON latch_activity (at);
