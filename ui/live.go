package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"

	tea "charm.land/bubbletea/v2"
)

// Live mode (f): Deps.Tail polls the feed into the cache while the table
// streams new rows in at the top. Moving away from the top (or space)
// pauses the stream: the cursor stays on its row and a badge counts what
// arrived since. claudit's own compliance_api_accessed calls are hidden
// here as in every mode (S shows them). The newest minute is dimmed: the
// feed may still be indexing it.

// indexingLag is how late the feed may index an event: rows this young are
// shown as "may still be indexing".
const indexingLag = time.Minute

// newerCap bounds the count of rows that arrived while paused.
const newerCap = 1000

// liveClock is how often the live header (poll age, retry countdown) and
// the indexing shade are brought up to date.
const liveClock = time.Second

// liveTail is the live mode's state.
type liveTail struct {
	live       bool
	follow     bool // the cursor stays on the newest row as rows arrive
	hideSelf   bool // claudit's own API calls are hidden (S toggles)
	cancelTail context.CancelFunc
	pausedTop  store.Cursor // the newest row when following paused
	topPending bool         // pausedTop is taken from the next page read at the newest end
	newRows    int          // rows that arrived since following paused
	selfHidden int
	now        time.Time // the clock of relative displays: poll age, retry countdown
}

// hidesSelf reports whether the reads leave claudit's own calls out (the
// cache's default, feed.Query.HidesSelf), in any mode, unless the analyst
// pressed S or the query has an is:self term.
func (m Model) hidesSelf() bool {
	return m.hideSelf && m.query.HidesSelf()
}

// effectiveQuery is the query every read uses: the query, with the own
// calls kept when S shows them.
func (m Model) effectiveQuery() feed.Query {
	q := m.query
	q.ShowSelf = !m.hideSelf
	return q
}

// toggleLive is f: start the live tail, resume following when paused, or
// stop the tail when following.
func (m Model) toggleLive() (Model, tea.Cmd) {
	if m.deps.Tail == nil {
		// Nothing to tail (offline): f keeps the cursor on the newest
		// cached row as the window sync fills the cache.
		m.follow = !m.follow
		if m.follow {
			return m, tea.Batch(m.gotoTop(), m.setStatus("following new events", false))
		}
		return m, m.setStatus("follow paused", false)
	}
	switch {
	case !m.live:
		return m.startLive()
	case !m.follow:
		return m.resume()
	}
	return m.stopLive("live tail stopped", false)
}

func (m Model) startLive() (Model, tea.Cmd) {
	m.live, m.follow = true, true
	m.pausedTop, m.topPending = store.Cursor{}, false
	m.prepareReads(nil)
	tail := m.restartTail()
	m.flight.start(reqClock)
	return m, tea.Batch(m.queryCmds(), tail, m.clockCmd(),
		m.setStatus("live: new events stream in at the top · space pauses · f stops", false))
}

// stopLive cancels the tail and shows the query without the implicit
// -is:self, keeping the cursor on its row.
func (m Model) stopLive(status string, isErr bool) (Model, tea.Cmd) {
	if m.cancelTail != nil {
		m.cancelTail()
	}
	m.live, m.follow = false, false
	m.flight.stop(reqTail)
	m.flight.stop(reqClock)
	m.flight.stop(reqNewer)
	m.header.live = false
	var anchor *store.Row
	if r, ok := m.table.selected(); ok {
		anchor = &r
	}
	m.prepareReads(anchor)
	return m, tea.Batch(m.queryCmds(), m.setStatus(status, isErr))
}

// restartTail runs Deps.Tail for the current query under the query's
// context (a new query cancels it), reporting through the sync channel.
func (m *Model) restartTail() tea.Cmd {
	if m.cancelTail != nil {
		m.cancelTail()
	}
	ctx, cancel := context.WithCancel(m.queryCtx)
	m.cancelTail = cancel
	r := m.flight.start(reqTail)
	m.header.live = true
	m.header.tail, m.header.tailErr, m.header.retryUntil = feed.Progress{}, nil, time.Time{}
	return startSyncCmd(ctx, m.deps.Tail, m.query, r)
}

// pause stops following: the cursor stays where it is and the badge counts
// the rows newer than the newest one on screen now.
func (m *Model) pause() {
	if !m.follow {
		return
	}
	m.follow = false
	if !m.live {
		return
	}
	m.newRows = 0
	m.flight.stop(reqNewer)
	t := m.table
	if !t.loaded || !t.atNewest {
		m.pausedTop, m.topPending = store.Cursor{}, true
		return
	}
	m.pausedTop, m.topPending = store.Cursor{}, false
	if len(t.rows) > 0 {
		m.pausedTop = t.rows[0].Cursor()
	}
}

// resume follows again from the newest row.
func (m Model) resume() (Model, tea.Cmd) {
	m.follow = true
	m.pausedTop, m.topPending = store.Cursor{}, false
	m.newRows = 0
	m.flight.stop(reqNewer)
	return m, tea.Batch(m.gotoTop(), m.setStatus("following live events", false))
}

// togglePause is space while live.
func (m Model) togglePause() (Model, tea.Cmd) {
	if !m.follow {
		return m.resume()
	}
	m.pause()
	return m, m.setStatus("paused: new events are counted · space or f resumes", false)
}

