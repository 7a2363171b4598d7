package store

import (
	"context"
	"time"

	"claudit/feed"
)

// Count counts the activities matching q. A query the rollups answer (types,
// time and excluded flags; see plan.typesOnly) is counted exactly, whatever limit: the
// hourly counts make that as cheap as a capped count. Any other query is
// counted row by row, stopping at limit (capped is then true; limit <= 0
// counts everything). Cancelling ctx interrupts it.
func (s *Store) Count(ctx context.Context, q feed.Query, now time.Time, limit int) (int, bool, error) {
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return 0, false, err
	}
	if p.none {
		return 0, false, nil
	}
	if p.typesOnly {
		// Counts by hour answer without reading the rows.
		rc, err := s.newRollCounter(ctx, p, p.lo, p.hi)
		if err != nil {
			return 0, false, ctxErr(ctx, "count", err)
		}
		n, err := rc.count(p.lo, p.hi)
		if err != nil {
			return 0, false, ctxErr(ctx, "count", err)
		}
		return int(n), false, nil
	}
	return s.countRows(ctx, p, Cursor{}, limit)
}

// countRows counts the plan's rows row by row, only those strictly newer
// than after when it is not zero, stopping at limit (limit <= 0: all).
func (s *Store) countRows(ctx context.Context, p *plan, after Cursor, limit int) (int, bool, error) {
	if p.none {
		return 0, false, nil
	}
	b0 := int64(0)
	var keyset string
	var kargs []any
	if !after.IsZero() {
		ct := nanos(after.CreatedAt, 0)
		b0 = bucket(ct)
		keyset = "(a.t > ? OR (a.t = ? AND a.id > ?))"
		kargs = []any{ct, ct, after.ID}
	}
	fromSQL, fargs := p.from(b0, maxBucket+1)
	cond, cargs := p.cond(keyset, kargs...)
	inner := "SELECT 1 FROM " + fromSQL + cond
	args := append(fargs, cargs...)
	if limit > 0 {
		inner += " LIMIT ?"
		args = append(args, limit+1)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM ("+inner+")", args...).Scan(&n); err != nil {
		return 0, false, ctxErr(ctx, "count", err)
	}
	if limit > 0 && n > limit {
		return limit, true, nil
	}
	return n, false, nil
}
