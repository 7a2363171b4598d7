package feed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
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

// Leaser is implemented by a Sink that several processes may fill at once
// (the store): a parallel backfill leases each window before walking it,
// keeps its leases alive while it commits, and leaves windows leased by
// another owner to that owner until the lease expires.
type Leaser interface {
	// TakeLease claims r of filter's backfill for owner until the given
	// time unless another owner holds an unexpired overlapping lease.
	TakeLease(ctx context.Context, filter string, r Range, owner string, until time.Time) (bool, error)
	// RenewLeases moves the expiry of all of owner's leases.
	RenewLeases(ctx context.Context, owner string, until time.Time) error
	// ReleaseLeases drops all of owner's leases.
	ReleaseLeases(ctx context.Context, owner string) error
}

// Lease timing defaults: a lease lasts leaseTTL past its last renewal
// (renewed every quarter of that while pages commit), and a sync waiting
// for another process's windows looks again every leasePoll.
const (
	leaseTTL  = 2 * time.Minute
	leasePoll = 2 * time.Second
)

// WithLeases sets the owner name a parallel backfill leases its windows
// under (default: the process id and a random suffix), how long a lease
// lasts past its last renewal and how often a sync waiting for another
// owner's windows looks again.
func WithLeases(owner string, ttl, poll time.Duration) SyncOption {
	return func(c *syncConfig) { c.leaseOwner, c.leaseTTL, c.leasePoll = owner, ttl, poll }
}

// newLeaseOwner names this process's leases.
func newLeaseOwner() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// window is one unit of backfill work.
type window struct {
	r Range // the range requested (fixed once the walk starts)
	// stop is where the walk may end: a page whose rows reach below stop
	// finishes the window, because a stealer fetches [r.From, stop).
	stop    time.Time
	reached time.Time // oldest row fetched so far (r.To before the first page)
	rows    int       // rows fetched so far
	// probe ends the window after its first page: the first request of a
	// sync asks for the whole newest gap, which is all there is to fetch
	// when it answers has_more:false. Its answer queues the rest of the
	// pass's work (backfill.rest), cut into windows. A probe is not
	// leased: a second process probing at the same time costs one
	// request, deduplicated on commit.
	probe bool
}

// backfill is the scheduler of one parallel pass over a set of gaps.
type backfill struct {
	s      *Syncer
	q      Query
	sig    string
	budget *budget
	leaser Leaser // nil: the sink is not shared
	parts  int    // how many windows the gaps are cut into
	// rest is the gaps queued once the probe has answered, newest first.
	rest []Range

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change below
	queue   []*window     // not started, newest first
	active  []*window     // being walked
	total   int           // windows, split ones included
	rows    int           // rows fetched across windows, for density estimates
	walked  time.Duration // time walked across windows, for density estimates
	// claiming counts windows popped whose lease is being taken: they are
	// about to become active, so idle workers must not give up yet.
	claiming int
	deferred []Range // windows another owner holds
	renewed  time.Time
}

