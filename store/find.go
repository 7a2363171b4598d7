package store

import (
	"context"
	"time"
	"unsafe"

	"claudit/feed"
)

// A find looks for text within a query's result without changing the
// query (the explorer's ctrl+f, n, N): its rows are the query's rows that
// also hold text as free text does (substr.go: a case-insensitive
// substring of one of the event's string values). It is the query's plan
// with one more free-text term ANDed to it, so the query planner and the
// substring index answer it as they answer "text" in a query.

// compileFind is the plan of q's rows that also contain text.
func (s *Store) compileFind(ctx context.Context, q feed.Query, now time.Time, text string) (*plan, error) {
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return p, nil
	}
	if err := s.freeText(ctx, p, feed.Terms{Include: []string{text}}); err != nil {
		return nil, err
	}
	return p, nil
}

// FindSearch is Search over the rows of q that also contain text: up to n
// of them next to the keyset cursor from, in the direction dir, newest
// first. With n 1 it is the next match below (Older) or above (Newer)
// from; a zero from starts at the newest (Older) or oldest (Newer) end.
func (s *Store) FindSearch(ctx context.Context, q feed.Query, now time.Time, text string, from Cursor, dir Direction, n int) ([]Row, error) {
	p, err := s.compileFind(ctx, q, now, text)
	if err != nil {
		return nil, err
	}
	return s.searchPlan(ctx, p, from, dir, n, true)
}

// FindCount counts the rows of q that also contain text; with a non-zero
// after only those strictly newer than it (the rows above it in the
// newest-first order, so a match's rank is FindCount(…, match) + 1). It
// stops at limit (capped is then true; limit <= 0 counts all).
// Cancelling ctx interrupts it.
func (s *Store) FindCount(ctx context.Context, q feed.Query, now time.Time, text string, after Cursor, limit int) (int, bool, error) {
	p, err := s.compileFind(ctx, q, now, text)
	if err != nil {
		return 0, false, err
	}
	return s.countRows(ctx, p, after, limit)
}

// TextMatches reports whether the activity JSON raw holds text as free
// text does (case-insensitively, in one of its searchable values), with
// the very check the cache runs row by row, so a screen that marks the
// matches among its rows agrees with FindSearch and FindCount.
func TextMatches(raw []byte, text string) bool {
	ok, err := containsFold(unsafe.String(unsafe.SliceData(raw), len(raw)), foldText(text))
	return err == nil && ok
}
