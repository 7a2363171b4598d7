-- claudit cache schema v1. Times are unix nanoseconds (UTC).

-- Interned strings (types, actor ids, e-mails, IPs, user agents, org ids,
-- key ids) so the hot columns of activities stay small integers.
CREATE TABLE terms (
	id INTEGER PRIMARY KEY,
	v  TEXT NOT NULL UNIQUE
);

-- One row per activity. rid orders rows by time: (created_at in ms) << 20
-- plus a slot, so a rowid range is a time range and the FTS index (keyed by
-- the same rowid) streams matches newest first. Ties inside one millisecond
-- are put in (created_at, id) order by the reader.
CREATE TABLE activities (
	rid      INTEGER PRIMARY KEY,
	id       TEXT NOT NULL UNIQUE,
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
	ingested INTEGER NOT NULL
);
CREATE INDEX activities_self ON activities(self) WHERE self;
CREATE INDEX activities_late ON activities(late) WHERE late;
CREATE INDEX activities_marked ON activities(marked) WHERE marked;
CREATE INDEX activities_tripwire ON activities(tripwire) WHERE tripwire;

-- The activity JSON exactly as received, apart from the hot row so scans of
-- activities stay narrow.
CREATE TABLE raw (
	rid  INTEGER PRIMARY KEY,
	json TEXT NOT NULL
);

-- Reference and free-text index (contentless: the text lives in raw).
-- ra/rt/ro hold one hashed token per id-like value the activity mentions as
-- actor, target or elsewhere; mt the type and organization tokens; tx the
-- human-readable words.
CREATE VIRTUAL TABLE fts USING fts5(ra, rt, ro, mt, tx, content='', detail=full);

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
-- one FTS segment; merging less eagerly keeps ingest fast.
INSERT INTO fts(fts, rank) VALUES ('hashsize', 33554432);
INSERT INTO fts(fts, rank) VALUES ('automerge', 8);
INSERT INTO fts(fts, rank) VALUES ('crisismerge', 32);
