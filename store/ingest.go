package store

import (
	"context"
	"fmt"
	"slices"

	"claudit/feed"
)

// prepared is a page as Put stores it, made before the write lock: its
// first copies of each id in ascending rid order, the ids' hashes (in the
// same order) and the page's later copies of an id.
type prepared struct {
	acts   []feed.Activity
	rows   []ingestRow
	hashes []uint64
	dups   []*feed.Activity
	first  map[string]*feed.Activity
	used   bool
}

// Of implements feed.Prepared.
func (p *prepared) Of(acts []feed.Activity) bool {
	return len(acts) == len(p.acts) && (len(acts) == 0 || &acts[0] == &p.acts[0])
}

// Prepare implements feed.Preparer: the part of Put that needs no
// transaction (reading each activity for what the cache indexes), so that
// it runs on the goroutine that fetched the page rather than the writer's.
// It is safe for concurrent use, and runs on the calling goroutine alone:
// its callers (the fetch workers) already prepare several pages at once.
func (s *Store) Prepare(acts []feed.Activity) (feed.Prepared, error) {
	p, err := prepare(acts, false)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func prepare(acts []feed.Activity, split bool) (*prepared, error) {
	rows, dups, first, err := prepareRows(acts, split)
	if err != nil {
		return nil, err
	}
	rows = sortByRid(rows)
	hashes := make([]uint64, len(rows))
	for i := range rows {
		hashes[i] = idHash(rows[i].a.ID)
	}
	return &prepared{acts: acts, rows: rows, hashes: hashes, dups: dups, first: first}, nil
}

// Put commits a page, its coverage, its cursor and its request-id in one
// transaction. Activities already cached are counted, not rewritten; an id
// that comes back with different content is kept once and recorded as an
// anomaly.
func (s *Store) Put(ctx context.Context, b feed.Batch) (feed.PutResult, error) {
	var res feed.PutResult
	p, _ := b.Prepared.(*prepared)
	// Put alone (no Preparer, or a Prepared for other rows) prepares here.
	if p == nil || p.used || !p.Of(b.Activities) {
		var err error
		if p, err = prepare(b.Activities, true); err != nil {
			return res, fmt.Errorf("store page: %w", err)
		}
	}
	// Put updates the rows (flags, a moved rid): a failed Put's rows are
	// not reused.
	p.used = true
	rows, inBatchDup, first, hashes := p.rows, p.dups, p.first, p.hashes
	now := s.now().UnixNano()

	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, mapErr("store page", err)
	}
	defer sqlTx.Rollback()
	tx := &wtx{Tx: sqlTx, cache: &s.stmts}
	fresh := freshTerms{terms: map[string]int64{}}
	fail := func(err error) (feed.PutResult, error) { return feed.PutResult{}, mapErr("store page", err) }

	// Before this page's own FTS rows: the lookup of already cached events
	// of the request must not flush pending index data.
	if b.RequestID != "" {
		if err := recordRequestIDs(ctx, tx.Tx, []string{b.RequestID}, now); err != nil {
			return fail(err)
		}
	}
	cov, err := loadCoverage(ctx, tx, coverageFilters(b.Filter)...)
	if err != nil {
		return fail(err)
	}
	newKeys, err := s.markSelf(ctx, tx.Tx, rows, now)
	if err != nil {
		return fail(err)
	}
	for i := range rows {
		rows[i].late = contains(cov, rows[i].t)
	}
	ids0, err := loadIDFilter(ctx, tx, hashes, &s.bloom)
	if err != nil {
		return fail(err)
	}
	// kept is the cached copy of ids that were already cached; in-page
	// repeats are compared with it (or with the copy inserted now).
	kept, inserted, err := dedup(ctx, tx, rows, ids0)
	if err != nil {
		return fail(err)
	}
	if err := countRepeats(ctx, tx.Tx, rows, inBatchDup, first, kept, b.RunID, now, &res); err != nil {
		return fail(err)
	}
	ids, err := s.intern(ctx, tx, rows, inserted, &fresh)
	if err != nil {
		return fail(err)
	}
	if err := s.insertActivities(ctx, tx, rows, inserted, ids, now); err != nil {
		return fail(err)
	}
	// Ascending rowids: FTS5 must flush its pending data whenever a rowid
	// is not larger than the previous one, and B-trees append faster.
	slices.SortFunc(inserted, func(x, y int) int { return cmpInt(rows[x].rid, rows[y].rid) })
	if err := recordArrival(ctx, tx, rows, inserted, now); err != nil {
		return fail(err)
	}
	res.Inserted = len(inserted)
	for _, i := range inserted {
		if rows[i].late {
			res.Late++
		}
	}
	added := make([]uint64, len(inserted))
	for k, i := range inserted {
		added[k] = hashes[i]
	}
	if err := ids0.add(ctx, tx, added, s.ids); err != nil {
		return fail(err)
	}
	if err := countSuggest(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := rollUp(ctx, tx, rows, inserted, ids.terms); err != nil {
		return fail(err)
	}
	if err := learnKeys(ctx, tx.Tx, newKeys, now); err != nil {
		return fail(err)
	}
	// A Covered range needs both bounds: an open bound would claim
	// completeness for all of the past or future.
	if !b.Covered.From.IsZero() && !b.Covered.To.IsZero() {
		if err := extendCoverage(ctx, tx.Tx, b.Filter, toSpan(b.Covered)); err != nil {
			return fail(err)
		}
	}
	if b.CursorName != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cursors(name, value, updated) VALUES (?, ?, ?)
			ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
			b.CursorName, b.CursorValue, now); err != nil {
			return fail(err)
		}
	}
	// The FTS rows go last, in one statement: FTS5 flushes its pending
	// data at every statement boundary, so one statement writes one
	// segment.
	if err := insertFTS(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := s.insertSub(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	s.publishTerms(&fresh)
	s.bloom.publish(ids0)
	s.ck.committed()
	s.stmts.warm(ctx, s.w, tx.missed)
	return res, nil
}
