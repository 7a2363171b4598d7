package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"github.com/spf13/cobra"
)

// searchPage is how many rows each keyset read of a headless query fetches.
const searchPage = 1000

func (a *app) syncCommand() *cobra.Command {
	var directory bool
	cmd := &cobra.Command{
		Use:   "sync [QUERY]",
		Short: "Fetch what the cache lacks for the query's window",
		Long: `sync fetches every part of the query's window that the cache does not hold yet
for the query's server-side filter (time window, activity types, user ids, orgs),
page by page, several time windows at once within the shared rate budget
(--parallel); an interrupted sync resumes where it stopped. Without a time term it
syncs the last 30 days. On a terminal it draws a progress bar; otherwise it prints
one summary line on stderr.

After the feed, sync refreshes the directory (organizations, users, roles, groups
and Compliance key names, so ids show and query as names) when it is older than
the config's directory_ttl (default 1h; 0 = only with --directory). An Admin API
key cannot read it: sync then says so in one line and exits 0. A failed refresh
is a warning; the feed sync's result decides the exit code.`,
		Example: `  claudit sync                       # the last 30 days, everything
  claudit sync since:90d type:@keys  # key lifecycle events of the last 90 days
  ANTHROPIC_COMPLIANCE_ACCESS_KEY=... claudit sync --cache /var/lib/claudit/ci.db`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeQuery,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			if a.parallel < 1 || a.parallel > maxParallel {
				return &usageError{err: fmt.Errorf("--parallel %d: want 1 to %d", a.parallel, maxParallel)}
			}
			q, _, err := a.parseQuery(args)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := a.runSync(ctx, st, q, true)
			if err != nil {
				return err
			}
			return a.syncDirectory(ctx, st, res.client, directory)
		},
	}
	cmd.Flags().IntVar(&a.parallel, "parallel", feed.DefaultParallel,
		"requests in flight at most while backfilling (1 = one cursor at a time); always within the rate budget")
	cmd.Flags().BoolVar(&directory, "directory", false,
		"refresh the directory (names of users, organizations, groups, roles and Compliance keys) even if it is newer than directory_ttl")
	return cmd
}

