package feed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// A parallel backfill (issue 13) fetches the gaps of a window sync as time
// windows, several at once. Each window is walked newest to oldest with its
// own after_id cursor, exactly as the sequential sync walks a gap, and each
// of its pages is committed together with the coverage it proves by one
// writer (the calling goroutine), in the order the window's walker fetched
// them. A window that proves dense is split while it is walked: an idle
// worker takes its older half and the walker stops where that half begins
// (work stealing). Adjacent windows that prove sparse are merged before
// they are started. The newest window goes first. Requests are admitted by
// a budget that follows the rate headers.

// window is one unit of backfill work.
type window struct {
	r Range // the range requested (fixed once the walk starts)
	// stop is where the walk may end: a page whose rows reach below stop
	// finishes the window, because a stealer fetches [r.From, stop).
	stop    time.Time
	reached time.Time // oldest row fetched so far (r.To before the first page)
	rows    int       // rows fetched so far
}

// backfill is the scheduler of one parallel pass over a set of gaps.
type backfill struct {
	s      *Syncer
	q      Query
	sig    string
	budget *budget

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change below
	queue   []*window     // not started, newest first
	active  []*window     // being walked
	total   int           // windows, split ones included
	rows    int           // rows fetched across windows, for density estimates
	walked  time.Duration // time walked across windows, for density estimates
}

// commit is one fetched page on its way to the writer.
type commit struct {
	w       *window
	page    *Page
	rows    []Activity // the page's rows inside the window
	outside int
	covered Range
	reached time.Time
	last    bool  // the window is finished with this page
	err     error // fail the sync once this page is committed
}

// errHandedOver ends a walker whose error travels with its last commit.
var errHandedOver = errors.New("error handed to the writer")

// splitGaps cuts the gaps into about parts windows of equal length,
// newest first, at whole seconds. A gap without a start is not cut.
func splitGaps(gaps []Range, parts int) []*window {
	var total time.Duration
	for _, g := range gaps {
		if !g.From.IsZero() {
			total += g.To.Sub(g.From)
		}
	}
	target := total / time.Duration(max(parts, 1))
	var out []*window
	for _, g := range gaps {
		n := 1
		if !g.From.IsZero() && target > 0 {
			n = min(parts, int((g.To.Sub(g.From)+target-1)/target))
		}
		to := g.To
		for i := 1; i < n; i++ {
			from := g.To.Add(-g.To.Sub(g.From) * time.Duration(i) / time.Duration(n)).Truncate(time.Second)
			if !from.After(g.From) || !from.Before(to) {
				continue
			}
			out = append(out, &window{r: Range{From: from, To: to}, stop: from, reached: to})
			to = from
		}
		out = append(out, &window{r: Range{From: g.From, To: to}, stop: g.From, reached: to})
	}
	return out
}

