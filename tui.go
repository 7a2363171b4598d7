package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"claudit/feed"
	"claudit/store"
	"claudit/ui"
)

// runTUI opens the explorer on the real cache. The first screen comes from
// the cache alone: the key is looked up only when the first sync starts.
func (a *app) runTUI(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if err := mistypedCommand(cmd.Root(), args[0]); err != nil {
			return err
		}
	}
	if err := a.settings(cmd); err != nil {
		return err
	}
	q, _, err := a.parseQuery(args)
	if err != nil {
		return err
	}
	if a.envKeyErr != nil { // refused before the explorer starts, as every command does
		return a.envKeyErr
	}
	if !a.env.isTerminal(a.env.stdout) || !a.env.isTerminal(a.env.stdin) {
		return &usageError{err: errors.New("the explorer needs a terminal: in scripts and pipes use claudit query (see claudit query --help)")}
	}
	ctx := cmd.Context()
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	label := "keychain key (profile " + a.profile + ")"
	if !a.envKey.IsZero() {
		label = a.envKey.Masked()
	}
	return ui.Run(ctx, a.tuiDeps(st, q, label, a.lazyKey()))
}

// lazyKey resolves the key on first use and remembers it, so the explorer
// draws the cache before any keychain access; a failed lookup is retried
// on the next call.
func (a *app) lazyKey() func(context.Context) (feed.Secret, error) {
	var (
		mu  sync.Mutex
		key feed.Secret
	)
	return func(ctx context.Context) (feed.Secret, error) {
		mu.Lock()
		defer mu.Unlock()
		if !key.IsZero() {
			return key, nil
		}
		k, _, err := a.key(ctx)
		if err != nil {
			return feed.Secret{}, err
		}
		key = k
		return key, nil
	}
}

// tuiDeps wires the explorer to the cache, the Syncer (window sync and live
// tail) and the evidence export. getKey is called by the first sync.
func (a *app) tuiDeps(st *store.Store, q feed.Query, keyLabel string, getKey func(context.Context) (feed.Secret, error)) ui.Deps {
	// syncer builds a Syncer whose client reports its retry waits as
	// progress, so the header can count down when the API pushes back.
	// extra holds the options of one use: the window sync backfills in
	// parallel within the budget, as claudit sync does (the store leases
	// its windows, so a headless sync on the same cache shares the work);
	// the live tail polls one cursor.
	syncer := func(ctx context.Context, report func(feed.Progress), extra ...feed.SyncOption) (*feed.Syncer, error) {
		key, err := getKey(ctx)
		if err != nil {
			return nil, err
		}
		// The explorer shows a retry countdown, so it keeps retrying
		// longer than a headless command would.
		c, err := a.newClient(key, func(e feed.RetryEvent) {
			report(feed.Progress{Phase: "retry", RetryWait: e.Wait, RetryStatus: e.Status})
		}, feed.WithRetry(feed.DefaultRetryPolicy()))
		if err != nil {
			return nil, err
		}
		opts := append([]feed.SyncOption{feed.WithClock(a.env.now), feed.WithPageLimit(a.pageSize), feed.WithProgress(report),
			feed.WithPollInterval(a.tailPoll, max(a.tailPoll, time.Minute)),
			feed.WithOverlap(15*time.Minute, a.tailReconcile)}, extra...)
		return feed.NewSyncer(c, st, opts...), nil
	}
	cfg := a.cfg
	if cfg == nil { // settings not run: no config file
		cfg = &config{}
	}
	exportDir, _ := a.evidenceRoot() // "": the explorer says there is none
	return ui.Deps{
		Source:    st,
		ExportDir: exportDir,
		Sync: func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
			s, err := syncer(ctx, report, feed.WithParallel(a.parallelism()), feed.WithBudgetReserve(a.budgetReserve))
			if err != nil {
				return err
			}
			// The directory (a few requests) is refreshed beside the
			// feed, so names arrive while a long backfill runs.
			dir := make(chan struct{})
			go func() {
				defer close(dir)
				a.refreshDirectoryQuietly(ctx, st, getKey)
			}()
			_, err = s.Sync(ctx, q, defaultSince)
			<-dir
			return err
		},
		Tail: func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
			s, err := syncer(ctx, report)
			if err != nil {
				return err
			}
			return s.Tail(ctx, q)
		},
		Export: func(ctx context.Context, q feed.Query, dir string, r *feed.Redactor) (string, error) {
			_, err := a.writeBundle(ctx, st, q, q.String(), dir, false, r)
			return dir, err
		},
		Query:        q,
		Profile:      a.profile,
		KeyLabel:     keyLabel,
		Now:          a.env.now,
		DefaultSince: defaultSince,
		UTC:          a.utc,
		NoColor:      a.noColor,
		Redact:       a.redact,
		Redactor:     a.sessionRedactor(),
		Local:        a.loc(),
		Views:        cfg.views,
		Columns:      cfg.columns,
		KeyOverrides: cfg.keys,
	}
}
