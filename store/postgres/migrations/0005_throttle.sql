-- Throttle counters (throttle.Store), shared by every process on the
-- database: one row per key with a live or not yet purged window. key_hash
-- is the SHA-256 of the key (an email, an IP address, a prefix), so that any
-- key fits and none is kept in clear. window_end is Unix milliseconds; a
-- row whose window has ended counts as absent and is purged a few at a time.
CREATE TABLE latch_throttle (
	key_hash   BYTEA  NOT NULL PRIMARY KEY,
	hits       BIGINT NOT NULL,
	window_end BIGINT NOT NULL
);

CREATE INDEX latch_throttle_window_end ON latch_throttle (window_end);
