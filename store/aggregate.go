package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"claudit/feed"
)

// Histogram counts q's activities in buckets equal slices of [from, to)
// (intersected with q's own window).
func (s *Store) Histogram(ctx context.Context, q feed.Query, now time.Time, from, to time.Time, buckets int) (Histogram, error) {
	h := Histogram{From: from, To: to}
	if buckets <= 0 || !from.Before(to) {
		return h, nil
	}
	h.Buckets = make([]int, buckets)
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return h, err
	}
	if p.none {
		return h, nil
	}
	lo, hi := from.UnixNano(), to.UnixNano()
	width := float64(hi-lo) / float64(buckets)
	if p.match != "" {
		// An FTS-driven query is evaluated once and grouped: the matches
		// are few compared with the window.
		bp := *p
		bp.lo, bp.hi = max(p.lo, lo), min(p.hi, hi)
		if bp.lo >= bp.hi {
			return h, nil
		}
		fromSQL, fargs := bp.from(minNanos, maxNanos)
		cond, cargs := bp.cond("a.t >= ? AND a.t < ?", bp.lo, bp.hi)
		rs, err := s.r.QueryContext(ctx, "SELECT a.t FROM "+fromSQL+cond, append(fargs, cargs...)...)
		if err != nil {
			return h, mapErr("histogram", err)
		}
		defer rs.Close()
		for rs.Next() {
			var t int64
			if err := rs.Scan(&t); err != nil {
				return h, mapErr("histogram", err)
			}
			h.Buckets[histBucket(t, lo, width, buckets)]++
		}
		return h, mapErr("histogram", rs.Err())
	}
	// One count per bucket: each is a range scan in time order, which is
	// cheaper than grouping (and sorting) every row of the window.
	for i := range buckets {
		blo := lo + int64(float64(i)*width)
		bhi := lo + int64(float64(i+1)*width)
		if i == buckets-1 {
			bhi = hi
		}
		if blo >= bhi {
			continue
		}
		bp := *p
		bp.lo, bp.hi = max(p.lo, blo), min(p.hi, bhi)
		if bp.lo >= bp.hi {
			continue
		}
		fromSQL, fargs := bp.from(minNanos, maxNanos)
		cond, cargs := bp.cond("a.t >= ? AND a.t < ?", bp.lo, bp.hi)
		var n int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM "+fromSQL+cond, append(fargs, cargs...)...).Scan(&n); err != nil {
			return h, mapErr("histogram", err)
		}
		h.Buckets[i] = n
	}
	return h, nil
}

// histBucket is the bucket of t, consistent with the bucket bounds the
// range counts use (lo + i*width, truncated to nanoseconds).
func histBucket(t, lo int64, width float64, buckets int) int {
	i := int(float64(t-lo) / width)
	i = min(max(i, 0), buckets-1)
	for i > 0 && t < lo+int64(float64(i)*width) {
		i--
	}
	for i < buckets-1 && t >= lo+int64(float64(i+1)*width) {
		i++
	}
	return i
}

// Facets returns the top n values of q's results per facet.
func (s *Store) Facets(ctx context.Context, q feed.Query, now time.Time, n int) (Facets, error) {
	var f Facets
	if n <= 0 {
		return f, nil
	}
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return f, err
	}
	if p.none {
		return f, nil
	}
	fromSQL, fargs := p.from(minNanos, maxNanos)
	cond, cargs := p.cond("")
	args := append(fargs, cargs...)
	top := func(expr string) ([]FacetCount, error) {
		qs := `SELECT t.v, c FROM (SELECT ` + expr + ` AS k, count(*) AS c FROM ` + fromSQL + cond +
			` GROUP BY k) JOIN terms t ON t.id = k ORDER BY c DESC, t.v LIMIT ?`
		rs, err := s.r.QueryContext(ctx, qs, append(args, n)...)
		if err != nil {
			return nil, mapErr("facets", err)
		}
		defer rs.Close()
		var out []FacetCount
		for rs.Next() {
			var fc FacetCount
			if err := rs.Scan(&fc.Value, &fc.Count); err != nil {
				return nil, mapErr("facets", err)
			}
			out = append(out, fc)
		}
		return out, mapErr("facets", rs.Err())
	}
	keyTypes, err := s.termIDs(ctx, []string{feed.ActorAPI, feed.ActorAdminAPIKey})
	if err != nil {
		return f, err
	}
	keyExpr := "a.tkey"
	if len(keyTypes) > 0 {
		var in []string
		for _, id := range keyTypes {
			in = append(in, fmt.Sprint(id))
		}
		keyExpr = "CASE WHEN a.atype IN (" + strings.Join(in, ",") + ") THEN a.actor ELSE a.tkey END"
	}
	for _, x := range []struct {
		dst  *[]FacetCount
		expr string
	}{
		{&f.Actors, "coalesce(a.email, a.actor)"},
		{&f.Types, "a.type"},
		{&f.IPs, "a.ip"},
		{&f.Keys, keyExpr},
		{&f.Orgs, "a.org"},
	} {
		if *x.dst, err = top(x.expr); err != nil {
			return f, err
		}
	}
	return f, nil
}