// commit is one fetched page on its way to the writer.
type commit struct {
	w    *window
	page *Page
	rows []Activity // the page's rows inside the window
	// prepared is the sink's Preparer's work on rows (nil: none).
	prepared Prepared
	outside  int
	covered  Range
	reached  time.Time
	last     bool  // the window is finished with this page
	err      error // fail the sync once this page is committed
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

// next returns the window a worker walks next: the newest one not started
// (and not leased by another process), else the older half of the densest
// window in progress; nil when all work is done.
func (b *backfill) next(ctx context.Context) (*window, error) {
	for {
		b.mu.Lock()
		if w := b.pop(); w != nil {
			b.claiming++
			b.mu.Unlock()
			leased := b.leaser != nil && !w.probe
			ok, err := b.lease(ctx, w)
			var gaps []Range
			if err == nil && ok && leased {
				// Another process may have filled the window since the
				// gaps were read: fetch only what is still missing.
				gaps, err = b.s.sink.Missing(ctx, b.sig, w.r)
			}
			b.mu.Lock()
			b.claiming--
			switch {
			case err != nil:
			case !ok:
				b.deferred = append(b.deferred, w.r)
				b.total--
			case leased && len(gaps) == 0:
				b.total--
				ok = false
			default:
				if leased {
					w.r, w.stop, w.reached = gaps[0], gaps[0].From, gaps[0].To
					rest := splitGaps(gaps[1:], 1)
					b.queue = append(rest, b.queue...)
					b.total += len(rest)
				}
				b.active = append(b.active, w)
			}
			b.notify()
			b.mu.Unlock()
			if err != nil {
				return nil, err
			}
			if ok {
				return w, nil
			}
			continue
		}
		if w := b.steal(); w != nil {
			b.active = append(b.active, w)
			b.notify()
			b.mu.Unlock()
			return w, nil
		}
		if len(b.active) == 0 && b.claiming == 0 {
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

// lease claims w for this process (always granted without a Leaser, and
// for a probe).
func (b *backfill) lease(ctx context.Context, w *window) (bool, error) {
	if b.leaser == nil || w.probe {
		return true, nil
	}
	return b.leaser.TakeLease(ctx, b.sig, w.r, b.s.cfg.leaseOwner, b.s.cfg.now().Add(b.s.cfg.leaseTTL))
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
	last := !hasMore || (len(rows) > 0 && w.reached.Before(w.stop)) || w.probe
	if last {
		b.active = slices.DeleteFunc(b.active, func(x *window) bool { return x == w })
	}
	if w.probe {
		// The rest of the probed gap (from the oldest instant the page
		// reached, whose other rows may be on the next page), then the
		// other gaps: the workers start on them while the writer commits
		// the probe's page.
		rest := b.rest
		if hasMore {
			to := w.r.To
			if len(rows) > 0 && w.reached.Add(coverageEpsilon).Before(to) {
				to = w.reached.Add(coverageEpsilon)
			}
			rest = append([]Range{{From: w.r.From, To: to}}, rest...)
		}
		queued := splitGaps(rest, b.parts)
		b.queue = append(b.queue, queued...)
		b.total += len(queued)
		b.rest = nil
	}
	b.notify()
	return last
}

// syncParallel is syncWindow for a parallel backfill: it fetches the gaps
// in passes until none is left, waiting for windows another process holds.
func (s *Syncer) syncParallel(ctx context.Context, q Query, sig string, bounds func() (time.Time, time.Time), run *runState) error {
	done := map[Range]bool{}
	probed := false
	var seen density
	for range 1000 {
		from, end := bounds()
		if !from.IsZero() && !end.After(from) {
			return nil
		}
		gaps, err := s.sink.Missing(ctx, sig, Range{From: from, To: end})
		if err != nil {
			return err
		}
		var todo []Range
		for _, g := range gaps {
			if !done[g] {
				todo = append(todo, g)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		// The first pass sends one request for the newest gap first: a
		// small answer (has_more:false) is then all of it, in one request
		// rather than one per window, and its page tells how dense the
		// feed is before the rest is cut into windows.
		deferred, err := s.fetchParallel(ctx, q, sig, todo, run, !probed, &seen)
		probed = true
		if err != nil {
			return err
		}
		// A gap is done unless another owner held part of it: that part is
		// looked at again (it is filled by then, or its lease expired).
		for _, g := range todo {
			if !slices.ContainsFunc(deferred, func(d Range) bool { return overlaps(d, g) }) {
				done[g] = true
			}
		}
		if len(deferred) > 0 {
			t := time.NewTimer(s.cfg.leasePoll)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	return errors.New("sync: coverage did not converge (the cache keeps reporting new gaps)")
}

// overlaps reports whether two ranges share an instant (a zero bound is open).
func overlaps(a, b Range) bool {
	return (a.From.IsZero() || b.To.IsZero() || a.From.Before(b.To)) && (b.From.IsZero() || a.To.IsZero() || b.From.Before(a.To))
}

// density is what the pages fetched so far say about the feed: rows over
// the time they span.
type density struct {
	rows   int
	walked time.Duration
}

// fetchParallel fetches the gaps with up to cfg.parallel requests in
// flight, committing every page from this goroutine. It returns the
// windows it left to another process holding them. With probe it fetches
// the first page of the newest gap before it cuts the rest into windows.
// seen carries the density estimate from one pass to the next.
func (s *Syncer) fetchParallel(ctx context.Context, q Query, sig string, gaps []Range, run *runState, probe bool, seen *density) ([]Range, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	leaser, _ := s.sink.(Leaser)
	parts := s.cfg.parallel
	if leaser != nil {
		// More windows than workers, so a second process finds some free.
		parts *= 2
	}
	var windows []*window
	var rest []Range
	if probe {
		newest := 0
		for i, g := range gaps {
			if g.To.After(gaps[newest].To) {
				newest = i
			}
		}
		g := gaps[newest]
		windows = []*window{{r: g, stop: g.From, reached: g.To, probe: true}}
		rest = slices.Delete(slices.Clone(gaps), newest, newest+1)
	} else {
		windows = splitGaps(gaps, parts)
	}
	b := &backfill{s: s, q: q, sig: sig, budget: newBudget(s.cfg.now, s.cfg.parallel, s.cfg.budgetReserve),
		leaser: leaser, parts: parts, rest: rest, changed: make(chan struct{}), queue: windows, total: len(windows),
		renewed: s.cfg.now(), rows: seen.rows, walked: seen.walked}
	defer func() {
		b.mu.Lock()
		seen.rows, seen.walked = b.rows, b.walked
		b.mu.Unlock()
	}()
	if leaser != nil {
		defer func() {
			// Leases are given back even when ctx was cancelled.
			endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = leaser.ReleaseLeases(endCtx, s.cfg.leaseOwner)
		}()
	}

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
		return b.deferred, ctx.Err()
	}
	return b.deferred, firstErr
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
		var prepared Prepared
		if pr, ok := b.s.sink.(Preparer); ok {
			// Here rather than on the writer: an error is Put's to report.
			prepared, _ = pr.Prepare(rows)
		}
		next := p
		if page.HasMore {
			next = followCursor(p, page, len(rows), &emptyStreak)
		}
		covered := Range{To: w.r.To}
		switch {
		case !page.HasMore:
			covered.From = w.r.From
		case len(rows) > 0:
			covered.From = oldest(rows).Add(coverageEpsilon)
		}
		last := b.advance(w, rows, page.HasMore)
		c := commit{w: w, page: page, rows: rows, prepared: prepared, outside: outside, covered: covered, reached: w.r.To, last: last}
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
	batch := Batch{Filter: b.sig, Activities: c.rows, RunID: run.id, RequestID: page.Meta.RequestID, Prepared: c.prepared}
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
	if now := s.cfg.now(); b.leaser != nil && now.Sub(b.renewed) >= s.cfg.leaseTTL/4 {
		if err := b.leaser.RenewLeases(ctx, s.cfg.leaseOwner, now.Add(s.cfg.leaseTTL)); err != nil {
			return err
		}
		b.renewed = now
	}
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
