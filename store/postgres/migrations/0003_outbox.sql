-- The durable outbox (package outbox): mail and webhooks waiting to be
-- delivered. state: 0 pending, 1 delivered (payload emptied), 2 dead.
-- run_at and done_at are Unix milliseconds (UTC).

CREATE TABLE latch_outbox (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	kind       TEXT COLLATE "C" NOT NULL,
	payload    BYTEA            NOT NULL,
	state      SMALLINT         NOT NULL,
	attempts   INTEGER          NOT NULL,
	run_at     BIGINT           NOT NULL,
	done_at    BIGINT           NOT NULL,
	last_error TEXT             NOT NULL
);

CREATE INDEX latch_outbox_state_run_at ON latch_outbox (state, run_at);
