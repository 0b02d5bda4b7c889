-- The durable outbox (package outbox): mail and webhooks waiting to be
-- delivered. state: 0 pending, 1 delivered (payload emptied), 2 dead.
-- run_at and done_at are Unix milliseconds (UTC).

CREATE TABLE IF NOT EXISTS latch_outbox (
	id         VARBINARY(255) NOT NULL PRIMARY KEY,
	kind       VARBINARY(255) NOT NULL,
	payload    LONGBLOB NOT NULL,
	state      SMALLINT NOT NULL,
	attempts   INT NOT NULL,
	run_at     BIGINT NOT NULL,
	done_at    BIGINT NOT NULL,
	last_error TEXT NOT NULL,
	KEY latch_outbox_state_run_at (state, run_at)
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4 COLLATE = utf8mb4_bin;
