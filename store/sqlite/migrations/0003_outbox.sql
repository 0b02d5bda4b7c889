-- The durable outbox (package outbox): mail and webhooks waiting to be
-- delivered. state: 0 pending, 1 delivered (payload emptied), 2 dead.
-- run_at and done_at are Unix milliseconds (UTC).

CREATE TABLE latch_outbox (
	id         TEXT    NOT NULL PRIMARY KEY,
	kind       TEXT    NOT NULL,
	payload    BLOB    NOT NULL,
	state      INTEGER NOT NULL,
	attempts   INTEGER NOT NULL,
	run_at     INTEGER NOT NULL,
	done_at    INTEGER NOT NULL,
	last_error TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX latch_outbox_state_run_at ON latch_outbox (state, run_at);
