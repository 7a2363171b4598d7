package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"slices"
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
	// bounds returns bucket i's range clipped to q's window.
	bounds := func(i int) (int64, int64) {
		blo := lo + int64(float64(i)*width)
		bhi := lo + int64(float64(i+1)*width)
		if i == buckets-1 {
			bhi = hi
		}
		return max(p.lo, blo), min(p.hi, bhi)
	}
	if p.typesOnly {
		rc, err := s.newRollCounter(ctx, p, max(p.lo, lo), min(p.hi, hi))
		if err != nil {
			return h, mapErr("histogram", err)
		}
		for i := range buckets {
			n, err := rc.count(bounds(i))
			if err != nil {
				return h, mapErr("histogram", err)
			}
			h.Buckets[i] = int(n)
		}
		return h, nil
	}
	if p.indexed() {
		// An FTS-driven query is evaluated once and grouped: the matches
		// are few compared with the window.
		bp := *p
		bp.lo, bp.hi = max(p.lo, lo), min(p.hi, hi)
		if bp.lo >= bp.hi {
			return h, nil
		}
		fromSQL, fargs := bp.from(0, maxBucket+1)
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
		blo, bhi := bounds(i)
		if blo >= bhi {
			continue
		}
		bp := *p
		bp.lo, bp.hi = blo, bhi
		fromSQL, fargs := bp.from(0, maxBucket+1)
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

// rollCounter counts the activities of a types-only plan in time ranges
// from the rollups: whole hours from roll_h, whole minutes from roll_m
// (every type only), and the rest row by row.
type rollCounter struct {
	s    *Store
	ctx  context.Context
	all  bool   // every type: minutes can be used too
	cond string // SQL condition on a.type ("" = none)
	// hours are the hourly counts of the selected types, ascending by
	// hour, with prefix sums: sum[i] counts hours[:i].
	hours []int64
	sum   []int64
	// self holds the times of the selected rows the plan hides (its
	// flags, claudit's own calls by default), ascending: the rollups
	// count them, so count subtracts them.
	self []int64
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// newRollCounter loads the hourly counts of p's types over [lo, hi).
func (s *Store) newRollCounter(ctx context.Context, p *plan, lo, hi int64) (*rollCounter, error) {
	rc := &rollCounter{s: s, ctx: ctx}
	if lo >= hi {
		return rc, nil
	}
	h0, h1 := floorDiv(lo, hourNs), ceilDiv(hi, hourNs)
	counts := map[int64]int64{}
	add := func(sign int64, typeCond string) error {
		rs, err := s.r.QueryContext(ctx, `SELECT h, sum(n) FROM roll_h WHERE `+typeCond+` AND h >= ? AND h < ? GROUP BY h`, h0, h1)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var h, n int64
			if err := rs.Scan(&h, &n); err != nil {
				return err
			}
			counts[h] += sign * n
		}
		return rs.Err()
	}
	var err error
	switch {
	case p.typeIn != nil:
		var keep []int64
		for _, id := range p.typeIn {
			if !slices.Contains(p.typeOut, id) {
				keep = append(keep, id)
			}
		}
		if len(keep) == 0 {
			rc.cond = "0"
			break
		}
		rc.cond = "a.type IN (" + joinInts(keep) + ")"
		err = add(1, "type IN ("+joinInts(keep)+")")
	case len(p.typeOut) > 0:
		rc.cond = "a.type NOT IN (" + joinInts(p.typeOut) + ")"
		if err = add(1, "type = 0"); err == nil {
			err = add(-1, "type IN ("+joinInts(p.typeOut)+")")
		}
	default:
		rc.all = true
		err = add(1, "type = 0")
	}
	if err != nil {
		return nil, err
	}
	rc.hours = make([]int64, 0, len(counts))
	for h := range counts {
		rc.hours = append(rc.hours, h)
	}
	slices.Sort(rc.hours)
	rc.sum = make([]int64, len(rc.hours)+1)
	for i, h := range rc.hours {
		rc.sum[i+1] = rc.sum[i] + counts[h]
	}
	if len(p.hidden) > 0 && rc.cond != "0" {
		if rc.self, err = rc.hiddenTimes(lo, hi, p.hidden); err != nil {
			return nil, err
		}
	}
	return rc, nil
}

// hiddenTimes reads the times of the selected rows in [lo, hi) that carry
// any of the flags, ascending, each flag through its partial index (whose
// entries are in rid, so time, order); a row with several flags counts
// once.
func (rc *rollCounter) hiddenTimes(lo, hi int64, flags []string) ([]int64, error) {
	rlo, rhi := ridRange(timeBuckets(lo, hi))
	var out []int64
	for i, flag := range flags {
		q := `SELECT a.t FROM activities a WHERE ` + flag + ` AND a.rid >= ? AND a.rid <= ? AND a.t >= ? AND a.t < ?`
		if rc.cond != "" {
			q += " AND " + rc.cond
		}
		// A row the earlier flags already read is not read again.
		for _, seen := range flags[:i] {
			q += " AND NOT " + seen
		}
		rs, err := rc.s.r.QueryContext(rc.ctx, q, rlo, rhi, lo, hi)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var t int64
			if err := rs.Scan(&t); err != nil {
				rs.Close()
				return nil, err
			}
			out = append(out, t)
		}
		if err := rs.Err(); err != nil {
			rs.Close()
			return nil, err
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}

// count counts the selected activities in [a, b), less the self rows when
// the plan hides them.
func (rc *rollCounter) count(a, b int64) (int64, error) {
	n, err := rc.countAll(a, b)
	if err != nil || len(rc.self) == 0 || a >= b {
		return n, err
	}
	i, _ := slices.BinarySearch(rc.self, a)
	j, _ := slices.BinarySearch(rc.self, b)
	return n - int64(j-i), nil
}

// hourSum counts the selected activities in hours [h0, h1).
func (rc *rollCounter) hourSum(h0, h1 int64) int64 {
	i, _ := slices.BinarySearch(rc.hours, h0)
	j, _ := slices.BinarySearch(rc.hours, h1)
	return rc.sum[j] - rc.sum[i]
}

// rollSafe bounds the times whose hour arithmetic cannot overflow (years
// 1824 to 2116); counts beyond it are made row by row.
const rollSafe = 1 << 62

// countAll counts the selected activities in [a, b), self rows included.
func (rc *rollCounter) countAll(a, b int64) (int64, error) {
	if a >= b || rc.cond == "0" {
		return 0, nil
	}
	if a < -rollSafe || b > rollSafe {
		var n int64
		if a < -rollSafe {
			x, err := rc.exact(a, min(b, -rollSafe))
			if err != nil {
				return 0, err
			}
			n, a = n+x, -rollSafe
		}
		if b > rollSafe {
			x, err := rc.exact(max(a, rollSafe), b)
			if err != nil {
				return 0, err
			}
			n, b = n+x, rollSafe
		}
		y, err := rc.countAll(a, b)
		return n + y, err
	}
	h0, h1 := ceilDiv(a, hourNs), floorDiv(b, hourNs)
	if h0 >= h1 {
		// No whole hour: at most two pieces of adjacent hours.
		if mid := h1 * hourNs; mid > a && mid < b {
			x, err := rc.inHour(a, mid)
			if err != nil {
				return 0, err
			}
			y, err := rc.inHour(mid, b)
			return x + y, err
		}
		return rc.inHour(a, b)
	}
	x, err := rc.inHour(a, h0*hourNs)
	if err != nil {
		return 0, err
	}
	y, err := rc.inHour(h1*hourNs, b)
	return rc.hourSum(h0, h1) + x + y, err
}

// inHour counts the selected activities in [a, b), a part of one hour.
func (rc *rollCounter) inHour(a, b int64) (int64, error) {
	if a >= b {
		return 0, nil
	}
	if rc.all {
		m0, m1 := ceilDiv(a, minuteNs), floorDiv(b, minuteNs)
		if m0 >= m1 {
			return rc.exact(a, b)
		}
		var n int64
		if err := rc.s.r.QueryRowContext(rc.ctx, `SELECT coalesce(sum(n), 0) FROM roll_m WHERE m >= ? AND m < ?`, m0, m1).Scan(&n); err != nil {
			return 0, err
		}
		x, err := rc.exact(a, m0*minuteNs)
		if err != nil {
			return 0, err
		}
		y, err := rc.exact(m1*minuteNs, b)
		return n + x + y, err
	}
	// Count the smaller side: the hour's total less the rest of the hour.
	if b-a <= hourNs/2 {
		return rc.exact(a, b)
	}
	h := floorDiv(a, hourNs)
	x, err := rc.exact(h*hourNs, a)
	if err != nil {
		return 0, err
	}
	y, err := rc.exact(b, (h+1)*hourNs)
	return rc.hourSum(h, h+1) - x - y, err
}

// exact counts the selected activities in [a, b) row by row.
func (rc *rollCounter) exact(a, b int64) (int64, error) {
	if a >= b {
		return 0, nil
	}
	q := `SELECT count(*) FROM activities a WHERE a.rid >= ? AND a.rid <= ? AND a.t >= ? AND a.t < ?`
	if rc.cond != "" {
		q += " AND " + rc.cond
	}
	var n int64
	rlo, rhi := ridRange(timeBuckets(a, b))
	err := rc.s.r.QueryRowContext(rc.ctx, q, rlo, rhi, a, b).Scan(&n)
	return n, err
}

// facetRows bounds the rows Facets reads: the newest this many matches.
const facetRows = 50_000

// Facets returns the top n values per facet of q's newest results (at most
// facetRows of them; Facets.Capped says when there were more).
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
	keyTypes, err := s.termIDs(ctx, []string{feed.ActorAPI, feed.ActorAdminAPIKey})
	if err != nil {
		return f, err
	}
	keyExpr := "a.tkey"
	if len(keyTypes) > 0 {
		keyExpr = "CASE WHEN a.atype IN (" + joinInts(keyTypes) + ") THEN a.actor ELSE a.tkey END"
	}
	fromSQL, fargs := p.from(0, maxBucket+1)
	cond, cargs := p.cond("")
	rs, err := s.r.QueryContext(ctx, `SELECT coalesce(a.email, a.actor), a.type, a.ip, `+keyExpr+`, a.org FROM `+
		fromSQL+cond+` ORDER BY `+p.order()+` LIMIT ?`, append(append(fargs, cargs...), facetRows+1)...)
	if err != nil {
		return f, mapErr("facets", err)
	}
	defer rs.Close()
	var counts [5]map[int64]int
	for i := range counts {
		counts[i] = map[int64]int{}
	}
	for rs.Next() {
		if f.Rows == facetRows {
			f.Capped = true
			break
		}
		var vals [5]sql.NullInt64
		if err := rs.Scan(&vals[0], &vals[1], &vals[2], &vals[3], &vals[4]); err != nil {
			return f, mapErr("facets", err)
		}
		for i, v := range vals {
			if v.Valid {
				counts[i][v.Int64]++
			}
		}
		f.Rows++
	}
	if err := rs.Err(); err != nil {
		return f, mapErr("facets", err)
	}
	rs.Close()
	// Every counted id needs its value, to order ties by value.
	var need []int64
	for _, c := range counts {
		for id := range c {
			need = append(need, id)
		}
	}
	names, err := s.termValues(ctx, need)
	if err != nil {
		return f, err
	}
	for i, dst := range []*[]FacetCount{&f.Actors, &f.Types, &f.IPs, &f.Keys, &f.Orgs} {
		var out []FacetCount
		for id, c := range counts[i] {
			if v, ok := names[id]; ok {
				out = append(out, FacetCount{Value: v, Count: c})
			}
		}
		slices.SortFunc(out, func(a, b FacetCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		*dst = out[:min(n, len(out))]
	}
	return f, nil
}

// termValues returns the values of term ids.
func (s *Store) termValues(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for start := 0; start < len(ids); start += 5000 {
		part := ids[start:min(len(ids), start+5000)]
		rs, err := s.r.QueryContext(ctx, `SELECT id, v FROM terms WHERE id IN (SELECT value FROM json_each(?))`, jsonInts(part))
		if err != nil {
			return nil, mapErr("facets", err)
		}
		for rs.Next() {
			var id int64
			var v string
			if err := rs.Scan(&id, &v); err != nil {
				rs.Close()
				return nil, mapErr("facets", err)
			}
			out[id] = v
		}
		if err := rs.Close(); err != nil {
			return nil, mapErr("facets", err)
		}
	}
	return out, nil
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
		// rids order by millisecond, newest first: the oldest is in the
		// largest rid's millisecond, the newest in the smallest's.
		err := s.r.QueryRowContext(ctx, `SELECT
			(SELECT min(t) FROM activities WHERE rid >= (SELECT max(rid) FROM activities) >> 20 << 20),
			(SELECT max(t) FROM activities WHERE rid <= (SELECT min(rid) FROM activities) | 1048575)`).Scan(&oldest, &newest)
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
