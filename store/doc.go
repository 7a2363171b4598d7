// Package store is claudit's local cache of the Activity Feed: one SQLite file
// per profile holding every fetched activity verbatim, a full-text index of
// every id the activities mention, the distinct string values of the
// activities with an index of which activity has which (free text is a
// case-insensitive substring search of the values; see substr.go), event
// counts by hour for histograms and counts, the time ranges known to be
// complete, and the sync-run log. Every screen and headless command is
// answered from it.
//
// # The write path, by file
//
// Put (ingest.go) writes one page in one transaction: prepare.go turns
// activities into rows (references, interned columns, row ids) before the
// lock; self.go marks claudit's own compliance_api_accessed events;
// ids.go (the id filter) and dedup.go sort rows into repeats and new ones;
// intern.go assigns dictionary ids; insert.go bulk-inserts the rows
// (probing for a free slot, see below); rollup.go and suggest.go add the
// counts; fts.go and substr.go write the indexes; coverage.go extends the
// complete ranges; runlog.go records sync runs and cursors. Migrations are
// in migrations/ (append-only) and oldschemas.go; evidence bundles in
// bundle*.go.
//
// # Row ids
//
// An activity's rowid (rid, rowid.go) is
//
//	rid = (maxBucket - ms) << 20 | slot
//
// where ms is created_at in unix milliseconds clamped to [0, maxBucket]
// (maxBucket = 2^43-1, so rid stays a positive int64) and slot is the low
// 20 bits of the FNV-1a 64 hash of the activity id. Rids therefore order
// activities newest first, a rid range is a time range (ridRange,
// timeBuckets), and a backfill, which walks back in time, appends to every
// B-tree keyed by rid. The fts and vref indexes use the same rowid. Ties
// inside one millisecond are put in (created_at, id) order by the reader,
// not by the slot. When another id already holds a row's slot (same
// millisecond, same 20 hash bits) the row moves to the next free slot of
// that millisecond (insertProbing), so a rid is not a function of the id
// alone: lookups by id go through the reference index, never recompute it.
//
// # Deduplication
//
// There is no unique index on activities.id (it would dirty thousands of
// pages per page of activities). Put (ingest.go) keeps each id once, by
// these invariants:
//
//   - Every cached id's 64-bit hash (idHash) is either in a sorted blob of
//     idhashes newer than meta.folded_seq (searched exactly, recentHits) or
//     folded into the Bloom filter idbloom (8 KiB blocks, 10 bits per id, 7
//     probes: about 1% false positives). Hashes are added in the same
//     transaction as their rows, and the filter is rebuilt twice as big
//     from every blob when it would be over capacity. So the filter has no
//     false negatives: an id it rules out is certainly not cached, and is
//     inserted without a lookup.
//   - A possible hit (a true repeat, a Bloom false positive or a 64-bit hash
//     collision) is confirmed by comparing ids, never hashes: first the row
//     at the activity's home rid (a repeat has the same created_at), then
//     the reference index, which holds every activity's own id as a
//     role-other token (mentioning). A candidate confirmed by neither is
//     inserted.
//   - Within a page, the first copy of an id is prepared and later copies
//     are only compared (prepareRows). A repeat whose raw JSON equals the
//     kept copy counts as Duplicate; one that differs is kept once and its
//     copy recorded in anomalies.
//   - The filter blocks a store caches between pages (bloomCache) are keyed
//     by (folded_seq, blocks), which every change to the filter moves, and
//     are published only after commit, so two stores writing one file see
//     each other's ids.
//
// Rollups (roll_h, roll_m), completion counts (suggest), the reference and
// value indexes are added for inserted rows only, in the page's
// transaction, so they count each distinct event once.
package store
