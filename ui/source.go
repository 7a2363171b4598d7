package ui

import (
	"context"
	"time"

	"claudit/feed"
	"claudit/store"
)

// Source is what the UI reads; *store.Store satisfies it. Every call happens
// inside a tea.Cmd, never in Update or View.
type Source interface {
	Search(ctx context.Context, q feed.Query, now time.Time, from store.Cursor, dir store.Direction, n int) ([]store.Row, error)
	Get(ctx context.Context, id string) (store.Row, error)
	Count(ctx context.Context, q feed.Query, now time.Time, limit int) (int, bool, error)
	Histogram(ctx context.Context, q feed.Query, now time.Time, from, to time.Time, buckets int) (store.Histogram, error)
	Facets(ctx context.Context, q feed.Query, now time.Time, n int) (store.Facets, error)
	Dossier(ctx context.Context, keyID string) (store.Dossier, error)
	Coverage(ctx context.Context, filter string, r feed.Range) (store.Coverage, error)
	Suggest(ctx context.Context, field, prefix string, n int) ([]string, error)
	Mark(ctx context.Context, id, note string) error
	Unmark(ctx context.Context, id string) error
}

// Deps is everything the program needs from the outside world; main.go
// builds it.
type Deps struct {
	Source Source
	// Sync fetches the query's window into the cache, reporting progress.
	// nil means offline. It starts after the first screen is drawn and is
	// restarted (the previous run cancelled) whenever the query changes.
	Sync     func(ctx context.Context, q feed.Query, report func(feed.Progress)) error
	Query    feed.Query // initial query
	Profile  string
	KeyLabel string // already masked, e.g. "admin key …x9Qa" ("" = none/demo)
	Now      func() time.Time
	// DefaultSince is the window used for coverage, histogram and sync when
	// the query has no time term (30 days).
	DefaultSince time.Duration
	UTC, NoColor bool
}
