package feed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Pager fetches one page of the feed; *Client implements it.
type Pager interface {
	ListPage(ctx context.Context, p PageParams) (*Page, error)
}

// Syncer fills a Sink from the feed: window sync fetches exactly the ranges
// the sink lacks, live tail follows the newest events. It is safe for one
// sync at a time; run window sync and tail from one goroutine or two
// Syncers.
type Syncer struct {
	pager Pager
	sink  Sink
	cfg   syncConfig

	// clockOffset is the server clock minus the local clock, learnt from
	// the Date header of every response.
	clockOffset time.Duration
	offsetKnown bool
}

type syncConfig struct {
	now            func() time.Time
	lag            time.Duration
	pageLimit      int
	overlap        time.Duration
	reconcileEvery time.Duration
	pollMin        time.Duration
	pollMax        time.Duration
	progress       func(Progress)
	parallel       int
	budgetReserve  float64
	leaseOwner     string
	leaseTTL       time.Duration
	leasePoll      time.Duration
}

// SyncOption configures a Syncer.
type SyncOption func(*syncConfig)

// WithClock sets the local clock (default time.Now).
func WithClock(now func() time.Time) SyncOption { return func(c *syncConfig) { c.now = now } }

// WithLag sets how far behind the server's clock windows end (default and
// minimum 60 s: the feed indexes events up to a minute late).
func WithLag(d time.Duration) SyncOption {
	return func(c *syncConfig) { c.lag = max(d, time.Minute) }
}

// WithPageLimit sets the page size (default 5000, the maximum).
func WithPageLimit(n int) SyncOption { return func(c *syncConfig) { c.pageLimit = n } }

// WithOverlap sets the trailing window live tail re-reads to catch late
// events (default 15 minutes) and how often it does so (default 5 minutes).
func WithOverlap(overlap, every time.Duration) SyncOption {
	return func(c *syncConfig) { c.overlap, c.reconcileEvery = overlap, every }
}

// WithPollInterval sets the live tail's fastest and slowest poll intervals
// (default 10 s and 60 s).
func WithPollInterval(minInterval, maxInterval time.Duration) SyncOption {
	return func(c *syncConfig) { c.pollMin, c.pollMax = minInterval, maxInterval }
}

// WithProgress sets the function that receives progress reports. It is
// called synchronously from the syncing goroutine and must not block long.
func WithProgress(f func(Progress)) SyncOption { return func(c *syncConfig) { c.progress = f } }

// WithParallel sets how many requests a window sync keeps in flight at
// most (default 1: one cursor at a time). Above 1 the gaps are fetched as
// time windows walked concurrently, within the rate budget (issue 13).
func WithParallel(n int) SyncOption { return func(c *syncConfig) { c.parallel = max(n, 1) } }

// WithBudgetReserve sets the fraction of the organisation's per-minute rate
// budget a parallel window sync leaves to the org's other consumers
// (default DefaultBudgetReserve).
func WithBudgetReserve(f float64) SyncOption { return func(c *syncConfig) { c.budgetReserve = f } }

