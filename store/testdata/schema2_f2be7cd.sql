-- claudit cache schema v2: free text is a substring search (see
-- store/substr.go).
--
-- Every distinct searchable string value, lower-cased, once, keyed by its
-- 64-bit hash, in a trigram index without positions: a needle's trigrams
-- give the values that may contain it.
CREATE VIRTUAL TABLE subv USING fts5(v, detail=none, columnsize=0, tokenize='trigram case_sensitive 1');
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
