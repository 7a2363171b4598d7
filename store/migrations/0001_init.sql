-- claudit cache schema v1. Times are unix nanoseconds (UTC).

-- Interned strings (types, actor ids, e-mails, IPs, user agents, org ids,
-- key ids) so the hot columns of activities stay small integers.
CREATE TABLE terms (
	id INTEGER PRIMARY KEY,
	v  TEXT NOT NULL UNIQUE
);

-- One row per activity. rid orders rows by time, newest first: (the last
-- millisecond there is, less created_at in ms) << 20 plus a slot, so a rid
-- range is a time range, the FTS indexes (keyed by the same rowid) stream
-- matches newest first, and a backfill, which walks back in time, appends.
-- Ties inside one millisecond are put in (created_at, id) order by the
-- reader. Each id is kept once (see idbloom), without an index on id.
CREATE TABLE activities (
	rid      INTEGER PRIMARY KEY,
	id       TEXT NOT NULL,
	t        INTEGER NOT NULL,
	type     INTEGER NOT NULL,   -- terms.id
	atype    INTEGER,            -- actor type
	actor    INTEGER,            -- feed.Actor.ID()
	email    INTEGER,            -- actor e-mail, lower-cased
	ip       INTEGER,            -- actor IP
	ua       INTEGER,            -- actor user agent
	org      INTEGER,            -- organization_id
	orgu     INTEGER,            -- organization_uuid
	tkey     INTEGER,            -- first API-key-like id the activity targets
	self     INTEGER NOT NULL DEFAULT 0,
	late     INTEGER NOT NULL DEFAULT 0,
	marked   INTEGER NOT NULL DEFAULT 0,
	tripwire INTEGER NOT NULL DEFAULT 0,
	ingested INTEGER NOT NULL,
	-- The activity JSON exactly as received. Last, so reading the columns
	-- before it never touches it.
	raw      TEXT NOT NULL
);
CREATE INDEX activities_self ON activities(self) WHERE self;
CREATE INDEX activities_late ON activities(late) WHERE late;
CREATE INDEX activities_marked ON activities(marked) WHERE marked;
CREATE INDEX activities_tripwire ON activities(tripwire) WHERE tripwire;

-- Which activity ids the cache holds, without an index on the random ids
-- (which would dirty thousands of pages per page of activities): a Bloom
-- filter of the ids in 8 KiB blocks, built from the ids' 64-bit hashes
-- kept as sorted blobs (one per page until folded into the filter, then
-- one per fold). A possible hit is confirmed on the activity's own rid or
-- through the reference index, which holds every activity's id.
CREATE TABLE idbloom (
	k    INTEGER PRIMARY KEY,
	bits BLOB NOT NULL
);
CREATE TABLE idhashes (
	seq    INTEGER PRIMARY KEY,
	hashes BLOB NOT NULL
);

-- Reference and free-text index (contentless: the text lives in the
-- activity). Column r holds one token per id-like value the activity
-- mentions, its role in the token's first letter (a actor, t target,
-- r elsewhere, g organization, y type) and a 64-bit hash of the value in
-- base 36; column tx holds the human-readable words. Text values that many
-- events share (the words of the type, the actor's user agent) are indexed
-- once in vtx (rowid = textvals.id) and stand in tx as one private-use
-- token each.
CREATE VIRTUAL TABLE fts USING fts5(r, tx, content='', detail=full, columnsize=0);
CREATE VIRTUAL TABLE vtx USING fts5(tx, content='', detail=full, columnsize=0);
CREATE TABLE textvals (
	id INTEGER PRIMARY KEY,
	v  TEXT NOT NULL UNIQUE
);

-- Event counts per hour and type (type 0 = every type) and per minute, kept
-- in the ingest transaction, so histograms read counts instead of rows.
CREATE TABLE roll_h (
	type INTEGER NOT NULL,
	h    INTEGER NOT NULL,
	n    INTEGER NOT NULL,
	PRIMARY KEY (type, h)
) WITHOUT ROWID;
CREATE TABLE roll_m (
	m INTEGER PRIMARY KEY,
	n INTEGER NOT NULL
);

-- Small counters of the store itself (the id filter's size and fill).
CREATE TABLE meta (
	k TEXT PRIMARY KEY,
	v INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE notes (
	id     TEXT PRIMARY KEY,
	note   TEXT NOT NULL,
	marked INTEGER NOT NULL
);

-- Same id delivered again with different content: the first copy is kept.
CREATE TABLE anomalies (
	seq    INTEGER PRIMARY KEY,
	id     TEXT NOT NULL,
	seen   INTEGER NOT NULL,
	run_id INTEGER,
	json   TEXT NOT NULL
);
CREATE INDEX anomalies_id ON anomalies(id);

-- Complete time ranges [lo, hi) per server-side filter signature.
CREATE TABLE coverage (
	filter TEXT NOT NULL,
	lo     INTEGER NOT NULL,
	hi     INTEGER NOT NULL,
	PRIMARY KEY (filter, lo)
) WITHOUT ROWID;

CREATE TABLE cursors (
	name    TEXT PRIMARY KEY,
	value   TEXT NOT NULL,
	updated INTEGER NOT NULL
);

-- request-ids of responses claudit received (its own Compliance API calls).
CREATE TABLE request_ids (
	id   TEXT PRIMARY KEY,
	seen INTEGER NOT NULL
) WITHOUT ROWID;

-- API key ids learnt to be claudit's own (their compliance_api_accessed
-- events are Self).
CREATE TABLE own_keys (
	key    TEXT PRIMARY KEY,
	learnt INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sync_runs (
	id               INTEGER PRIMARY KEY,
	kind             TEXT NOT NULL,
	query            TEXT NOT NULL,
	filter           TEXT NOT NULL,
	win_from         INTEGER,
	win_to           INTEGER,
	started          INTEGER NOT NULL,
	finished         INTEGER,
	pages            INTEGER NOT NULL DEFAULT 0,
	events           INTEGER NOT NULL DEFAULT 0,
	inserted         INTEGER NOT NULL DEFAULT 0,
	late             INTEGER NOT NULL DEFAULT 0,
	anomalies        INTEGER NOT NULL DEFAULT 0,
	retries          INTEGER NOT NULL DEFAULT 0,
	start_cursor     TEXT NOT NULL DEFAULT '',
	end_cursor       TEXT NOT NULL DEFAULT '',
	final_request_id TEXT NOT NULL DEFAULT '',
	request_ids      TEXT NOT NULL DEFAULT '[]',
	err              TEXT NOT NULL DEFAULT ''
);

-- Values seen per query field with their event counts, for completion.
CREATE TABLE suggest (
	field TEXT NOT NULL,
	v     TEXT NOT NULL,
	n     INTEGER NOT NULL,
	PRIMARY KEY (field, v)
) WITHOUT ROWID;
-- A page of 5000 activities fits the pending-data hash, so each Put writes
-- one segment. Merging 16 segments at a time (instead of 8) rewrites the
-- postings fewer times, at the price of more segments per query; the end
-- of a sync run merges levels of 4 or more (usermerge, see EndRun).
INSERT INTO fts(fts, rank) VALUES ('hashsize', 33554432);
INSERT INTO fts(fts, rank) VALUES ('automerge', 16);
INSERT INTO fts(fts, rank) VALUES ('crisismerge', 64);
INSERT INTO fts(fts, rank) VALUES ('pgsz', 8000);
INSERT INTO fts(fts, rank) VALUES ('usermerge', 4);
