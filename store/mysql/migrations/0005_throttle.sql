-- Throttle counters (throttle.Store), shared by every process on the
-- database: one row per key with a live or not yet purged window. key_hash
-- is the SHA-256 of the key (an email, an IP address, a prefix), so that any
-- key fits and none is kept in clear. window_end is Unix milliseconds; a
-- row whose window has ended counts as absent and is purged a few at a time.

CREATE TABLE IF NOT EXISTS latch_throttle (
	key_hash   BINARY(32) NOT NULL,
	hits       BIGINT     NOT NULL,
	window_end BIGINT     NOT NULL,
	PRIMARY KEY (key_hash),
	KEY latch_throttle_window_end (window_end)
) ENGINE = InnoDB;