// toggleSelf shows or hides claudit's own API calls (S, in any mode).
func (m Model) toggleSelf() (Model, tea.Cmd) {
	m.hideSelf = !m.hideSelf
	var anchor *store.Row
	if r, ok := m.table.selected(); ok && !(r.Self && m.hideSelf) {
		anchor = &r
	}
	m.prepareReads(anchor)
	msg := "claudit's own API calls shown"
	if m.hideSelf {
		msg = "claudit's own API calls hidden"
	}
	return m, tea.Batch(m.queryCmds(), m.setStatus(msg, false))
}

// freeze turns a relative (or the default) window into absolute bounds,
// exactly the range on screen, so the view stops sliding (evidence).
func (m Model) freeze() (Model, tea.Cmd) {
	from, to := m.window()
	nq := m.query.WithWindow(feed.Window{From: from, To: to})
	var anchor *store.Row
	if r, ok := m.table.selected(); ok {
		anchor = &r
	}
	m, cmd := m.startQueryAt(nq, anchor)
	m.relayout()
	return m, tea.Batch(cmd, m.setStatus("window frozen: "+m.header.window, false))
}

// handleTailProgress applies a live tail report: header, and a refresh of
// the table when events arrived (or the window slides).
func (m Model) handleTailProgress(msg syncProgressMsg) (Model, tea.Cmd) {
	p := msg.p
	wait := waitSyncCmd(msg.ch, msg.req)
	m.now = m.deps.Now()
	if p.RateLimit.Known {
		m.header.rate = p.RateLimit
	}
	switch {
	case p.Phase == "retry":
		m.header.retryUntil = m.now.Add(p.RetryWait)
		m.header.retryStatus = p.RetryStatus
		return m, wait
	case p.Err != nil:
		m.header.tail.PollInterval, m.header.tail.LastPoll = p.PollInterval, p.LastPoll
		m.header.tailErr, m.header.retryUntil = p.Err, time.Time{}
		return m, tea.Batch(wait, m.setStatus("live poll failed, retrying: "+p.Err.Error(), true))
	}
	m.header.tail, m.header.tailErr, m.header.retryUntil = p, nil, time.Time{}
	var cmd tea.Cmd
	if p.Inserted > 0 || m.slides() {
		cmd = m.refresh()
	}
	return m, tea.Batch(cmd, wait)
}

// handleTailDone ends the live mode when the tail stops by itself (an
// error retrying cannot fix).
func (m Model) handleTailDone(msg syncDoneMsg) (Model, tea.Cmd) {
	if msg.err != nil && !errors.Is(msg.err, context.Canceled) {
		m.header.tailErr = msg.err
		return m.stopLive("live tail stopped: "+msg.err.Error(), true)
	}
	return m.stopLive("live tail ended", false)
}

// clockMsg is the live mode's one-second tick.
type clockMsg struct{ req req }

func (m Model) clockCmd() tea.Cmd {
	r := m.flight.get(reqClock)
	return m.tick(liveClock, func(time.Time) tea.Msg { return clockMsg{req: r} })
}

func (m Model) handleClock(msg clockMsg) (Model, tea.Cmd) {
	if !m.flight.is(msg.req) || !m.live {
		return m, nil
	}
	m.now = m.deps.Now()
	m.table.indexingAfter = m.indexingAfter()
	m.showSelected()
	return m, m.clockCmd()
}

// selfCountCmd counts the own calls the live view hides.
func (m Model) selfCountCmd() tea.Cmd {
	if !m.flight.pending(reqSelf) {
		return nil
	}
	ctx, src, now, r := m.readCtx, m.deps.Source, m.queryNow, m.flight.get(reqSelf)
	q := m.query.With("is", feed.IsSelf, false)
	return func() tea.Msg {
		n, _, err := src.Count(ctx, q, now, countCap)
		return selfCountMsg{req: r, n: n, err: err}
	}
}

// newerCountCmd counts the rows newer than where following paused.
func (m Model) newerCountCmd() tea.Cmd {
	if !m.flight.pending(reqNewer) || m.topPending {
		return nil
	}
	ctx, src, q, now, from, r := m.readCtx, m.deps.Source, m.eff, m.queryNow, m.pausedTop, m.flight.get(reqNewer)
	return func() tea.Msg {
		rows, err := src.Search(ctx, q, now, from, store.Newer, newerCap+1)
		return newerCountMsg{req: r, n: len(rows), err: err}
	}
}

type selfCountMsg struct {
	req req
	n   int
	err error
}

type newerCountMsg struct {
	req req
	n   int
	err error
}

// newBadge is the "▲ 12 new" badge text.
func newBadge(n int) string {
	if n > newerCap {
		return fmt.Sprintf("▲ %s+ new", printer.Thousands(newerCap))
	}
	return fmt.Sprintf("▲ %s new", printer.Thousands(n))
}

// indexingAfter is the instant after which rows are dimmed (zero when not
// live: without the tail no row is that young).
func (l liveTail) indexingAfter() time.Time {
	if !l.live {
		return time.Time{}
	}
	return l.now.Add(-indexingLag)
}