// NewSyncer returns a Syncer that reads pages from p and writes them to sink.
func NewSyncer(p Pager, sink Sink, opts ...SyncOption) *Syncer {
	cfg := syncConfig{
		now:            time.Now,
		lag:            IndexingLag,
		pageLimit:      5000,
		overlap:        15 * time.Minute,
		reconcileEvery: 5 * time.Minute,
		pollMin:        10 * time.Second,
		pollMax:        60 * time.Second,
		progress:       func(Progress) {},
		parallel:       1,
		budgetReserve:  DefaultBudgetReserve,
		leaseTTL:       leaseTTL,
		leasePoll:      leasePoll,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.leaseOwner == "" {
		cfg.leaseOwner = newLeaseOwner()
	}
	cfg.leaseTTL, cfg.leasePoll = max(cfg.leaseTTL, time.Second), max(cfg.leasePoll, time.Millisecond)
	return &Syncer{pager: p, sink: sink, cfg: cfg}
}

// ServerNow is the best estimate of the server's clock: the local clock
// corrected by the offset seen in Date headers.
func (s *Syncer) ServerNow() time.Time { return s.cfg.now().Add(s.clockOffset) }

// observe learns the server clock from a response's Date header, against
// the Syncer's own clock (which may differ from the client's).
func (s *Syncer) observe(m Meta) {
	if m.Date.IsZero() {
		return
	}
	// Date has one-second resolution and is truncated, so the estimate errs
	// toward the past (the safe side). Keep the offset unless it moved by
	// more than that, so it does not jitter.
	off := m.Date.Sub(s.cfg.now())
	if !s.offsetKnown || absDur(off-s.clockOffset) > time.Second {
		s.clockOffset, s.offsetKnown = off, true
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// safeEnd is the newest instant a window may end at: the server's clock
// minus the indexing lag.
func (s *Syncer) safeEnd() time.Time { return s.ServerNow().Add(-s.cfg.lag) }

// IndexingLag is how late the feed may make an event queryable (§6 of the
// contract): windows end at least this long before the server's clock.
const IndexingLag = time.Minute

// SettledLag is how far behind now a fully synced window can reach: the
// indexing lag, plus the server clock's uncertainty (the Date header has
// one-second resolution and the request takes time). Coverage shown to the
// analyst is measured up to now minus SettledLag.
const SettledLag = IndexingLag + 2*time.Second

// coverageEpsilon is added to the oldest timestamp of a page to form the
// lower bound of what that page proves complete: rows sharing the oldest
// timestamp may continue on the next page, so that instant is not covered.
const coverageEpsilon = time.Microsecond

// Sync fetches every part of the query's window that the sink lacks for
// the query's server-side filter. A query without a time term uses the last
// defaultSince. The window's end is clamped to the server's clock minus the
// lag. Sync is resumable: each page commits the coverage it proves, so a
// killed run is continued by the next without re-fetching committed pages.
func (s *Syncer) Sync(ctx context.Context, q Query, defaultSince time.Duration) (RunSummary, error) {
	filter, err := q.ServerFilter()
	if err != nil {
		return RunSummary{}, err
	}
	sig := filter.Encode()
	bounds := s.windowBounds(q, defaultSince)
	from, to := bounds()
	run := runState{}
	info := RunInfo{Kind: "window", Query: q.String(), Filter: sig, Window: Range{from, to}, Started: s.cfg.now()}
	id, err := s.sink.BeginRun(ctx, info)
	if err != nil {
		return RunSummary{}, err
	}
	run.id = id
	run.summary.RunID, run.summary.Window, run.summary.Started = id, info.Window, info.Started
	err = s.syncWindow(ctx, q, sig, bounds, false, &run)
	return s.finish(ctx, &run, err)
}

// windowBounds returns the function syncWindow asks for the window on each
// pass. The clock is frozen when the sync starts, so the window does not
// creep forward while pages arrive (each creep would be another request),
// but it shifts by any correction of the server clock offset that the
// first responses teach. The end is clamped to the indexing lag.
func (s *Syncer) windowBounds(q Query, defaultSince time.Duration) func() (time.Time, time.Time) {
	local := s.cfg.now()
	return func() (time.Time, time.Time) {
		serverNow := local.Add(s.clockOffset)
		from, to := q.Bounds(serverNow, defaultSince)
		if safe := serverNow.Add(-s.cfg.lag); to.IsZero() || to.After(safe) {
			to = safe
		}
		return from, to
	}
}

// runState accumulates the summary of one run.
type runState struct {
	id      int64
	summary RunSummary
}

func (s *Syncer) finish(ctx context.Context, run *runState, err error) (RunSummary, error) {
	run.summary.Finished = s.cfg.now()
	if err != nil {
		run.summary.Err = err.Error()
	}
	// Record the run even when ctx was cancelled: use a short detached context.
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if endErr := s.sink.EndRun(endCtx, run.id, run.summary); endErr != nil && err == nil {
		err = endErr
	}
	s.report(Progress{Phase: "done", Pages: run.summary.Pages, Events: run.summary.Events,
		Inserted: run.summary.Inserted, Late: run.summary.Late, Anomalies: run.summary.Anomalies,
		OutOfWindow: run.summary.OutOfWindow, Retries: run.summary.Retries, Err: err})
	return run.summary, err
}

func (s *Syncer) report(p Progress) { s.cfg.progress(p) }

// syncWindow fetches the missing parts of the window (all of it when force
// is set, for reconciliation), newest gap first.
func (s *Syncer) syncWindow(ctx context.Context, q Query, sig string, bounds func() (time.Time, time.Time), force bool, run *runState) error {
	if s.cfg.parallel > 1 && !force {
		return s.syncParallel(ctx, q, sig, bounds, run)
	}
	// The loop re-reads the gaps after each one: the first response teaches
	// the server clock, which can move the safe end of the window.
	done := map[Range]bool{}
	for range 1000 {
		from, end := bounds()
		if !from.IsZero() && !end.After(from) {
			return nil
		}
		var gaps []Range
		if force {
			gaps = []Range{{From: from, To: end}}
		} else {
			var err error
			gaps, err = s.sink.Missing(ctx, sig, Range{From: from, To: end})
			if err != nil {
				return err
			}
		}
		var next *Range
		for i := range gaps {
			if !done[gaps[i]] {
				next = &gaps[i]
				break
			}
		}
		if next == nil {
			return nil
		}
		done[*next] = true
		if err := s.fetchRange(ctx, q, sig, *next, run); err != nil {
			return err
		}
		if force {
			return nil
		}
	}
	return errors.New("sync: coverage did not converge (the cache keeps reporting new gaps)")
}

// fetchRange walks one gap newest first with after_id, committing each page
// with the coverage it proves. The request for the next page is in flight
// while the current one is committed (one request at a time, as before:
// only the commit overlaps), so HTTP and SQLite use both cores.
func (s *Syncer) fetchRange(ctx context.Context, q Query, sig string, r Range, run *runState) error {
	params, err := q.ServerParams(r.From, r.To)
	if err != nil {
		return err
	}
	// Cancelling fctx stops a prefetch nobody will read (after an error).
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := PageParams{Filter: params, Limit: s.cfg.pageLimit}
	pending := s.fetch(fctx, p)
	prog := Progress{Phase: "window", Window: r, Reached: r.To}
	emptyStreak := 0
	var log cursorLog
	for {
		res := <-pending
		if res.err != nil {
			return res.err
		}
		page := res.page
		s.observe(page.Meta)
		run.summary.Pages++
		run.summary.Events += len(page.Data)
		run.summary.Retries += max(0, page.Meta.Attempts-1)
		if run.summary.StartCursor == "" {
			run.summary.StartCursor = page.FirstID
		}
		if page.LastID != "" {
			run.summary.EndCursor = page.LastID
		}
		run.summary.FinalRequestID = page.Meta.RequestID
		run.summary.RequestIDs = append(run.summary.RequestIDs, page.Meta.RequestID)

		// A cursor handed out before means the server goes in circles:
		// stop before following it (the page repeats rows already seen).
		if page.HasMore {
			if err := log.check(p.AfterID, page.LastID, page.Meta.RequestID); err != nil {
				return err
			}
		}
		// Rows outside the range asked for are the server's error: they
		// are not stored, and they prove no coverage.
		rows, outside := clipToRange(page.Data, r)
		run.summary.OutOfWindow += outside

		// has_more with no way forward (no rows in the range, or a cursor
		// that does not move) is retried a few times, following the cursor
		// when it moves, then given up on loudly rather than looping for
		// ever or skipping data.
		next := p
		if page.HasMore {
			next = followCursor(p, page, len(rows), &emptyStreak)
			if emptyStreak <= maxStuckPages {
				pending = s.fetch(fctx, next)
			}
		}

		covered := Range{To: r.To}
		switch {
		case !page.HasMore:
			covered.From = r.From
		case len(rows) > 0:
			covered.From = oldest(rows).Add(coverageEpsilon)
		}
		// The server clock may show the range's end is not yet safe.
		if safe := s.safeEnd(); covered.To.After(safe) {
			covered.To = safe
		}
		b := Batch{Filter: sig, Activities: rows, RunID: run.id, RequestID: page.Meta.RequestID}
		if !covered.From.IsZero() && covered.To.After(covered.From) {
			b.Covered = covered
		}
		put, err := s.sink.Put(ctx, b)
		if err != nil {
			return err
		}
		run.summary.Inserted += put.Inserted
		run.summary.Late += put.Late
		run.summary.Anomalies += put.Anomalies

		prog.Pages, prog.Events = run.summary.Pages, run.summary.Events
		prog.Inserted, prog.Late, prog.Anomalies = run.summary.Inserted, run.summary.Late, run.summary.Anomalies
		prog.Retries, prog.OutOfWindow = run.summary.Retries, run.summary.OutOfWindow
		prog.RateLimit = page.Meta.RateLimit
		if len(rows) > 0 {
			prog.Reached = oldest(rows)
		}
		if !page.HasMore {
			prog.Reached = r.From
			s.report(prog)
			return nil
		}
		s.report(prog)
		if emptyStreak > maxStuckPages {
			return fmt.Errorf("sync: the server keeps answering has_more with no rows or no next cursor (request-id %s); the cache holds everything up to %s: %w",
				escapeText(page.Meta.RequestID, 64), prog.Reached.UTC().Format(time.RFC3339), ErrNoProgress)
		}
		p = next
	}
}

// pageResult is the outcome of one page request.
type pageResult struct {
	page *Page
	err  error
}

// fetch requests one page in the background; the result arrives on the
// returned channel, which never blocks the sender.
func (s *Syncer) fetch(ctx context.Context, p PageParams) <-chan pageResult {
	ch := make(chan pageResult, 1)
	go func() {
		page, err := s.pager.ListPage(ctx, p)
		ch <- pageResult{page, err}
	}()
	return ch
}

// clipToRange returns the activities whose created_at lies in r (a zero
// From is unbounded) and how many did not. The common case, every row
// inside, returns acts itself without copying.
func clipToRange(acts []Activity, r Range) ([]Activity, int) {
	inside := func(a Activity) bool {
		return (r.From.IsZero() || !a.CreatedAt.Before(r.From)) && (r.To.IsZero() || a.CreatedAt.Before(r.To))
	}
	for i, a := range acts {
		if inside(a) {
			continue
		}
		kept := slices.Clone(acts[:i])
		for _, b := range acts[i+1:] {
			if inside(b) {
				kept = append(kept, b)
			}
		}
		return kept, len(acts) - len(kept)
	}
	return acts, 0
}

func oldest(acts []Activity) time.Time {
	t := acts[0].CreatedAt
	for _, a := range acts[1:] {
		if a.CreatedAt.Before(t) {
			t = a.CreatedAt
		}
	}
	return t
}

// followCursor is the request after a page that has more: it follows the
// cursor when the page moved it. stuck counts the pages in a row that made
// no progress (no rows in the range, or a cursor that did not move); the
// walkers give up loudly past maxStuckPages rather than loop or skip.
func followCursor(p PageParams, page *Page, inRange int, stuck *int) PageParams {
	moved := page.LastID != "" && page.LastID != p.AfterID
	if moved {
		p.AfterID = page.LastID
	}
	if moved && inRange > 0 {
		*stuck = 0
	} else {
		*stuck++
	}
	return p
}
