package store

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"time"

	"claudit/feed"
)

// span is a half-open interval [lo, hi) of unix nanoseconds.
type span struct{ lo, hi int64 }

// Times outside what int64 nanoseconds can hold (and the zero time, an open
// bound) clamp to these.
const (
	minNanos = math.MinInt64
	maxNanos = math.MaxInt64
)

var (
	minTime = time.Unix(0, minNanos).UTC()
	maxTime = time.Unix(0, maxNanos).UTC()
)

// nanos converts a bound; open is the value for the zero time.
func nanos(t time.Time, open int64) int64 {
	switch {
	case t.IsZero():
		return open
	case t.Before(minTime):
		return minNanos
	case t.After(maxTime):
		return maxNanos
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == minNanos || n == maxNanos {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func toSpan(r feed.Range) span { return span{nanos(r.From, minNanos), nanos(r.To, maxNanos)} }

func (s span) empty() bool { return s.lo >= s.hi }

func (s span) rng() feed.Range { return feed.Range{From: fromNanos(s.lo), To: fromNanos(s.hi)} }

// mergeSpans returns the union of spans as sorted, disjoint, non-adjacent
// spans (touching spans merge: [a,b) ∪ [b,c) = [a,c)).
func mergeSpans(in []span) []span {
	out := make([]span, 0, len(in))
	for _, s := range in {
		if !s.empty() {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b span) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.lo <= merged[n-1].hi {
			if s.hi > merged[n-1].hi {
				merged[n-1].hi = s.hi
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// clipSpans intersects sorted disjoint spans with w.
func clipSpans(cov []span, w span) []span {
	var out []span
	for _, s := range cov {
		c := span{max(s.lo, w.lo), min(s.hi, w.hi)}
		if !c.empty() {
			out = append(out, c)
		}
	}
	return out
}

// gapSpans returns the parts of w that sorted disjoint cov does not cover,
// newest first.
func gapSpans(cov []span, w span) []span {
	var gaps []span
	at := w.hi
	for i := len(cov) - 1; i >= 0 && at > w.lo; i-- {
		s := cov[i]
		if s.lo >= at {
			continue
		}
		if s.hi < at {
			gaps = append(gaps, span{max(s.hi, w.lo), at})
		}
		at = s.lo
	}
	if at > w.lo {
		gaps = append(gaps, span{w.lo, at})
	}
	return gaps
}

func contains(cov []span, t int64) bool {
	i, found := slices.BinarySearchFunc(cov, t, func(s span, t int64) int {
		switch {
		case s.hi <= t:
			return -1
		case s.lo > t:
			return 1
		}
		return 0
	})
	return found && i >= 0
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// loadCoverage returns the union of the coverage of the given filters.
func loadCoverage(ctx context.Context, db querier, filters ...string) ([]span, error) {
	var all []span
	for _, f := range filters {
		rows, err := db.QueryContext(ctx, `SELECT lo, hi FROM coverage WHERE filter = ?`, f)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s span
			if err := rows.Scan(&s.lo, &s.hi); err != nil {
				rows.Close()
				return nil, err
			}
			all = append(all, s)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return mergeSpans(all), nil
}

// extendCoverage merges add into the stored coverage of filter.
func extendCoverage(ctx context.Context, tx *sql.Tx, filter string, add span) error {
	if add.empty() {
		return nil
	}
	cur, err := loadCoverage(ctx, tx, filter)
	if err != nil {
		return err
	}
	merged := mergeSpans(append(cur, add))
	if slices.Equal(cur, merged) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM coverage WHERE filter = ?`, filter); err != nil {
		return err
	}
	for _, s := range merged {
		if _, err := tx.ExecContext(ctx, `INSERT INTO coverage(filter, lo, hi) VALUES (?, ?, ?)`, filter, s.lo, s.hi); err != nil {
			return err
		}
	}
	return nil
}

// Missing returns the parts of r not yet covered for filter (the
// unfiltered coverage counts for every filter), newest first.
func (s *Store) Missing(ctx context.Context, filter string, r feed.Range) ([]feed.Range, error) {
	cov, err := loadCoverage(ctx, s.r, coverageFilters(filter)...)
	if err != nil {
		return nil, mapErr("read coverage", err)
	}
	var out []feed.Range
	for _, g := range gapSpans(cov, toSpan(r)) {
		out = append(out, g.rng())
	}
	return out, nil
}

// Coverage says how much of r the cache holds completely for filter.
func (s *Store) Coverage(ctx context.Context, filter string, r feed.Range) (Coverage, error) {
	cov, err := loadCoverage(ctx, s.r, coverageFilters(filter)...)
	if err != nil {
		return Coverage{}, mapErr("read coverage", err)
	}
	w := toSpan(r)
	c := Coverage{Window: r}
	var covered float64
	for _, sp := range clipSpans(cov, w) {
		c.Covered = append(c.Covered, sp.rng())
		covered += float64(sp.hi) - float64(sp.lo)
	}
	for _, g := range gapSpans(cov, w) {
		c.Missing = append(c.Missing, g.rng())
	}
	if total := float64(w.hi) - float64(w.lo); total > 0 {
		c.Fraction = min(1, covered/total)
	}
	return c, nil
}

func coverageFilters(filter string) []string {
	if filter == "" {
		return []string{""}
	}
	return []string{filter, ""}
}