// Suggest returns values seen in the cache for a query field ("actor",
// "key", "ip", "org", "type") that start with prefix (case-insensitive),
// most frequent first.
func (s *Store) Suggest(ctx context.Context, field, prefix string, n int) ([]string, error) {
	switch field {
	case "actor", "key", "ip", "org", "type":
	default:
		return nil, fmt.Errorf("suggest: no completion for field %q", field)
	}
	if n <= 0 {
		return nil, nil
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix)
	rs, err := s.r.QueryContext(ctx, `SELECT v FROM suggest WHERE field = ? AND v LIKE ? ESCAPE '\'
		ORDER BY n DESC, v LIMIT ?`, field, esc+"%", n)
	if err != nil {
		return nil, mapErr("suggest", err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var v string
		if err := rs.Scan(&v); err != nil {
			return nil, mapErr("suggest", err)
		}
		out = append(out, v)
	}
	return out, mapErr("suggest", rs.Err())
}

// Stats describes the cache as a whole.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Path: s.path, Tightened: s.tightened}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM activities`).Scan(&st.Events); err != nil {
		return st, mapErr("cache stats", err)
	}
	if st.Events > 0 {
		var oldest, newest int64
		err := s.r.QueryRowContext(ctx, `SELECT
			(SELECT min(t) FROM activities WHERE rid >= (SELECT min(rid) FROM activities) >> 20 << 20
				AND rid < ((SELECT min(rid) FROM activities) >> 20) + 1 << 20),
			(SELECT max(t) FROM activities WHERE rid >= (SELECT max(rid) FROM activities) >> 20 << 20)`).Scan(&oldest, &newest)
		if err != nil {
			return st, mapErr("cache stats", err)
		}
		st.Oldest, st.Newest = time.Unix(0, oldest).UTC(), time.Unix(0, newest).UTC()
	}
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			st.Bytes += fi.Size()
			if p == s.path {
				st.Mode = fi.Mode().String()
			}
		}
	}
	runs, err := s.Runs(ctx, 1)
	if err != nil {
		return st, err
	}
	if len(runs) > 0 {
		st.LastRun = &runs[0]
	}
	return st, nil
}

// Runs returns the n most recent sync runs, newest first.
func (s *Store) Runs(ctx context.Context, n int) ([]Run, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT id, kind, query, filter, win_from, win_to, started, finished, pages,
		events, inserted, late, anomalies, retries, start_cursor, end_cursor, final_request_id, request_ids, err
		FROM sync_runs ORDER BY id DESC LIMIT ?`, n)
	if err != nil {
		return nil, mapErr("read sync runs", err)
	}
	defer rs.Close()
	var out []Run
	for rs.Next() {
		var r Run
		var wf, wt, fin sql.NullInt64
		var started int64
		var reqs string
		if err := rs.Scan(&r.ID, &r.Info.Kind, &r.Info.Query, &r.Info.Filter, &wf, &wt, &started, &fin,
			&r.Summary.Pages, &r.Summary.Events, &r.Summary.Inserted, &r.Summary.Late, &r.Summary.Anomalies,
			&r.Summary.Retries, &r.Summary.StartCursor, &r.Summary.EndCursor, &r.Summary.FinalRequestID,
			&reqs, &r.Summary.Err); err != nil {
			return nil, mapErr("read sync runs", err)
		}
		r.Info.Started = time.Unix(0, started).UTC()
		if wf.Valid {
			r.Info.Window.From = time.Unix(0, wf.Int64).UTC()
		}
		if wt.Valid {
			r.Info.Window.To = time.Unix(0, wt.Int64).UTC()
		}
		if fin.Valid {
			r.Summary.Finished = time.Unix(0, fin.Int64).UTC()
		}
		if err := json.Unmarshal([]byte(reqs), &r.Summary.RequestIDs); err != nil {
			return nil, fmt.Errorf("read sync run %d: request ids: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, mapErr("read sync runs", rs.Err())
}

// Mark flags an activity (is:marked) with an analyst's note.
func (s *Store) Mark(ctx context.Context, id, note string) error {
	return s.setMark(ctx, id, true, note)
}

// Unmark removes an activity's mark and note.
func (s *Store) Unmark(ctx context.Context, id string) error {
	return s.setMark(ctx, id, false, "")
}

func (s *Store) setMark(ctx context.Context, id string, on bool, note string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("mark activity", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE activities SET marked = ? WHERE id = ?`, b2i(on), id)
	if err != nil {
		return mapErr("mark activity", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mark activity %s: %w", id, ErrNotFound)
	}
	if on {
		_, err = tx.ExecContext(ctx, `INSERT INTO notes(id, note, marked) VALUES (?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET note = excluded.note, marked = excluded.marked`, id, note, s.now().UnixNano())
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM notes WHERE id = ?`, id)
	}
	if err != nil {
		return mapErr("mark activity", err)
	}
	return mapErr("mark activity", tx.Commit())
}
