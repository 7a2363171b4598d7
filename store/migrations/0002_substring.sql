-- claudit cache schema v2: free text is a substring search (see
-- store/substr.go). The words column of fts (tx), vtx and textvals of
-- schema 1 are no longer written or read; an old cache keeps what they
-- hold.
--
-- Every distinct searchable string value, lower-cased, once: appended in
-- blobs (one per page that brought new values) of 64-bit hashes (8 bytes
-- each, little-endian) and of the values (each a uvarint length and the
-- bytes), read into memory and searched there.
CREATE TABLE subvals (
	seq    INTEGER PRIMARY KEY,
	hashes BLOB NOT NULL,
	vals   BLOB NOT NULL
);
-- Per activity (rowid = activities.rid, contentless), one token per value
-- it has: "s" and the value's hash in base 36.
CREATE VIRTUAL TABLE vref USING fts5(s, content='', detail=none, columnsize=0);
INSERT INTO vref(vref, rank) VALUES ('hashsize', 33554432);
INSERT INTO vref(vref, rank) VALUES ('automerge', 16);
INSERT INTO vref(vref, rank) VALUES ('crisismerge', 64);
INSERT INTO vref(vref, rank) VALUES ('pgsz', 8000);
INSERT INTO vref(vref, rank) VALUES ('usermerge', 4);
-- The activities a cache already holds are indexed by the migration's Go
-- step (backfillSub), in the same transaction.