// notify wakes idle workers; b.mu is held.
func (b *backfill) notify() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// next returns the window a worker walks next: the newest one not started,
// else the older half of the densest window in progress; nil when all
// work is done.
func (b *backfill) next(ctx context.Context) (*window, error) {
	for {
		b.mu.Lock()
		w := b.pop()
		if w == nil {
			w = b.steal()
		}
		if w != nil {
			b.active = append(b.active, w)
			b.notify()
			b.mu.Unlock()
			return w, nil
		}
		if len(b.active) == 0 {
			b.mu.Unlock()
			return nil, nil
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

// density is rows per unit of time walked so far (0 when unknown); b.mu is held.
func (b *backfill) density() float64 {
	if b.walked <= 0 {
		return 0
	}
	return float64(b.rows) / float64(b.walked)
}

// pop takes the newest window not started, merging the adjacent older ones
// into it while together they are expected to fit in half a page; b.mu is
// held.
func (b *backfill) pop() *window {
	if len(b.queue) == 0 {
		return nil
	}
	w := b.queue[0]
	b.queue = b.queue[1:]
	d := b.density()
	for d > 0 && len(b.queue) > 0 && !w.r.From.IsZero() && b.queue[0].r.To.Equal(w.r.From) {
		older := b.queue[0]
		if d*float64(w.r.To.Sub(older.r.From)) >= float64(b.s.cfg.pageLimit)/2 {
			break
		}
		w.r.From, w.stop = older.r.From, older.r.From
		b.queue = b.queue[1:]
		b.total--
	}
	return w
}

// steal splits the window in progress expected to need the most further
// pages (more than two) and returns its older half; b.mu is held.
func (b *backfill) steal() *window {
	var best *window
	var bestLeft float64
	for _, w := range b.active {
		walked, left := w.r.To.Sub(w.reached), w.reached.Sub(w.stop)
		if w.rows == 0 || w.stop.IsZero() || walked <= 0 || left < 2*time.Second {
			continue
		}
		est := float64(w.rows) * float64(left) / float64(walked)
		if est > 2*float64(b.s.cfg.pageLimit) && est > bestLeft {
			best, bestLeft = w, est
		}
	}
	if best == nil {
		return nil
	}
	mid := best.stop.Add(best.reached.Sub(best.stop) / 2).Truncate(time.Second)
	if !mid.After(best.stop) || !mid.Before(best.reached) {
		return nil
	}
	stolen := &window{r: Range{From: best.stop, To: mid}, stop: best.stop, reached: mid}
	best.stop = mid
	b.total++
	return stolen
}

// advance records a page of w; it reports whether w is finished; b.mu is not held.
func (b *backfill) advance(w *window, rows []Activity, hasMore bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(rows) > 0 {
		w.rows += len(rows)
		b.rows += len(rows)
		if o := oldest(rows); o.Before(w.reached) {
			b.walked += w.reached.Sub(o)
			w.reached = o
		}
	}
	last := !hasMore || (len(rows) > 0 && w.reached.Before(w.stop))
	if last {
		b.active = slices.DeleteFunc(b.active, func(x *window) bool { return x == w })
	}
	b.notify()
	return last
}

// fetchParallel fetches the gaps with up to cfg.parallel requests in
// flight, committing every page from this goroutine.
func (s *Syncer) fetchParallel(ctx context.Context, q Query, sig string, gaps []Range, run *runState) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	windows := splitGaps(gaps, s.cfg.parallel)
	b := &backfill{s: s, q: q, sig: sig, budget: newBudget(s.cfg.now, s.cfg.parallel, s.cfg.budgetReserve),
		changed: make(chan struct{}), queue: windows, total: len(windows)}

	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	// The buffer bounds the pages decoded but not yet committed.
	commits := make(chan commit, s.cfg.parallel)
	var wg sync.WaitGroup
	for range s.cfg.parallel {
		wg.Go(func() {
			for {
				w, err := b.next(ctx)
				if err == nil && w != nil {
					err = b.walk(ctx, w, commits)
				}
				if err != nil && !errors.Is(err, errHandedOver) {
					fail(err)
				}
				if err != nil || w == nil {
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(commits)
	}()

	done := 0
	for c := range commits {
		if ctx.Err() != nil {
			continue // drain: the sync has failed
		}
		if err := s.commitPage(ctx, b, c, &done, run); err != nil {
			fail(err)
			continue
		}
		if c.err != nil {
			fail(c.err)
		}
	}
	errMu.Lock()
	defer errMu.Unlock()
	if firstErr == nil {
		// Cancelled from outside between two pages.
		return ctx.Err()
	}
	return firstErr
}

// walk fetches w newest first with after_id, handing each page to the
// writer. It stops at the end of w's range or where a stealer took over.
func (b *backfill) walk(ctx context.Context, w *window, commits chan<- commit) error {
	params, err := b.q.ServerParams(w.r.From, w.r.To)
	if err != nil {
		return err
	}
	p := PageParams{Filter: params, Limit: b.s.cfg.pageLimit}
	emptyStreak := 0
	var log cursorLog
	for {
		if err := b.budget.acquire(ctx); err != nil {
			return err
		}
		page, err := b.s.pager.ListPage(ctx, p)
		var m Meta
		if page != nil {
			m = page.Meta
		}
		b.budget.release(m)
		if err != nil {
			return err
		}
		if page.HasMore {
			if err := log.check(p.AfterID, page.LastID, page.Meta.RequestID); err != nil {
				return err
			}
		}
		rows, outside := clipToRange(page.Data, w.r)
		next := p
		if page.HasMore {
			moved := page.LastID != "" && page.LastID != p.AfterID
			if moved {
				next.AfterID = page.LastID
			}
			if moved && len(rows) > 0 {
				emptyStreak = 0
			} else {
				emptyStreak++
			}
		}
		covered := Range{To: w.r.To}
		switch {
		case !page.HasMore:
			covered.From = w.r.From
		case len(rows) > 0:
			covered.From = oldest(rows).Add(coverageEpsilon)
		}
		last := b.advance(w, rows, page.HasMore)
		c := commit{w: w, page: page, rows: rows, outside: outside, covered: covered, reached: w.r.To, last: last}
		if len(rows) > 0 {
			c.reached = oldest(rows)
		}
		if !page.HasMore {
			c.reached = w.r.From
		}
		stuck := !last && emptyStreak > maxStuckPages
		if stuck {
			c.err = fmt.Errorf("sync: the server keeps answering has_more with no rows or no next cursor (request-id %s): %w",
				escapeText(page.Meta.RequestID, 64), ErrNoProgress)
		}
		select {
		case commits <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
		if stuck {
			return errHandedOver
		}
		if last {
			return nil
		}
		p = next
	}
}

// commitPage stores one page with its coverage and reports progress; it
// runs on the writer goroutine only.
func (s *Syncer) commitPage(ctx context.Context, b *backfill, c commit, done *int, run *runState) error {
	page := c.page
	s.observe(page.Meta)
	sum := &run.summary
	sum.Pages++
	sum.Events += len(page.Data)
	sum.Retries += max(0, page.Meta.Attempts-1)
	sum.OutOfWindow += c.outside
	if sum.StartCursor == "" {
		sum.StartCursor = page.FirstID
	}
	if page.LastID != "" {
		sum.EndCursor = page.LastID
	}
	sum.FinalRequestID = page.Meta.RequestID
	sum.RequestIDs = append(sum.RequestIDs, page.Meta.RequestID)

	covered := c.covered
	if safe := s.safeEnd(); covered.To.After(safe) {
		covered.To = safe
	}
	batch := Batch{Filter: b.sig, Activities: c.rows, RunID: run.id, RequestID: page.Meta.RequestID}
	if !covered.From.IsZero() && covered.To.After(covered.From) {
		batch.Covered = covered
	}
	put, err := s.sink.Put(ctx, batch)
	if err != nil {
		return err
	}
	sum.Inserted += put.Inserted
	sum.Late += put.Late
	sum.Anomalies += put.Anomalies
	if c.last {
		*done++
	}
	width, _ := b.budget.state()
	b.mu.Lock()
	total := b.total
	b.mu.Unlock()
	s.report(Progress{Phase: "window", Window: c.w.r, Reached: c.reached,
		Pages: sum.Pages, Events: sum.Events, Inserted: sum.Inserted, Late: sum.Late, Anomalies: sum.Anomalies,
		OutOfWindow: sum.OutOfWindow, Retries: sum.Retries, RateLimit: page.Meta.RateLimit,
		Windows: total, WindowsDone: *done, Parallel: width})
	return nil
}