func (a *app) queryCommand() *cobra.Command {
	var (
		format  string
		offline bool
		limit   int
		resolve bool
	)
	cmd := &cobra.Command{
		Use:   "query [QUERY]",
		Short: "Print the activities matching a query",
		Long: `query syncs the gaps of the query's window, then answers from the cache, newest
first. A query without a time term syncs the last 30 days and searches the whole
cache. With --offline nothing is fetched and stderr says when the cache does not
cover the window completely. claudit's own API calls are left out unless the query
says is:self. With no match, the table format says "0 events in <window> (the cache
covers N% of it)" on stderr.

Formats: table (aligned, sanitised, fits the terminal), json (an array of the raw
activities), ndjson (each activity's raw JSON exactly as received, one per line),
csv (RFC 4180 with a header), ocsf (one OCSF 1.6.0 event per activity and line,
for SIEMs; see README "OCSF"). table and csv show the directory's names (see claudit
who); json --resolve adds a "_resolved" array to each activity. With --redact every format masks e-mails, ips,
user agents and ids (the same value, the same mask, within one run); json and
ndjson are then valid JSON but no longer byte-exact.

@view:NAME stands for the query of a saved view of the config file's [views]
table (see claudit --help); other terms narrow it further.`,
		Example: `  claudit query since:24h type:@keys
  claudit query @view:incident actor:bob@example.com --format csv
  claudit query key:apikey_01HxYz... --format ndjson | jq .type
  claudit query since:7d -type:@noise --format csv > week.csv
  claudit query since:24h --format ocsf > events.ocsf.ndjson
  claudit query ip:198.51.100.7 --offline --limit 20`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeQuery,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			if !slices.Contains(printer.RowFormats(), format) {
				return &usageError{err: fmt.Errorf("--format %q: want one of %s", format, strings.Join(printer.RowFormats(), ", "))}
			}
			if limit < 0 {
				return &usageError{err: fmt.Errorf("--limit %d: want 0 (no limit) or more", limit)}
			}
			if resolve && format != printer.FormatJSON {
				return &usageError{err: fmt.Errorf("--resolve works with --format json only (ndjson stays the raw events; table and csv show names already)")}
			}
			q, _, err := a.parseQuery(args)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.answer(ctx, q, offline, func(st *store.Store) error {
				return a.printRows(ctx, st, q, format, limit, resolve)
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", printer.FormatTable, "output format: "+strings.Join(printer.RowFormats(), ", "))
	cmd.Flags().BoolVar(&offline, "offline", false, "answer from the cache alone, without syncing")
	cmd.Flags().IntVar(&limit, "limit", 0, "print at most N activities (0 = all)")
	cmd.Flags().BoolVar(&resolve, "resolve", false, "with --format json: add to each activity a \"_resolved\" array of what the directory knows of the ids it mentions (the events are then no longer byte-exact)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(printer.RowFormats(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// noteCoverage says on stderr when the cache does not fully cover the
// query's window, so an offline answer is not mistaken for a complete one.
func (a *app) noteCoverage(ctx context.Context, st *store.Store, q feed.Query) error {
	filter, err := q.ServerFilter()
	if err != nil {
		return &queryError{text: q.String(), err: err}
	}
	w := syncWindow(q, a.env.now())
	cov, err := st.Coverage(ctx, filter.Encode(), w)
	if err != nil {
		return &cacheError{err: err}
	}
	if cov.Fraction < 1 {
		what := "the query's window"
		if !q.HasTimeTerm() {
			what = "the last 30 days"
		}
		a.warn("offline: the cache covers %d%% of %s, so results may be incomplete (run claudit sync, or drop --offline)",
			int(cov.Fraction*100), what)
	}
	return nil
}

// answer runs the answer of query or key: it opens the cache (read-only
// when it must, with --offline), syncs q's window first (offline: says how
// much of it the cache covers), prints with write and, when a failed sync
// still let the cache answer, says what the answer may lack and returns
// the sync's error (exit 3).
func (a *app) answer(ctx context.Context, q feed.Query, offline bool, write func(*store.Store) error) error {
	open := a.openStore
	if offline {
		open = a.openStoreOffline
	}
	st, err := open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var syncErr error
	if offline {
		if err := a.noteCoverage(ctx, st, q); err != nil {
			return err
		}
	} else if _, syncErr = a.runSync(ctx, st, q, false); syncErr != nil && !a.answerDespite(syncErr) {
		return syncErr
	}
	if err := write(st); err != nil {
		return err
	}
	return a.incompleteAnswer(ctx, st, q, syncErr)
}

// answerDespite reports whether a failed sync still lets query and key
// answer from the cache: a network or API failure (exit 3) does; a bad
// key, a broken cache or an interrupt does not.
func (a *app) answerDespite(syncErr error) bool {
	return exitCode(syncErr) == exitAPI
}

// incompleteAnswer follows an answer given after a failed sync: it says on
// stderr what the cache holds and lacks for the window, and returns the
// sync's error so the command still exits 3 (scripts must not take the
// answer for a complete one). With syncErr nil it does nothing.
func (a *app) incompleteAnswer(ctx context.Context, st *store.Store, q feed.Query, syncErr error) error {
	if syncErr == nil {
		return nil
	}
	what := "the query's window"
	if !q.HasTimeTerm() {
		what = "the last 30 days"
	}
	gap := "its coverage could not be read"
	if filter, err := q.ServerFilter(); err == nil {
		if cov, err := st.Coverage(ctx, filter.Encode(), syncWindow(q, a.env.now())); err == nil {
			gap = a.describeGaps(cov)
		}
	}
	a.warn("the sync failed, so this answer comes from the cache alone and may be incomplete: for %s %s", what, gap)
	return syncErr
}

// describeGaps says how much of a window the cache covers and names its
// newest gap.
func (a *app) describeGaps(cov store.Coverage) string {
	if len(cov.Missing) == 0 {
		return "the cache is complete"
	}
	layout := "2006-01-02 15:04 MST"
	g := cov.Missing[0] // newest first
	msg := fmt.Sprintf("the cache covers %d%%; it lacks %s → %s", int(cov.Fraction*100),
		g.From.In(a.loc()).Format(layout), g.To.In(a.loc()).Format(layout))
	if n := len(cov.Missing) - 1; n > 0 {
		msg += fmt.Sprintf(" and %s before that", printer.Count(n, "older gap"))
	}
	return msg
}

// printRows streams the matching rows, newest first, in format.
func (a *app) printRows(ctx context.Context, st *store.Store, q feed.Query, format string, limit int, resolve bool) error {
	opt := a.printOptions()
	if format == printer.FormatTable || format == printer.FormatCSV {
		opt.Names = a.printNames(ctx, st)
	}
	w, err := printer.NewRowWriter(format, a.env.stdout, opt)
	if err != nil {
		return &usageError{err: err}
	}
	if resolve {
		names, err := st.Names(ctx)
		if err != nil {
			return &cacheError{err: err}
		}
		w = &resolvingWriter{next: w, names: names, red: a.redactor()}
	}
	now := a.env.now()
	var cur store.Cursor
	printed := 0
	for {
		n := searchPage
		if limit > 0 {
			n = min(n, limit-printed)
		}
		if n == 0 {
			break
		}
		rows, err := st.Search(ctx, q, now, cur, store.Older, n)
		if err != nil {
			return searchError(q, err)
		}
		if err := w.WriteRows(rows); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		printed += len(rows)
		if len(rows) < n {
			break
		}
		cur = rows[len(rows)-1].Cursor()
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if printed == 0 && format == printer.FormatTable {
		// On stderr, so stdout stays the table (here: its header alone).
		msg, err := a.zeroResults(ctx, st, q, now)
		if err != nil {
			return err
		}
		a.warn("%s", msg)
		// Then the values asked for that the cache has never seen, with
		// the closest it has: a typo is not mistaken for "nothing happened".
		misses, err := st.NearMisses(ctx, q, nearMissCount)
		if err != nil {
			return &cacheError{err: err}
		}
		for _, miss := range misses {
			a.warn("%s", miss)
		}
	}
	return nil
}

// nearMissCount is how many cached values a near miss suggests.
const nearMissCount = 3

// zeroResults says that nothing matched, where it looked and how much of
// that the cache holds, so "no events" is not mistaken for "not fetched":
// "0 events in 2026-09-13 15:00 UTC – 2026-09-15 15:00 UTC (the cache
// covers 100% of it)".
func (a *app) zeroResults(ctx context.Context, st *store.Store, q feed.Query, now time.Time) (string, error) {
	filter, err := q.ServerFilter()
	if err != nil {
		return "", &queryError{text: q.String(), err: err}
	}
	w := syncWindow(q, now)
	cov, err := st.Coverage(ctx, filter.Encode(), w)
	if err != nil {
		return "", &cacheError{err: err}
	}
	pct := fmt.Sprintf("%d%%", int(cov.Fraction*100))
	if !q.HasTimeTerm() {
		return "0 events in the whole cache (it covers " + pct + " of the last 30 days)", nil
	}
	const layout = "2006-01-02 15:04 MST"
	from, to := q.Bounds(now, 0)
	span := "… – " + to.In(a.loc()).Format(layout)
	if !from.IsZero() {
		span = from.In(a.loc()).Format(layout) + " – "
		if to.IsZero() {
			span += "…"
		} else {
			span += to.In(a.loc()).Format(layout)
		}
	}
	return fmt.Sprintf("0 events in %s (the cache covers %s of it)", span, pct), nil
}

// searchError classifies a failed search: the store's own failures are
// cache errors, anything else is a query the cache cannot run.
func searchError(q feed.Query, err error) error {
	if isCacheErr(err) || errors.Is(err, context.Canceled) {
		return &cacheError{err: err}
	}
	return &queryError{text: q.String(), err: err}
}

func (a *app) keyCommand() *cobra.Command {
	var (
		format  string
		offline bool
	)
	cmd := &cobra.Command{
		Use:   "key KEY_ID",
		Short: "Print a key's dossier: its lifecycle and what it did",
		Long: `key prints what the cache knows about one API key: its lifecycle (who created it,
each rename and activation change with before → after, who deactivated, revoked
or deleted it, with time, ip and user agent) and what it did (events by type,
first and last seen, ips, user agents). When the directory knows the key (a
Compliance key), the table adds its name, scopes, state, expiry and creator, and
says where the directory differs from what the events show. It syncs the last 30
days first unless --offline.`,
		Example: `  claudit key apikey_01HxYz...
  claudit key apikey_01HxYz... --format json | jq .lifecycle`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			if format != printer.FormatTable && format != printer.FormatJSON {
				return &usageError{err: fmt.Errorf("--format %q: want table or json", format)}
			}
			// "key:apikey_…" (as written in a query) means the same id.
			keyID := strings.TrimPrefix(strings.TrimSpace(queryText(args)), "key:")
			if keyID == "" {
				return &usageError{err: errors.New("KEY_ID is empty")}
			}
			ctx := cmd.Context()
			// The dossier searches the whole cache: sync the default window.
			return a.answer(ctx, feed.Query{}, offline, func(st *store.Store) error {
				d, err := st.Dossier(ctx, keyID)
				if err != nil {
					return &cacheError{err: err}
				}
				if format == printer.FormatJSON {
					return printer.WriteDossierJSON(a.env.stdout, d, a.printOptions())
				}
				if err := printer.WriteDossier(a.env.stdout, d, a.printOptions()); err != nil {
					return err
				}
				names, err := st.Names(ctx)
				if err != nil {
					return &cacheError{err: err}
				}
				state, err := st.DirectoryState(ctx)
				if err != nil {
					return &cacheError{err: err}
				}
				fprintf(a.env.stdout, "%s", safe.Multiline(a.keyDirectoryBlock(names, state, d)))
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", printer.FormatTable, "output format: table or json")
	cmd.Flags().BoolVar(&offline, "offline", false, "answer from the cache alone, without syncing")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{printer.FormatTable, printer.FormatJSON}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
