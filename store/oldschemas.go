package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"claudit/feed"
)

// Caches written before migrations became append-only may hold an earlier
// text of 0001 or 0002 under the same version number. Both are upgraded,
// not refused.
//
// Migration 0002 was edited twice after release (4b752db: a trigram index
// sub; f2be7cd: subv and vref): it only builds derived indexes, so a file
// that recorded it without both of subvals and vref has them dropped and
// the migration applied again (redoSchema2).
//
// Migration 0001 was edited in place once (commit 3c19a2d) after caches
// had been written with its first text (cf9d520): those files record
// version 1 but hold the first schema, whose activities keep the JSON in a
// table of its own (raw), have a unique index on id and no id filter,
// rollups or meta. Migrations are append-only since, so these are the only
// such cases. A first-schema cache is upgraded in place, losslessly:
//
//  1. one transaction renames the first-form activities and raw to
//     v1_activities and v1_raw, drops the first-form fts (derived, and
//     contentless), empties suggest (Put counts it again) and creates the
//     present schema-1 tables that are missing (0001's text, each CREATE
//     made IF NOT EXISTS; the tables both forms share are kept as they
//     are: terms, notes, anomalies, coverage, cursors, request_ids,
//     own_keys, sync_runs);
//  2. the later migrations apply as to any cache;
//  3. the old activities are put again, page by page, through Put (so rids,
//     the id filter, indexes and rollups are what ingest makes), their
//     flags and ingest times copied back, and the v1 tables dropped.
//
// Step 3 is idempotent (Put keeps each id once), so a run interrupted
// there resumes at the next Open.

// schema1Pages bounds the activities of one re-ingest page.
const schema1Pages = 5000

// hasTable reports whether the file has a table of that name.
func hasTable(ctx context.Context, q querier, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return n > 0, err
}

// isSchema1First reports whether the file holds schema 1 in its first form
// (a raw table, no id filter).
func (s *Store) isSchema1First(ctx context.Context) (bool, error) {
	raw, err := hasTable(ctx, s.w, "raw")
	if err != nil || !raw {
		return false, err
	}
	bloom, err := hasTable(ctx, s.w, "idbloom")
	return !bloom, err
}

// upgradeSchema1First is step 1 (see above).
func (s *Store) upgradeSchema1First(ctx context.Context) error {
	body, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		return fmt.Errorf("read embedded migration 0001_init.sql: %w", err)
	}
	create := strings.NewReplacer(
		"CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ",
		"CREATE VIRTUAL TABLE ", "CREATE VIRTUAL TABLE IF NOT EXISTS ",
		"CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ",
	).Replace(string(body))
	return s.execTx(ctx, "migrate cache: first schema",
		`DROP INDEX IF EXISTS activities_self`,
		`DROP INDEX IF EXISTS activities_late`,
		`DROP INDEX IF EXISTS activities_marked`,
		`DROP INDEX IF EXISTS activities_tripwire`,
		`ALTER TABLE activities RENAME TO v1_activities`,
		`ALTER TABLE raw RENAME TO v1_raw`,
		`DROP TABLE fts`,
		`DELETE FROM suggest`,
		create)
}

// reingestSchema1 is step 3 (see above); it does nothing when there is no
// v1_activities table.
func (s *Store) reingestSchema1(ctx context.Context) error {
	const what = "migrate cache: first schema"
	ok, err := hasTable(ctx, s.w, "v1_activities")
	if err != nil || !ok {
		return mapErr(what, err)
	}
	after := int64(-1 << 63)
	for {
		acts, last, err := s.schema1Page(ctx, after)
		if err != nil {
			return err
		}
		if len(acts) == 0 {
			break
		}
		if _, err := s.Put(ctx, feed.Batch{Activities: acts}); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		after = last
	}
	return s.execTx(ctx, what,
		`UPDATE activities SET self = o.self, late = o.late, marked = o.marked, tripwire = o.tripwire,
			ingested = o.ingested FROM v1_activities o WHERE o.id = activities.id`,
		`DROP TABLE v1_raw`,
		`DROP TABLE v1_activities`)
}

// schema1Page reads the first-form activities after rid after, decoded.
func (s *Store) schema1Page(ctx context.Context, after int64) ([]feed.Activity, int64, error) {
	const what = "migrate cache: first schema"
	rs, err := s.w.QueryContext(ctx, `SELECT a.rid, r.json FROM v1_activities a JOIN v1_raw r ON r.rid = a.rid
		WHERE a.rid > ? ORDER BY a.rid LIMIT ?`, after, schema1Pages)
	if err != nil {
		return nil, 0, mapErr(what, err)
	}
	defer rs.Close()
	var acts []feed.Activity
	last := after
	for rs.Next() {
		var raw sql.RawBytes
		if err := rs.Scan(&last, &raw); err != nil {
			return nil, 0, mapErr(what, err)
		}
		var a feed.Activity
		if err := a.UnmarshalJSON(raw); err != nil {
			return nil, 0, fmt.Errorf("%s: activity at rid %d: %w: %w", what, last, err, ErrCorrupt)
		}
		acts = append(acts, a)
	}
	return acts, last, mapErr(what, rs.Err())
}

// redoSchema2 drops the indexes of an earlier text of migration 0002 and
// forgets that it was applied, so migrate applies the present text (its
// Go step fills the new indexes from the cached activities). It does
// nothing to a cache with subvals and vref.
func (s *Store) redoSchema2(ctx context.Context) error {
	const what = "migrate cache: earlier 0002"
	for _, t := range []string{"subvals", "vref"} {
		ok, err := hasTable(ctx, s.w, t)
		if err != nil {
			return mapErr(what, err)
		}
		if !ok {
			return s.execTx(ctx, what,
				`DROP TABLE IF EXISTS sub`, `DROP TABLE IF EXISTS subv`, `DROP TABLE IF EXISTS vref`,
				`DROP TABLE IF EXISTS subvals`, `DELETE FROM migrations WHERE version = 2`)
		}
	}
	return nil
}

// execTx runs statements in one write transaction.
func (s *Store) execTx(ctx context.Context, what string, stmts ...string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(what, err)
	}
	defer tx.Rollback()
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return mapErr(what, err)
		}
	}
	return mapErr(what, tx.Commit())
}
