package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"

	"github.com/spf13/cobra"
)

// tailBatch is about how many activities one read of the arrival log
// takes: one write and one checkpoint per read.
const tailBatch = 5000

// tailPollMin is tail's fastest poll interval unless --tail-poll says
// otherwise: one request a second while the feed is busy keeps tail's lag
// near a second and the average under 60 requests a minute (the poll
// slows down while nothing arrives and while the shared budget runs low).
const tailPollMin = time.Second

// budgetEvery is how often tail records the rate budget for status.
const budgetEvery = 10 * time.Second

// tailOptions are the flags of one claudit tail.
type tailOptions struct {
	format     string
	checkpoint string // "" = none
	since      string // "" = start now
	poll       time.Duration
}

// tailFormats are the formats tail writes: the row formats that stream
// line by line (not json's array).
func tailFormats() []string {
	return slices.DeleteFunc(printer.RowFormats(), func(f string) bool { return f == printer.FormatJSON })
}

func (a *app) tailCommand() *cobra.Command {
	var opt tailOptions
	cmd := &cobra.Command{
		Use:   "tail [QUERY]",
		Short: "Follow the feed headless: write each new activity to stdout as it is stored",
		Long: `tail follows the feed as the explorer's live tail does (adaptive polling, at
most about 60 requests a minute, slower while the shared rate budget runs low)
and writes each activity that enters the cache to stdout as it is stored, the
activities of one commit oldest first. Activities the feed indexed late, found
by the reconciliation pass over the last 15 minutes, are written when found:
unchanged in ndjson, flagged "late" in csv and table. claudit's own API calls
are left out unless the query says is:self. stdout carries data only; retries
and errors go to stderr. A closed pipe ends it with exit 0 (tail | head), an
interrupt with exit 130.

--checkpoint NAME makes it resumable: the cache records, for that name, the
last activity written and flushed to stdout (write, flush, then record). A
restart, after a kill, a crash or a closed pipe, continues after it: no
activity is skipped, and at most the activities of the last write are written
again (dedupe them by their stable "id"). Lines go out whole, at most 4 KiB
a write (atomic on a pipe), so a kill cuts only a longer line. The position
follows the order in which activities entered the cache, so late-indexed ones
are not skipped.
Without --checkpoint tail starts now. --since DURATION|TIME first syncs the
gaps of that window, writes what the cache holds from then on (oldest first),
then follows; with --checkpoint it applies only to a name seen for the first
time (a restart continues where the checkpoint is; the name is recorded after
the first poll, so a tail stopped before it replays the window again). tail
writes every activity that enters the cache, whichever claudit process stored
it.

The query takes every term but time terms (use --since).`,
		Example: `  claudit tail --format ndjson | vector --config siem.toml
  claudit tail type:@keys --checkpoint siem --since 24h --format ndjson >> keys.ndjson
  lnav keys.ndjson            # after lnav -i feed/lnav/claudit.json (see the README)
  claudit tail -type:@noise --format table`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeQuery,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			if !slices.Contains(tailFormats(), opt.format) {
				return &usageError{err: fmt.Errorf("--format %q: want one of %s", opt.format, strings.Join(tailFormats(), ", "))}
			}
			if opt.checkpoint != "" && !validProfile(opt.checkpoint) {
				return &usageError{err: fmt.Errorf("--checkpoint %q: use letters, digits, '.', '_' and '-' (at most 64)", opt.checkpoint)}
			}
			q, _, err := a.parseQuery(args)
			if err != nil {
				return err
			}
			if q.HasTimeTerm() {
				return &usageError{err: errors.New("tail follows from now on: give the past with --since, not with a time term in the query")}
			}
			opt.poll = tailPollMin
			if cmd.Flags().Changed("tail-poll") {
				opt.poll = a.tailPoll
			}
			return a.tail(cmd.Context(), q, opt)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opt.format, "format", "o", printer.FormatNDJSON, "output format: "+strings.Join(tailFormats(), ", "))
	fl.StringVar(&opt.checkpoint, "checkpoint", "", "resume after the last activity this named consumer wrote (recorded in the cache)")
	fl.StringVar(&opt.since, "since", "", "first write the cache's activities since DURATION (24h, 7d) or TIME (RFC 3339, YYYY-MM-DD), syncing gaps first")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(tailFormats(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// sinceQuery is q limited to --since: a duration of the query language
// (since:) or a time (from:).
func sinceQuery(q feed.Query, since string) (feed.Query, error) {
	var errs []error
	for _, field := range []string{"since:", "from:"} {
		rq, err := feed.Parse(strings.TrimSpace(q.String() + " " + field + since))
		if err == nil {
			return rq, nil
		}
		errs = append(errs, err)
	}
	return feed.Query{}, &usageError{err: fmt.Errorf("--since %q: want a duration (15m, 24h, 7d) or a time (RFC 3339 or YYYY-MM-DD[Thh:mm]): %w", since, errors.Join(errs...))}
}

// tail runs claudit tail: the Syncer's live tail stores into the cache in
// the background while this goroutine writes what arrives in the cache's
// arrival log after the start position, recording the checkpoint after
// each write.
func (a *app) tail(ctx context.Context, q feed.Query, opt tailOptions) error {
	// A closed pipe on stdout must be a write error (EPIPE) that ends tail
	// cleanly, not the signal that kills the process.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)

	key, _, err := a.key(ctx)
	if err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	popt := a.printOptions()
	popt.MarkLate = true
	w, err := printer.NewRowWriter(opt.format, wholeLines{a.env.stdout}, popt)
	if err != nil {
		return &usageError{err: err}
	}
	t := &tailer{app: a, st: st, q: q, w: w, name: opt.checkpoint, raw: a.rawOnly(opt.format)}
	if err := t.start(ctx, opt.since); err != nil {
		return endOfOutput(err)
	}

	client, err := a.newClient(key, func(e feed.RetryEvent) {
		a.warn("%s: retrying in %s", retryCause(e), e.Wait.Round(time.Second))
	}, feed.WithRetry(feed.DefaultRetryPolicy()))
	if err != nil {
		return err
	}
	wake := make(chan struct{}, 1)
	// primed gets the arrival log's head once the first poll is stored.
	primed := make(chan int64, 1)
	polled := false
	var budgetSeen time.Time
	syncer := feed.NewSyncer(client, st, feed.WithClock(a.env.now), feed.WithPageLimit(a.pageSize),
		feed.WithPollInterval(opt.poll, max(opt.poll, time.Minute)),
		feed.WithOverlap(15*time.Minute, a.tailReconcile),
		feed.WithProgress(func(p feed.Progress) {
			if p.Phase == "tail" && p.Err != nil {
				a.warn("%v; next poll in %s", p.Err, p.PollInterval.Round(time.Second))
			}
			if p.RateLimit.Known && p.LastPoll.Sub(budgetSeen) >= budgetEvery {
				budgetSeen = p.LastPoll
				a.rememberBudget(ctx, st, p.RateLimit)
			}
			// Called between the Syncer's writes: the head read here is
			// exactly what the first poll stored. A failed poll is not the
			// first: the newest page it did not store would come after head
			// and be written.
			if p.Phase == "tail" && p.Err == nil && !polled {
				polled = true
				head, err := st.ArrivalHead(ctx)
				if err != nil {
					head = -1
				}
				primed <- head
			}
			// Each report follows a poll or a page stored: read the
			// arrival log again.
			select {
			case wake <- struct{}{}:
			default:
			}
		}))
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- syncer.Tail(tctx, q) }()
	stopped := false
	defer func() {
		cancel()
		if !stopped {
			<-done
		}
	}()
	for {
		if !t.priming {
			if err := t.drain(ctx); err != nil {
				return endOfOutput(err)
			}
		}
		select {
		case head := <-primed:
			if head < 0 {
				return &cacheError{err: errors.New("read the arrival log")}
			}
			if err := t.prime(ctx, head); err != nil {
				return endOfOutput(err)
			}
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			stopped = true
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == nil {
				return nil
			}
			return apiFailure(err)
		case <-wake:
		}
	}
}

// tailer writes the cache's arrivals after pos and records the checkpoint.
type tailer struct {
	app  *app
	st   *store.Store
	q    feed.Query
	w    printer.RowWriter
	raw  bool   // the format prints the raw JSON alone (app.rawOnly)
	name string // checkpoint ("" = none)
	pos  int64  // every arrival up to pos is written
	// priming is set while a tail that starts now or after a --since replay
	// waits for its first poll (see prime); notBefore is the start less
	// feed.SettledLag, or the start of the --since window.
	priming   bool
	notBefore time.Time
}

// start sets the start position: the checkpoint's, else (with since) after
// replaying the cache's rows since then, else now.
func (t *tailer) start(ctx context.Context, since string) error {
	if t.name != "" {
		pos, ok, err := t.st.Consumer(ctx, t.name)
		if err != nil {
			return &cacheError{err: err}
		}
		if ok {
			t.pos = pos
			return nil
		}
	}
	if since == "" {
		var err error
		if t.pos, err = t.st.ArrivalHead(ctx); err != nil {
			return &cacheError{err: err}
		}
		t.priming, t.notBefore = true, t.app.env.now().Add(-feed.SettledLag)
		return nil
	}
	rq, err := sinceQuery(t.q, since)
	if err != nil {
		return err
	}
	if _, err := t.app.runSync(ctx, t.st, rq, true); err != nil {
		return err
	}
	// What arrives from here on is the follow's; what the cache holds now,
	// the replay's.
	if t.pos, err = t.st.ArrivalHead(ctx); err != nil {
		return &cacheError{err: err}
	}
	if _, err := streamRows(ctx, t.st, rq, t.app.env.now(), t.w, 0, store.Newer, t.raw); err != nil {
		return err
	}
	if err := printer.Flush(t.w); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	// The follow's first poll stores the newest page the cache lacks,
	// older than the window too: write only what it brings from the
	// window's start on (new and late-indexed activities). The checkpoint
	// is first recorded after that poll (prime), so a tail stopped before
	// it replays the window again rather than write that page.
	from, _ := rq.Bounds(t.app.env.now(), defaultSince)
	t.priming, t.notBefore = true, from
	return nil
}

// prime ends the start of a tail that starts now or after a --since
// replay. Its first poll stores the newest page and the reconciled last
// 15 minutes that the cache lacked: that is the past, not written, except
// the activities created from notBefore on (within the indexing lag before
// the start, which the feed may have indexed after it, or in the --since
// window). Arrivals after head, the first poll's end, are new.
func (t *tailer) prime(ctx context.Context, head int64) error {
	for t.pos < head {
		rows, through, err := t.st.Arrived(ctx, t.q, t.app.env.now(), t.pos, 1) // one arrival
		if err != nil {
			return searchError(t.q, err)
		}
		if through == t.pos {
			break
		}
		rows = slices.DeleteFunc(rows, func(r store.Row) bool { return r.CreatedAt.Before(t.notBefore) })
		if err := t.write(rows); err != nil {
			return err
		}
		t.pos = through
	}
	t.priming = false
	return t.record(ctx)
}

// write writes rows and flushes them.
func (t *tailer) write(rows []store.Row) error {
	if len(rows) == 0 {
		return nil
	}
	if err := t.w.WriteRows(rows); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if err := printer.Flush(t.w); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// drain writes everything that arrived after pos, a read at a time: write,
// flush, then record the position.
func (t *tailer) drain(ctx context.Context) error {
	for {
		rows, through, err := t.st.Arrived(ctx, t.q, t.app.env.now(), t.pos, tailBatch)
		if err != nil {
			return searchError(t.q, err)
		}
		if through == t.pos {
			return nil
		}
		if err := t.write(rows); err != nil {
			return err
		}
		t.pos = through
		if err := t.record(ctx); err != nil {
			return err
		}
	}
}

// record stores the position under the checkpoint's name, if any.
func (t *tailer) record(ctx context.Context) error {
	if t.name == "" {
		return nil
	}
	if err := t.st.SetConsumer(ctx, t.name, t.q.String(), t.pos); err != nil {
		return &cacheError{err: err}
	}
	return nil
}

// pipeBuf is PIPE_BUF on Linux: a write of at most this many bytes to a
// pipe is atomic.
const pipeBuf = 4096

// wholeLines writes to w in pieces that end at the end of a line and hold
// at most pipeBuf bytes (or one longer line), so the reader of a tail that
// is killed in the middle of a batch sees whole lines: a batch is one
// write of up to 5,000 lines, which a pipe would otherwise take in parts.
type wholeLines struct{ w io.Writer }

func (l wholeLines) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		end := len(p)
		if end > pipeBuf {
			end = bytes.LastIndexByte(p[:pipeBuf], '\n') + 1
			if end == 0 { // a line longer than pipeBuf
				if end = bytes.IndexByte(p, '\n') + 1; end == 0 {
					end = len(p)
				}
			}
		}
		m, err := l.w.Write(p[:end])
		n += m
		if err != nil {
			return n, err
		}
		p = p[end:]
	}
	return n, nil
}

// endOfOutput makes a closed stdout (EPIPE: the reader is gone, as with
// tail | head) a clean end; any other error stays.
func endOfOutput(err error) error {
	if errors.Is(err, syscall.EPIPE) {
		return nil
	}
	return err
}

// retryCause names what a retry waits out, for stderr.
func retryCause(e feed.RetryEvent) string {
	if e.Status != 0 {
		return fmt.Sprintf("the API answered %d", e.Status)
	}
	return "the API could not be reached"
}
