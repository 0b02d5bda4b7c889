-- The security activity record (latch.ActivityStore): append-only, per
-- user, read newest first a page at a time, purged by age.
CREATE TABLE latch_activity (
	user_id    TEXT    NOT NULL REFERENCES latch_user (id) ON DELETE CASCADE,
	id         TEXT    NOT NULL,
	type       TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	ip         TEXT    NOT NULL,
	user_agent TEXT    NOT NULL,
	detail     TEXT    NOT NULL,
	PRIMARY KEY (user_id, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX latch_activity_user_at ON latch_activity (user_id, at, id);
CREATE INDEX latch_activity_at ON latch_activity (at);
