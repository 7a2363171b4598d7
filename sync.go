package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
)

// syncResult is what a headless sync did, for the export manifest.
type syncResult struct {
	runID   int64 // the run's id in the cache's sync log (0 = not found)
	info    feed.RunInfo
	summary feed.RunSummary
	rate    feed.RateLimit
	// client is the API client the sync used (nil when none was made), so
	// the directory refresh shares it.
	client *feed.Client
}

// syncWindow is the window a sync of q fetches: the query's bounds (the
// default window without a time term), ending where a sync started now can
// reach (feed.SettledLag: the feed indexes events up to a minute late, plus
// a margin for the server clock).
func syncWindow(q feed.Query, now time.Time) feed.Range {
	from, to := q.Bounds(now, defaultSince)
	if safe := now.Add(-feed.SettledLag); to.IsZero() || to.After(safe) {
		to = safe
	}
	return feed.Range{From: from, To: to}
}

// runSync fetches what the cache lacks for q's window. On a terminal it
// draws a progress bar on stderr and erases it at the end; when summary is
// set it then prints one summary line there, as off a terminal.
func (a *app) runSync(ctx context.Context, st *store.Store, q feed.Query, summary bool) (syncResult, error) {
	key, _, err := a.key(ctx)
	if err != nil {
		return syncResult{}, err
	}
	now := a.env.now()
	window := syncWindow(q, now)
	tty := a.env.isTerminal(a.env.stderr)
	var bar *printer.ProgressBar
	var hook func(feed.RetryEvent)
	if tty {
		filter, err := q.ServerFilter()
		if err != nil {
			return syncResult{}, &queryError{text: q.String(), err: err}
		}
		cov, err := st.Coverage(ctx, filter.Encode(), window)
		if err != nil {
			return syncResult{}, &cacheError{err: err}
		}
		bar = printer.NewProgressBar(a.env.stderr, printer.ProgressOptions{
			Width: a.env.termWidth(a.env.stderr), Theme: a.theme(a.env.stderr),
			Window: window, Covered: cov.Fraction, Loc: a.loc(),
		})
		hook = bar.Retry
	}
	client, err := a.newClient(key, hook)
	if err != nil {
		return syncResult{}, err
	}
	opts := []feed.SyncOption{feed.WithClock(a.env.now), feed.WithPageLimit(a.pageSize), feed.WithParallel(a.parallelism()),
		feed.WithBudgetReserve(a.budgetReserve)}
	var rate feed.RateLimit
	opts = append(opts, feed.WithProgress(func(p feed.Progress) {
		if p.RateLimit.Known {
			rate = p.RateLimit
		}
		if bar != nil {
			bar.Update(p)
		}
	}))
	syncer := feed.NewSyncer(client, st, opts...)
	newerBefore, _ := uncataloguedTypes(ctx, st)
	started := time.Now()
	sum, err := syncer.Sync(ctx, q, defaultSince)
	if bar != nil {
		bar.Finish()
	}
	if m := client.LastMeta(); m.RateLimit.Known {
		rate = m.RateLimit
	}
	res := syncResult{info: feed.RunInfo{Kind: "window", Query: q.String(), Window: window, Started: now}, summary: sum, rate: rate, client: client}
	if f, ferr := q.ServerFilter(); ferr == nil {
		res.info.Filter = f.Encode()
	}
	// The Syncer recorded the run with the exact window it used (it
	// follows the server's clock); prefer that record.
	if sum.RunID != 0 {
		res.runID, res.info.Window, res.info.Started = sum.RunID, sum.Window, sum.Started
	}
	a.rememberBudget(ctx, st, rate)
	a.noteNewTypes(ctx, st, newerBefore)
	if sum.OutOfWindow > 0 {
		a.warn("the server sent %s dated outside the window asked for; they were not stored (a server anomaly)",
			printer.Count(sum.OutOfWindow, "activity"))
	}
	if err != nil {
		if rej := rejectedType(q, err); rej != nil {
			return res, rej
		}
		return res, apiFailure(err)
	}
	if summary { // on a terminal too, under the erased progress bar
		fprintf(a.env.stderr, "claudit: %s\n", printer.SyncSummary(sum, res.info.Window, rate, time.Since(started)))
	}
	return res, nil
}

// parallelism is how many requests a backfill keeps in flight: sync's
// --parallel, feed.DefaultParallel for the commands that sync first.
func (a *app) parallelism() int {
	if a.parallel < 1 {
		return feed.DefaultParallel
	}
	return a.parallel
}

// maxParallel bounds --parallel: more would only wait on the budget.
const maxParallel = 32

// rejectedType turns the server's 400 for a type the catalogue does not
// know either into a usage error with the nearest catalogue names (exit 1):
// the query is wrong, not the network or the API. nil when err is anything
// else.
func rejectedType(q feed.Query, err error) error {
	var ae *feed.APIError
	if !feed.IsInvalidRequest(err) || !errors.As(err, &ae) {
		return nil
	}
	for _, name := range q.UnknownTypes() {
		if strings.Contains(ae.Message, name) {
			msg := fmt.Sprintf("the API rejected activity type %q (%d %s", name, ae.Status, ae.Type)
			if ae.RequestID != "" {
				msg += ", request-id " + ae.RequestID
			}
			msg += "), and the built-in catalogue does not know it either"
			if s := feed.DidYouMean(name); s != "" {
				msg += ": " + s
			}
			return &usageError{err: errors.New(msg)}
		}
	}
	return nil
}
