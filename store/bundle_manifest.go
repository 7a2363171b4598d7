package store

import (
	"context"
	"time"

	"claudit/feed"
)

// BundleRequest is what WriteBundle writes an evidence bundle from.
type BundleRequest struct {
	Tool       string    // the manifest's tool ("claudit <version>")
	Now        time.Time // when the export runs: resolves the query's times
	Query      feed.Query
	QueryInput string // what the analyst typed
	// Window is the window the sync run fetched, or would have (offline).
	Window feed.Range
	// Run is the sync run made for this bundle; nil writes from the cache
	// as it is (offline, or the explorer, which has synced already).
	Run      *BundleRun
	Redactor *feed.Redactor // non-nil masks the bundle
}

// BundleRun is the sync run an export made before writing its bundle.
type BundleRun struct {
	ID      int64
	Info    feed.RunInfo
	Summary feed.RunSummary
}

// BundleQueryError means the query has no API parameters for the window
// (the analyst's query, not the cache, is at fault).
type BundleQueryError struct{ Err error }

func (e *BundleQueryError) Error() string { return e.Err.Error() }
func (e *BundleQueryError) Unwrap() error { return e.Err }

// BundleCacheError is a failure to read what the manifest says about the
// cache (its coverage of the window, the earlier sync runs).
type BundleCacheError struct{ Err error }

func (e *BundleCacheError) Error() string { return e.Err.Error() }
func (e *BundleCacheError) Unwrap() error { return e.Err }

// WriteBundle assembles the manifest of req (how the data was obtained:
// the query, the parameters sent to the API, the window, the sync runs and
// the cache's coverage) and writes the bundle into dir with Export.
func (s *Store) WriteBundle(ctx context.Context, dir string, req BundleRequest) (Manifest, error) {
	q, now := req.Query, req.Now
	m := Manifest{
		Tool:       req.Tool,
		CreatedAt:  now.UTC(),
		Query:      q.String(),
		QueryInput: req.QueryInput,
		Offline:    req.Run == nil,
	}
	var thisRun int64
	if r := req.Run; r != nil {
		thisRun = r.ID
		m.Runs = append(m.Runs, NewRunRecord(r.Info, r.Summary))
	}
	params, err := q.ServerParams(req.Window.From, req.Window.To)
	if err != nil {
		return m, &BundleQueryError{Err: err}
	}
	m.ServerParams = params
	filter, _ := q.ServerFilter()
	cov, err := s.Coverage(ctx, filter.Encode(), req.Window)
	if err != nil {
		return m, &BundleCacheError{Err: err}
	}
	m.Coverage = cov.Fraction
	from, to := q.Bounds(now, 0)
	m.Window = NewRangeJSON(feed.Range{From: from, To: to})
	if m.EarlierRuns, err = s.EarlierRuns(ctx, feed.Range{From: from, To: to}, thisRun); err != nil {
		return m, &BundleCacheError{Err: err}
	}
	return s.Export(ctx, dir, q, now, m, WithRedactor(req.Redactor))
}
