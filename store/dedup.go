package store

import (
	"context"
	"database/sql"
	"slices"

	"claudit/feed"
)

// heldID is the id (and raw JSON) of a cached activity.
type heldID struct{ id, raw string }

// heldIDs reads the ids and raw JSON of cached activities by rid.
func heldIDs(ctx context.Context, q querier, rids []int64) (map[int64]heldID, error) {
	out := make(map[int64]heldID, len(rids))
	if len(rids) == 0 {
		return out, nil
	}
	sorted := slices.Clone(rids)
	slices.Sort(sorted)
	rs, err := q.QueryContext(ctx, `SELECT a.rid, a.id, a.raw FROM json_each(?) j CROSS JOIN activities a ON a.rid = j.value`, jsonInts(sorted))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var rid int64
		var h heldID
		if err := rs.Scan(&rid, &h.id, &h.raw); err != nil {
			return nil, err
		}
		out[rid] = h
	}
	return out, rs.Err()
}

// mentioning returns the cached activities among ids, found through the
// reference index (id → rid and raw JSON).
func mentioning(ctx context.Context, q querier, ids []string) (map[string]heldRow, error) {
	out := map[string]heldRow{}
	want := map[string]bool{}
	var toks []string
	for _, id := range ids {
		want[id] = true
		if n := normRef(id); n != "" {
			toks = append(toks, refToken(n))
		}
	}
	for start := 0; start < len(toks); start += verifyChunk {
		part := toks[start:min(len(toks), start+verifyChunk)]
		rs, err := q.QueryContext(ctx, `SELECT a.rid, a.id, a.raw FROM fts CROSS JOIN activities a ON a.rid = fts.rowid
			WHERE fts MATCH ?`, refGroup(part))
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var h heldRow
			if err := rs.Scan(&h.rid, &h.id, &h.raw); err != nil {
				rs.Close()
				return nil, err
			}
			if want[h.id] {
				out[h.id] = h
			}
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
	}
	// An id with nothing to index (blank) can only be found by a scan.
	for _, id := range ids {
		if _, ok := out[id]; ok || normRef(id) != "" {
			continue
		}
		var h heldRow
		err := q.QueryRowContext(ctx, `SELECT a.rid, a.id, a.raw FROM activities a WHERE a.id = ?`, id).
			Scan(&h.rid, &h.id, &h.raw)
		switch {
		case err == nil:
			out[id] = h
		case err != sql.ErrNoRows:
			return nil, err
		}
	}
	return out, nil
}

// heldRow is a cached activity's rid, id and raw JSON.
type heldRow struct {
	rid     int64
	id, raw string
}

// findID returns the rid of a cached activity id (ok false when absent).
func findID(ctx context.Context, q querier, id string) (rid int64, ok bool, err error) {
	got, err := mentioning(ctx, q, []string{id})
	if err != nil {
		return 0, false, err
	}
	h, ok := got[id]
	return h.rid, ok, nil
}

// dedup sorts a page's rows into those already cached (kept: id → cached
// raw JSON) and those to insert (their indexes). f is the id filter,
// loaded for the rows' hashes.
func dedup(ctx context.Context, tx *wtx, rows []ingestRow, f *idFilter) (kept map[string]string, fresh []int, err error) {
	kept = map[string]string{}
	var cands []int
	fresh = make([]int, 0, len(rows))
	for i := range rows {
		if f.mayHave(idHash(rows[i].a.ID)) {
			cands = append(cands, i)
		} else {
			fresh = append(fresh, i)
		}
	}
	if len(cands) == 0 {
		return kept, fresh, nil
	}
	// Most repeats are at their home rid.
	rids := make([]int64, len(cands))
	for k, i := range cands {
		rids[k] = rows[i].rid
	}
	held, err := heldIDs(ctx, tx, rids)
	if err != nil {
		return nil, nil, err
	}
	var rest []string
	for _, i := range cands {
		if h, ok := held[rows[i].rid]; ok && h.id == rows[i].a.ID {
			kept[h.id] = h.raw
		} else {
			rest = append(rest, rows[i].a.ID)
		}
	}
	if len(rest) > 0 {
		found, err := mentioning(ctx, tx, rest)
		if err != nil {
			return nil, nil, err
		}
		for id, h := range found {
			kept[id] = h.raw
		}
	}
	for _, i := range cands {
		if _, ok := kept[rows[i].a.ID]; !ok {
			fresh = append(fresh, i)
		}
	}
	slices.Sort(fresh)
	return kept, fresh, nil
}

// countRepeats counts the page's copies of ids that are kept already (the
// cached copy, or for an in-page repeat the page's first copy when the id
// was not cached): equal raw JSON is a Duplicate, different raw JSON an
// anomaly, recorded (the kept copy stays).
func countRepeats(ctx context.Context, tx *sql.Tx, rows []ingestRow, inPage []*feed.Activity, first map[string]*feed.Activity,
	kept map[string]string, runID, now int64, res *feed.PutResult) error {
	for i := range rows {
		raw, ok := kept[rows[i].a.ID]
		if !ok {
			continue
		}
		if raw == string(rows[i].a.Raw) {
			res.Duplicate++
		} else {
			res.Anomalies++
			if err := recordAnomaly(ctx, tx, rows[i].a, runID, now); err != nil {
				return err
			}
		}
	}
	for _, a := range inPage {
		keptRaw, ok := kept[a.ID]
		if !ok {
			keptRaw = string(first[a.ID].Raw)
		}
		if string(a.Raw) == keptRaw {
			res.Duplicate++
		} else {
			res.Anomalies++
			if err := recordAnomaly(ctx, tx, a, runID, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordAnomaly keeps a copy of an id that came back with different content.
func recordAnomaly(ctx context.Context, tx *sql.Tx, a *feed.Activity, runID, now int64) error {
	var run any
	if runID != 0 {
		run = runID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO anomalies(id, seen, run_id, json) VALUES (?, ?, ?, ?)`,
		a.ID, now, run, string(a.Raw))
	return err
}
