package feed

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"slices"
)

// maxStuckPages is how many times in a row an iterator re-requests a page
// that says has_more:true but returns no cursor that moves, before it gives
// up with ErrNoProgress. A correct server never does this; a buggy one must
// not make the iterator spin forever.
const maxStuckPages = 3

// Older walks the feed with after_id from p (from the top of the result
// order when p.AfterID is empty) until has_more is false: toward older
// activities in the default desc order, toward newer ones with Order "asc".
// It yields (page, nil) per page and at most one (nil, err), then stops. p
// is copied; the cursor only moves after a successful page.
func (c *Client) Older(ctx context.Context, p PageParams) iter.Seq2[*Page, error] {
	p = clonePageParams(p)
	return func(yield func(*Page, error) bool) {
		if p.BeforeID != "" {
			yield(nil, errors.New("older: the walk follows after_id; PageParams.BeforeID must be empty"))
			return
		}
		c.walk(ctx, p, true, yield)
	}
}

// Newer runs the before_id catch-up loop of ACTIVITY_FEED.md §5 from
// p.BeforeID (required: the newest cursor the caller already has) until
// has_more is false, i.e. until it reaches the present (in the default desc
// order). Each page comes back newest first; the pages themselves arrive
// oldest first. Use ListPage for the first page of a feed. Yields and
// copying are as for Older.
func (c *Client) Newer(ctx context.Context, p PageParams) iter.Seq2[*Page, error] {
	p = clonePageParams(p)
	return func(yield func(*Page, error) bool) {
		if p.BeforeID == "" {
			yield(nil, errors.New("newer: the catch-up loop needs a starting cursor in PageParams.BeforeID (fetch the first page with ListPage)"))
			return
		}
		if p.AfterID != "" {
			yield(nil, errors.New("newer: the catch-up loop follows before_id; PageParams.AfterID must be empty"))
			return
		}
		c.walk(ctx, p, false, yield)
	}
}

// walk is the loop shared by Older (after_id, continuing from each page's
// last_id) and Newer (before_id, continuing from each page's first_id).
func (c *Client) walk(ctx context.Context, p PageParams, after bool, yield func(*Page, error) bool) {
	cursor := func(q PageParams) string { return q.BeforeID }
	next := func(pg *Page) string { return pg.FirstID }
	set := func(q *PageParams, cur string) { q.BeforeID = cur }
	if after {
		cursor = func(q PageParams) string { return q.AfterID }
		next = func(pg *Page) string { return pg.LastID }
		set = func(q *PageParams, cur string) { q.AfterID = cur }
	}
	stuck := 0
	// Positions move one way only: a cursor handed out twice means the
	// server is going round in circles, and the walk stops at once.
	var log cursorLog
	log.start(cursor(p))
	for {
		page, err := c.ListPage(ctx, p)
		if err != nil {
			yield(nil, err)
			return
		}
		if !page.HasMore {
			yield(page, nil)
			return
		}
		cur := next(page)
		if err := log.check(cursor(p), cur, page.Meta.RequestID); err != nil {
			yield(nil, err)
			return
		}
		// has_more with no way forward (no cursor, or the one just sent), or
		// with no rows: pass on any rows (the store dedupes), then ask again
		// a few times. Empty pages count even when the cursor moves, so a
		// server answering has_more:true with nothing, for ever, is bounded.
		moved := cur != "" && cur != cursor(p)
		if moved && len(page.Data) > 0 {
			stuck = 0
		} else {
			stuck++
		}
		if (moved || len(page.Data) > 0) && !yield(page, nil) {
			return
		}
		if stuck >= maxStuckPages {
			yield(nil, fmt.Errorf("after %d pages with has_more:true and no rows or no new cursor (last request-id %s): %w",
				stuck, page.Meta.RequestID, ErrNoProgress))
			return
		}
		if moved {
			set(&p, cur)
		}
	}
}

// clonePageParams deep-copies p so later changes by the caller do not
// affect a running iterator.
func clonePageParams(p PageParams) PageParams {
	if p.Filter != nil {
		f := make(url.Values, len(p.Filter))
		for k, v := range maps.All(p.Filter) {
			f[k] = slices.Clone(v)
		}
		p.Filter = f
	}
	return p
}
