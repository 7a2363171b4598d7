package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
syncs the last 30 days. On a terminal it draws a progress bar on stderr and erases
it at the end; on a terminal or not, it ends with one summary line there.

After the feed, sync refreshes the directory (organizations, users, roles, groups
and Compliance key names, so ids show and query as names) when it is older than
the config's directory_ttl (default 1h; 0 = only with --directory). An Admin API
key cannot read it: sync then says so in one line and exits 0. A failed refresh
is a warning; the feed sync's result decides the exit code.`,
		Example: `  claudit sync                       # the last 30 days, everything
  claudit sync since:90d type:@keys  # key lifecycle events of the last 90 days
  ANTHROPIC_COMPLIANCE_ACCESS_KEY=... claudit sync --cache /var/lib/claudit/ci.db`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeQuery,
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
		order   string
	)
	cmd := &cobra.Command{
		Use:   "query [QUERY]",
		Short: "Print the activities matching a query",
		Long: `query syncs the gaps of the query's window, then answers from the cache, newest
first (--order asc: oldest first, what lnav and most log shippers want). A query without a time term syncs the last 30 days and searches the whole
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
  claudit query ip:198.51.100.7 --offline --limit 20
  claudit query since:7d --format ndjson --order asc | lnav`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeQuery,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			if !slices.Contains(printer.RowFormats(), format) {
				return &usageError{err: fmt.Errorf("--format %q: want one of %s", format, strings.Join(printer.RowFormats(), ", "))}
			}
			dir, err := parseOrder(order)
			if err != nil {
				return err
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
				return a.printRows(ctx, st, q, format, limit, dir, resolve)
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", printer.FormatTable, "output format: "+strings.Join(printer.RowFormats(), ", "))
	cmd.Flags().BoolVar(&offline, "offline", false, "answer from the cache alone, without syncing")
	cmd.Flags().IntVar(&limit, "limit", 0, "print at most N activities (0 = all)")
	cmd.Flags().BoolVar(&resolve, "resolve", false, "with --format json: add to each activity a \"_resolved\" array of what the directory knows of the ids it mentions (the events are then no longer byte-exact)")
	cmd.Flags().StringVar(&order, "order", orderDesc, "desc (newest first) or asc (oldest first); --limit keeps the first N of that order")
	_ = cmd.RegisterFlagCompletionFunc("order", cobra.FixedCompletions([]string{orderDesc, orderAsc}, cobra.ShellCompDirectiveNoFileComp))
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

// Values of query --order.
const (
	orderDesc = "desc"
	orderAsc  = "asc"
)

// parseOrder maps --order to the direction the store pages in: desc
// pages toward older rows from the newest, asc toward newer ones from the
// oldest.
func parseOrder(order string) (store.Direction, error) {
	switch order {
	case orderDesc:
		return store.Older, nil
	case orderAsc:
		return store.Newer, nil
	}
	return store.Older, &usageError{err: fmt.Errorf("--order %q: want %s or %s", order, orderDesc, orderAsc)}
}

// printRows streams the matching rows in format, newest first with
// store.Older and oldest first with store.Newer: keyset page by page, so
// memory stays flat however many rows match. table and csv show the
// directory's names; resolve adds json's _resolved.
func (a *app) printRows(ctx context.Context, st *store.Store, q feed.Query, format string, limit int, dir store.Direction, resolve bool) error {
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
	printed, err := streamRows(ctx, st, q, now, w, limit, dir, a.rawOnly(format) && !resolve)
	if err != nil {
		return err
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

// streamRows writes the rows matching q to w in dir's order (at most
// limit; 0 = all), a keyset page at a time, and returns how many it wrote.
// It does not close w. raw reads the rows undecoded (store.SearchRaw), for
// a format that prints nothing but the raw JSON.
func streamRows(ctx context.Context, st *store.Store, q feed.Query, now time.Time, w printer.RowWriter, limit int, dir store.Direction, raw bool) (int, error) {
	search := st.Search
	if raw {
		search = st.SearchRaw
	}
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
		rows, err := search(ctx, q, now, cur, dir, n)
		if err != nil {
			return printed, searchError(q, err)
		}
		if len(rows) == 0 {
			break
		}
		// A page comes back newest first in either direction; the cursor
		// is its far end in the direction of travel.
		next := rows[len(rows)-1].Cursor()
		if dir == store.Newer {
			next = rows[0].Cursor()
			slices.Reverse(rows)
		}
		if err := w.WriteRows(rows); err != nil {
			return printed, fmt.Errorf("write output: %w", err)
		}
		printed += len(rows)
		if len(rows) < n {
			break
		}
		cur = next
	}
	return printed, nil
}

// rawOnly reports whether format prints nothing but each activity's raw
// JSON, so rows need not be decoded: ndjson and json, unless redacting.
func (a *app) rawOnly(format string) bool {
	return (format == printer.FormatNDJSON || format == printer.FormatJSON) && a.redactor() == nil
}

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

// verifyKey makes status --check's one request for a single activity and
// returns its metadata; the rate budget it reports is remembered in the
// cache, when there is one, for later status calls.
func (a *app) verifyKey(ctx context.Context, key feed.Secret) (feed.Meta, error) {
	client, err := a.newClient(key, nil)
	if err != nil {
		return feed.Meta{}, err
	}
	_, err = client.ListPage(ctx, feed.PageParams{Limit: 1})
	m := client.LastMeta()
	if err == nil && m.RateLimit.Known {
		a.rememberBudget(ctx, nil, m.RateLimit)
	}
	return m, err
}

// rememberBudget records a rate budget in st (nil: the cache, if it
// exists); failing to is not worth failing a command for.
func (a *app) rememberBudget(ctx context.Context, st *store.Store, rl feed.RateLimit) {
	if !rl.Known {
		return
	}
	if st == nil {
		if _, err := os.Stat(a.cache); err != nil {
			return
		}
		s, err := a.openStore(ctx)
		if err != nil {
			return
		}
		defer s.Close()
		st = s
	}
	_ = st.RecordBudget(ctx, rl, a.env.now())
}

// statusJSON is status --format json: one object, the fields documented in
// the README ("claudit status --format json"). Times are RFC 3339 in UTC;
// absent things are null, never made up.
type statusJSON struct {
	Profile   string           `json:"profile"`
	BaseURL   string           `json:"base_url"`
	Key       statusKey        `json:"key"`
	Config    string           `json:"config"`
	Cache     statusCache      `json:"cache"`
	Coverage  *statusCoverage  `json:"coverage"`
	Freshness *statusFreshness `json:"freshness"`
	LastSync  *statusRun       `json:"last_sync"`
	Budget    *statusBudget    `json:"budget"`
	Check     *statusCheck     `json:"check"`
	Consumers []statusConsumer `json:"consumers"`
}

type statusKey struct {
	Source string `json:"source"` // "env", "keychain" or "" (none)
	Masked string `json:"masked"`
	Kind   string `json:"kind"`
	Error  string `json:"error"`
}

type statusCache struct {
	Path   string     `json:"path"`
	Exists bool       `json:"exists"`
	Bytes  int64      `json:"bytes"`
	Mode   string     `json:"mode"`
	Events int        `json:"events"`
	Oldest *time.Time `json:"oldest"`
	Newest *time.Time `json:"newest"`
	Error  string     `json:"error"`
}

type statusCoverage struct {
	Window     store.RangeJSON   `json:"window"`
	Fraction   float64           `json:"fraction"`
	Gaps       int               `json:"gaps"`
	NewestGaps []store.RangeJSON `json:"newest_gaps"`
}

type statusFreshness struct {
	CoveredUntil   *time.Time `json:"covered_until"`
	AgeSeconds     *float64   `json:"age_seconds"`
	NewestEvent    *time.Time `json:"newest_event"`
	NewestEventAge *float64   `json:"newest_event_age_seconds"`
}

type statusRun struct {
	Kind     string          `json:"kind"`
	Query    string          `json:"query"`
	Window   store.RangeJSON `json:"window"`
	Started  time.Time       `json:"started"`
	Finished *time.Time      `json:"finished"`
	Outcome  string          `json:"outcome"` // "ok", "failed" or "unfinished"
	Error    string          `json:"error"`
	Pages    int             `json:"pages"`
	Events   int             `json:"events"`
	Inserted int             `json:"inserted"`
	Late     int             `json:"late"`
	Retries  int             `json:"retries"`
}

type statusBudget struct {
	Limit      int       `json:"limit"`
	Remaining  int       `json:"remaining"`
	Reset      time.Time `json:"reset"`
	Seen       time.Time `json:"seen"`
	AgeSeconds float64   `json:"age_seconds"`
}

type statusCheck struct {
	OK        bool   `json:"ok"`
	RequestID string `json:"request_id"`
	Error     string `json:"error"`
}

type statusConsumer struct {
	Name    string    `json:"name"`
	Query   string    `json:"query"`
	Updated time.Time `json:"updated"`
	Behind  int       `json:"behind"`
}

// statusJSON prints status as JSON; its errors and exit code are the
// table's.
func (a *app) statusJSON(ctx context.Context, check bool) error {
	now := a.env.now()
	seconds := func(d time.Duration) *float64 { s := d.Seconds(); return &s }
	utc := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		u := t.UTC()
		return &u
	}
	out := statusJSON{Profile: a.profile, BaseURL: a.baseURL, Config: a.configStatus(), Consumers: []statusConsumer{}}
	key, source, keyErr := a.key(ctx)
	if keyErr != nil {
		out.Key.Error = keyErr.Error()
	} else {
		out.Key = statusKey{Source: source, Masked: key.Masked(), Kind: key.Kind().String()}
	}
	var checkErr error
	if check && keyErr == nil {
		var m feed.Meta
		m, checkErr = a.verifyKey(ctx, key)
		out.Check = &statusCheck{OK: checkErr == nil, RequestID: m.RequestID}
		if checkErr != nil {
			out.Check.Error = checkErr.Error()
		}
	}
	out.Cache.Path = a.cache
	var runErr error
	if _, err := os.Stat(a.cache); err == nil {
		st, err := a.openStore(ctx)
		if err != nil {
			runErr = err
		} else {
			runErr = a.cacheStatusJSON(ctx, st, now, &out, utc, seconds)
			st.Close()
		}
		if runErr != nil {
			out.Cache.Error = runErr.Error()
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fprintf(a.env.stdout, "%s\n", a.scrub(string(b)))
	var refused *keyKindError
	if check && keyErr != nil || errors.As(keyErr, &refused) {
		return keyErr
	}
	if checkErr != nil {
		return errors.Join(runErr, apiFailure(checkErr))
	}
	return runErr
}

// cacheStatusJSON fills the fields that come from the cache.
func (a *app) cacheStatusJSON(ctx context.Context, st *store.Store, now time.Time, out *statusJSON,
	utc func(time.Time) *time.Time, seconds func(time.Duration) *float64) error {
	stats, err := st.Stats(ctx)
	if err != nil {
		return &cacheError{err: err}
	}
	out.Cache = statusCache{Path: stats.Path, Exists: true, Bytes: stats.Bytes, Mode: stats.Mode, Events: stats.Events}
	if stats.Events > 0 {
		out.Cache.Oldest, out.Cache.Newest = utc(stats.Oldest), utc(stats.Newest)
	}
	cov, err := st.Coverage(ctx, "", syncWindow(feed.Query{}, now))
	if err != nil {
		return &cacheError{err: err}
	}
	out.Coverage = &statusCoverage{Window: store.NewRangeJSON(cov.Window), Fraction: cov.Fraction,
		Gaps: len(cov.Missing), NewestGaps: []store.RangeJSON{}}
	for _, g := range cov.Missing[:min(len(cov.Missing), 10)] {
		out.Coverage.NewestGaps = append(out.Coverage.NewestGaps, store.NewRangeJSON(g))
	}
	f := &statusFreshness{}
	if n := len(cov.Covered); n > 0 {
		until := cov.Covered[n-1].To
		f.CoveredUntil, f.AgeSeconds = utc(until), seconds(now.Sub(until))
	}
	if stats.Events > 0 {
		f.NewestEvent, f.NewestEventAge = utc(stats.Newest), seconds(now.Sub(stats.Newest))
	}
	out.Freshness = f
	if r := stats.LastRun; r != nil {
		s := r.Summary
		run := &statusRun{Kind: r.Info.Kind, Query: r.Info.Query, Window: store.NewRangeJSON(r.Info.Window),
			Started: r.Info.Started.UTC(), Finished: utc(s.Finished), Error: s.Err,
			Pages: s.Pages, Events: s.Events, Inserted: s.Inserted, Late: s.Late, Retries: s.Retries}
		switch {
		case s.Err != "":
			run.Outcome = "failed"
		case s.Finished.IsZero():
			run.Outcome = "unfinished"
		default:
			run.Outcome = "ok"
		}
		out.LastSync = run
	}
	rl, seen, err := st.Budget(ctx)
	if err != nil {
		return &cacheError{err: err}
	}
	if rl.Known {
		out.Budget = &statusBudget{Limit: rl.Limit, Remaining: rl.Remaining, Reset: rl.Reset.UTC(), Seen: seen.UTC(), AgeSeconds: now.Sub(seen).Seconds()}
	}
	cs, err := st.Consumers(ctx)
	if err != nil {
		return &cacheError{err: err}
	}
	for _, c := range cs {
		out.Consumers = append(out.Consumers, statusConsumer{Name: c.Name, Query: c.Query, Updated: c.Updated, Behind: c.Behind})
	}
	return nil
}
