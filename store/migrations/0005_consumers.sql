-- claudit cache schema v5: the arrival log and named consumers (issue 15).
--
-- rid orders activities by created_at, so it cannot say what arrived since
-- a point: an event indexed late has an old created_at. Each Put that
-- inserts activities appends one row here, in commit order (seq; SQLite
-- commits one writer at a time, so a reader never sees a later seq before
-- an earlier one), holding the rids it inserted. `claudit tail` follows
-- this log; a named consumer (tail --checkpoint NAME) records the seq up to
-- which every arrival has been written and flushed.
CREATE TABLE arrivals (
	seq  INTEGER PRIMARY KEY,
	at   INTEGER NOT NULL,   -- commit time, unix nanoseconds
	n    INTEGER NOT NULL,   -- how many rids
	rids BLOB    NOT NULL    -- the inserted rids, oldest first, as varint deltas
);

CREATE TABLE consumers (
	name    TEXT PRIMARY KEY,
	seq     INTEGER NOT NULL, -- every arrival up to seq is written and flushed
	query   TEXT    NOT NULL, -- the query it follows, for status
	updated INTEGER NOT NULL
);

-- The last rate budget a response reported (anthropic-ratelimit-requests-*),
-- for claudit status: one row.
CREATE TABLE budget (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	lim       INTEGER NOT NULL,
	remaining INTEGER NOT NULL,
	reset     INTEGER NOT NULL, -- unix nanoseconds
	seen      INTEGER NOT NULL  -- when the response came, unix nanoseconds
);
