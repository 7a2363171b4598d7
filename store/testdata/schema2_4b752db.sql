-- claudit cache schema v2: free text is a substring search.
--
-- Substring index (contentless, like fts): each activity's JSON string
-- values, lower-cased and newline-separated, as trigrams without positions
-- (detail=none). A needle's trigrams give the candidates, which
-- claudit_contains then checks against the decoded values of raw (see
-- store/substr.go). The rows a cache already holds are indexed by the
-- migration's Go step (backfillSub) in the same transaction.
CREATE VIRTUAL TABLE sub USING fts5(v, content='', detail=none, columnsize=0, tokenize='trigram case_sensitive 1');
INSERT INTO sub(sub, rank) VALUES ('hashsize', 33554432);
INSERT INTO sub(sub, rank) VALUES ('automerge', 16);
INSERT INTO sub(sub, rank) VALUES ('crisismerge', 64);
INSERT INTO sub(sub, rank) VALUES ('pgsz', 8000);
INSERT INTO sub(sub, rank) VALUES ('usermerge', 4);
