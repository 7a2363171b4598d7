package ui

import (
	"claudit/ui/printer"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	tea "charm.land/bubbletea/v2"
)

// The results sub-model: the query session on screen (the query and the
// query every read uses, their contexts, the anchor of the first page,
// the count, coverage and sync of the window) and the methods that drive
// it. The table window, histogram and header it fills are the root's
// children; the results of its requests come back through handleResult.

// session is the state of the query on screen.
type session struct {
	query    feed.Query
	queryNow time.Time // the clock reading every request of this query uses
	// eff is the query every read uses: query, with ShowSelf when S shows
	// claudit's own calls.
	eff         feed.Query
	queryCtx    context.Context
	cancelQuery context.CancelFunc
	// Reads run under readCtx, a child of queryCtx: a change of what is
	// shown (S shows or hides claudit's own calls) restarts the reads while
	// the sync and the tail of the query keep running.
	readCtx     context.Context
	cancelReads context.CancelFunc
	// anchor, when hasAnchor, is the row the first page is read around
	// (context view, back to where the analyst was).
	anchor    store.Row
	hasAnchor bool
	stack     []stackEntry // pivot stack
	crumbs    []string

	// total is the count of the query's events: a lower bound while
	// capped (the first count stops at countCap), and while counting is
	// set the exact count is running in the background, under
	// cancelCount's context (total is then the last answer).
	total              int
	capped, totalKnown bool
	counting           bool
	cancelCount        context.CancelFunc
	// cancelJumpPos stops counting where the last histogram jump landed
	// (histnav.go) when the next one starts.
	cancelJumpPos context.CancelFunc
	// nearMisses are the values an empty result asks for that the cache
	// has never seen (Source.NearMisses), for the empty table to name.
	nearMisses []store.NearMiss
	// syncTo is the end of the window the current sync was asked to fetch.
	syncTo       time.Time
	syncStarted  bool
	lastInserted int
	refreshDirty bool // the cache changed while a reload was in flight
	// defaultSince is the window of a query without a time term
	// (Deps.DefaultSince).
	defaultSince time.Duration
}

// prepareQuery makes q current: it cancels the previous query's reads,
// sync and tail, and prepares the reads of q (prepareReads, around anchor
// when given).
func (m *Model) prepareQuery(q feed.Query, anchor *store.Row) {
	if m.cancelQuery != nil {
		m.cancelQuery()
	}
	m.queryCtx, m.cancelQuery = context.WithCancel(m.base)
	m.query = q
	m.bar.setApplied(q.String())
	m.prepareReads(anchor)
}

// prepareReads restarts what the screen shows of the current query: it
// cancels the reads in flight, resets the components and reserves the
// seqs of the first requests. With anchor the first page is read around
// that row instead of from the newest end.
func (m *Model) prepareReads(anchor *store.Row) {
	if m.cancelReads != nil {
		m.cancelReads()
	}
	m.readCtx, m.cancelReads = context.WithCancel(m.queryCtx)
	m.eff = m.effectiveQuery()
	m.anchor, m.hasAnchor = store.Row{}, anchor != nil
	if anchor != nil {
		m.anchor = *anchor
	}
	m.queryNow = m.deps.Now()
	m.now = m.queryNow
	m.table.reset()
	if anchor != nil {
		// setWindow keeps the cursor's screen row: the anchored row lands
		// mid-screen, with what came just after it above.
		m.table.cursor = m.table.bodyHeight() / 2
	}
	m.table.indexingAfter = m.indexingAfter()
	m.table.reloadSeq = m.nextSeq()
	m.stopCounting()
	m.flight.start(reqCount)
	m.totalKnown = false
	m.flight.stop(reqNearMiss)
	m.nearMisses = nil
	m.flight.start(reqCoverage)
	m.header.covFraction = -1
	m.hist.has, m.hist.pin = false, histPin{}
	m.flight.stop(reqHist)
	m.stopJumpPos()
	if m.hist.width > 0 {
		m.flight.start(reqHist)
	}
	m.flight.stop(reqSelf)
	m.selfHidden = 0
	if m.hidesSelf() {
		m.flight.start(reqSelf)
	}
	m.flight.stop(reqNewer)
	m.newRows = 0
	if m.live && !m.follow {
		m.pausedTop, m.topPending = store.Cursor{}, true
	}
	m.refreshDirty = false
	m.restartFind()
	from, to := m.window()
	m.header.window = describeWindow(m.query, from, to, m.defaultSince, m.loc)
}

// queryCmds are the reads of freshly prepared reads, built from the seqs
// prepareReads reserved.
func (m Model) queryCmds() tea.Cmd {
	ctx, src, q, now := m.readCtx, m.deps.Source, m.eff, m.queryNow
	first := searchCmd(ctx, src, q, now, store.Cursor{}, store.Older, pageSize, m.table.reloadSeq, fetchReload)
	if m.hasAnchor {
		first = anchorCmd(ctx, src, q, now, m.anchor, pageSize/2, pageSize, m.table.reloadSeq)
	}
	cmds := []tea.Cmd{first, countCmd(ctx, src, q, now, m.flight.get(reqCount)), m.coverageCmd(), m.selfCountCmd(),
		m.findCount(m.flight.get(reqMatches), findCountCap)}
	if m.flight.pending(reqHist) {
		cmds = append(cmds, m.histCmd())
	}
	return tea.Batch(cmds...)
}

func (m Model) coverageCmd() tea.Cmd {
	f, err := m.query.ServerFilter()
	if err != nil {
		return nil
	}
	from, to := m.window()
	// Syncs stop short of the last minute, which the feed may still be
	// indexing, and a relative window slides on every refresh: measure up
	// to where the last sync could reach, or a synced window reads 99%.
	end := m.queryNow
	if !m.syncTo.IsZero() {
		end = m.syncTo
	}
	if settled := end.Add(-feed.SettledLag); to.After(settled) {
		to = settled
	}
	return coverageCmd(m.readCtx, m.deps.Source, f.Encode(), feed.Range{From: from, To: to}, m.flight.get(reqCoverage))
}

func (m Model) histCmd() tea.Cmd {
	from, to := m.window()
	return histCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, from, to, m.hist.width, m.flight.get(reqHist))
}

// startQuery applies a new query: reads restart and the sync (and the
// live tail, when on) follow it.
func (m Model) startQuery(q feed.Query) (Model, tea.Cmd) {
	return m.startQueryAt(q, nil)
}

// startQueryAt is startQuery with the first page read around anchor.
func (m Model) startQueryAt(q feed.Query, anchor *store.Row) (Model, tea.Cmd) {
	if m.state == stateError {
		m.state, m.loadErr = stateLoading, nil
	}
	m.prepareQuery(q, anchor)
	m.syncStarted = true
	var tail tea.Cmd
	if m.live {
		tail = m.restartTail()
	}
	return m, tea.Batch(m.queryCmds(), m.restartSync(), tail)
}

// restartSync runs Deps.Sync for the current query under the query's
// context, so a newer query cancels it.
func (m *Model) restartSync() tea.Cmd {
	if m.deps.Sync == nil {
		return nil
	}
	r := m.flight.start(reqSync)
	m.header.syncing, m.header.synced = true, false
	m.header.syncErr = nil
	m.header.progress, m.header.syncStarted = feed.Progress{}, m.deps.Now()
	m.lastInserted = 0
	// Sync exactly the window on screen: a relative window frozen at the
	// query's now, so the header's coverage and the sync agree to the
	// instant (the Syncer still ends it at the server's clock minus the lag).
	from, to := m.window()
	m.syncTo = to
	return startSyncCmd(m.queryCtx, m.deps.Sync, m.query.WithWindow(feed.Window{From: from, To: to}), r)
}

// refresh re-reads the window after the cache changed, keeping the cursor
// on the same row (or on the newest row while following).
func (m *Model) refresh() tea.Cmd {
	if m.state != stateReady {
		return nil
	}
	if m.table.reloadSeq != 0 {
		m.refreshDirty = true
		return nil
	}
	m.refreshDirty = false
	m.queryNow = m.deps.Now()
	m.now = m.queryNow
	m.table.indexingAfter = m.indexingAfter()
	seq := m.nextSeq()
	m.table.reloadSeq = seq
	ctx, src, q, now := m.readCtx, m.deps.Source, m.eff, m.queryNow
	var page tea.Cmd
	if sel, ok := m.table.selected(); ok && !m.follow {
		above := min(windowMax/2, m.table.cursor+pageSize/2)
		page = anchorCmd(ctx, src, q, now, sel, above, pageSize, seq)
	} else {
		page = searchCmd(ctx, src, q, now, store.Cursor{}, store.Older, pageSize, seq, fetchReload)
	}
	count := m.recount()
	m.flight.start(reqCoverage)
	cmds := []tea.Cmd{page, count, m.coverageCmd(), m.recountFind()}
	if m.hist.width > 0 {
		m.flight.start(reqHist)
		cmds = append(cmds, m.histCmd())
	}
	if m.hidesSelf() {
		m.flight.start(reqSelf)
		cmds = append(cmds, m.selfCountCmd())
	}
	if m.live && !m.follow {
		m.flight.start(reqNewer)
		cmds = append(cmds, m.newerCountCmd())
	}
	return tea.Batch(cmds...)
}

// handleResult applies the result of a request if it is still wanted
// (inflight); stale ones are dropped.
func (m Model) handleResult(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg:
		return m.handlePage(msg)
	case countMsg:
		if !m.flight.is(msg.req) {
			return m, nil
		}
		return m.handleCount(msg)
	case histMsg:
		if !m.flight.is(msg.req) {
			return m, nil
		}
		if msg.err != nil {
			return m, m.setStatus("histogram failed: "+msg.err.Error(), true)
		}
		m.hist.h, m.hist.has = msg.h, true
		return m, nil
	case coverageMsg:
		if !m.flight.is(msg.req) {
			return m, nil
		}
		if msg.err == nil {
			m.header.covFraction = msg.c.Fraction
		}
		return m, nil
	case suggestMsg:
		if m.dialogs.topIs(dialogPalette) {
			return m.handlePaletteSuggest(msg)
		}
		if !m.flight.is(msg.req) || !m.bar.editing {
			return m, nil
		}
		m.flight.stop(reqSuggest)
		t := m.bar.token()
		// Values from the cache are listed and inserted masked while
		// redacting; the query maps them back (queryBar.query).
		partial := m.bar.red.Unmask(t.partial)
		var cands []string
		seen := map[string]bool{}
		for _, v := range msg.values {
			if strings.HasPrefix(strings.ToLower(v), strings.ToLower(partial)) {
				c := redactPivot(m.bar.red, t.field, v)
				cands, seen[c] = append(cands, c), true
			}
		}
		// Then the directory's names and e-mails the cache has no event of.
		for _, c := range nameCandidates(m.bar.names, m.bar.red, t.field, partial, suggestValues) {
			if !seen[c] {
				cands, seen[c] = append(cands, c), true
			}
		}
		m.bar.setCandidates(t, cands)
		m.relayout()
		if len(cands) == 0 {
			return m, m.setStatus("no cached values to complete", false)
		}
		return m, nil
	case dossierMsg:
		if !m.flight.is(msg.req) || !m.dialogs.topIs(dialogDossier) {
			return m, nil
		}
		m.dossier.set(msg.d, msg.err)
		return m, nil
	case namesMsg:
		if m.flight.is(msg.req) {
			m.flight.stop(reqNames)
			if msg.err != nil {
				return m, m.setStatus("directory names: "+msg.err.Error(), true)
			}
			m.setNames(msg.n)
		}
		return m, nil
	case jumpPosMsg:
		m.handleJumpPos(msg)
		return m, nil
	case nearMissMsg:
		if m.flight.is(msg.req) {
			m.flight.stop(reqNearMiss)
			m.nearMisses = msg.misses // none on error: the coverage line stands alone
		}
		return m, nil
	case markMsg:
		return m.handleMark(msg)
	case markedCountMsg:
		if m.flight.is(msg.req) && msg.err == nil {
			m.marked = msg.n
		}
		return m, nil
	case facetsMsg:
		if !m.flight.is(msg.req) || !m.dialogs.topIs(dialogFacets) {
			return m, nil
		}
		m.facets.set(msg.f, msg.err)
		return m, nil
	case exportMsg:
		return m.handleExport(msg)
	case selfCountMsg:
		if m.flight.is(msg.req) && msg.err == nil {
			m.selfHidden = msg.n
			m.flight.stop(reqSelf)
		}
		return m, nil
	case newerCountMsg:
		if m.flight.is(msg.req) && msg.err == nil && m.live && !m.follow {
			m.newRows = msg.n
			m.flight.stop(reqNewer)
		}
		return m, nil
	case clockMsg:
		return m.handleClock(msg)
	case syncStartedMsg:
		if !m.flight.is(msg.req) {
			return m, nil
		}
		return m, waitSyncCmd(msg.ch, msg.req)
	case syncProgressMsg:
		if !m.flight.is(msg.req) || msg.req.kind == reqTail && !m.live {
			return m, nil
		}
		if msg.req.kind == reqTail {
			return m.handleTailProgress(msg)
		}
		m.header.progress, m.header.progressAt = msg.p, m.deps.Now()
		if msg.p.RateLimit.Known {
			m.header.rate = msg.p.RateLimit
		}
		var cmd, names tea.Cmd
		if msg.p.Inserted > m.lastInserted {
			m.lastInserted = msg.p.Inserted
			cmd = m.refresh()
		}
		// The sync refreshes the directory beside the feed: names show as
		// soon as it is stored, not when the whole backfill is done. The
		// store hands out the same index until it changes, so a read per
		// report costs one small query.
		if !m.flight.pending(reqNames) {
			names = m.loadNames()
		}
		return m, tea.Batch(cmd, names, waitSyncCmd(msg.ch, msg.req))
	case syncDoneMsg:
		if !m.flight.is(msg.req) || msg.req.kind == reqTail && !m.live {
			return m, nil
		}
		if msg.req.kind == reqTail {
			return m.handleTailDone(msg)
		}
		m.header.syncing = false
		m.header.synced = msg.err == nil
		var status tea.Cmd
		switch {
		case msg.err != nil && !errors.Is(msg.err, context.Canceled):
			m.header.syncErr = msg.err
			status = m.setStatus("sync failed: "+msg.err.Error(), true)
		case m.header.progress.OutOfWindow > 0:
			// A server anomaly, said once per sync.
			status = m.setStatus(fmt.Sprintf("the server sent %s dated outside the window asked for; not stored",
				printer.Count(m.header.progress.OutOfWindow, "activity")), true)
		}
		// The sync may have refreshed the directory too.
		return m, tea.Batch(status, m.refresh(), m.loadNames())
	}
	return m, nil
}

// handlePage applies a Search result if it is still wanted.
func (m Model) handlePage(msg pageMsg) (Model, tea.Cmd) {
	t := &m.table
	switch msg.kind {
	case fetchOlder:
		if msg.seq != t.olderSeq {
			return m, nil
		}
		if msg.err != nil {
			t.olderSeq = 0
			return m, m.setStatus(msg.err.Error(), true)
		}
		t.appendOlder(msg.rows, msg.asked)
		return m, m.afterMove()
	case fetchNewer:
		if msg.seq != t.newerSeq {
			return m, nil
		}
		if msg.err != nil {
			t.newerSeq = 0
			return m, m.setStatus(msg.err.Error(), true)
		}
		t.prependNewer(msg.rows, msg.asked)
		return m, m.afterMove()
	}
	if msg.seq != t.reloadSeq {
		return m, nil
	}
	t.reloadSeq = 0
	if msg.err != nil {
		if m.state == stateLoading {
			m.state, m.loadErr = stateError, msg.err
			return m, nil
		}
		return m, m.setStatus(msg.err.Error(), true)
	}
	wasNewest, oldCursor := t.atNewest && t.loaded, t.cursor
	var cmds []tea.Cmd
	switch msg.kind {
	case fetchReload:
		t.setWindow(msg.rows, 0, true, len(msg.rows) < msg.asked, 0)
		m.newRows = 0
	case fetchBottom:
		base := -1
		if m.totalKnown && !m.capped {
			base = max(0, m.total-len(msg.rows))
		}
		t.setWindow(msg.rows, len(msg.rows)-1, len(msg.rows) < msg.asked, true, base)
	case fetchAnchor:
		base := -1
		if msg.atNewest {
			base = 0
		}
		t.setWindow(msg.rows, msg.cursor, msg.atNewest, msg.atOldest, base)
		m.applyFindPos()
		// While live the badge counts rows newer than where following
		// paused (newerCountCmd), wherever the window is.
		if !m.live && wasNewest && msg.atNewest && msg.cursor > oldCursor {
			m.newRows += msg.cursor - oldCursor
		}
	case fetchJump:
		cmds = append(cmds, m.landJump(msg))
	}
	if m.topPending && t.atNewest {
		m.pausedTop, m.topPending = store.Cursor{}, false
		if len(t.rows) > 0 {
			m.pausedTop = t.rows[0].Cursor()
		}
	}
	m.state = stateReady
	if !m.syncStarted {
		// The first screen is drawn from the cache; only now fetch.
		m.syncStarted = true
		cmds = append(cmds, m.restartSync())
	}
	if m.refreshDirty {
		cmds = append(cmds, m.refresh())
	}
	cmds = append(cmds, m.afterMove())
	return m, tea.Batch(cmds...)
}

// afterMove follows the cursor: detail, histogram marker, badges, and the
// prefetch of the next keyset page when the cursor nears an edge.
func (m *Model) afterMove() tea.Cmd {
	t := &m.table
	m.showSelected()
	if t.cursor == 0 && t.atNewest {
		m.newRows = 0
		if m.live && !m.follow && len(t.rows) > 0 {
			m.pausedTop = t.rows[0].Cursor()
		}
	}
	older, newer := t.wants()
	var cmds []tea.Cmd
	ctx, src, q, now := m.readCtx, m.deps.Source, m.eff, m.queryNow
	if older {
		t.olderSeq = m.nextSeq()
		from := t.rows[len(t.rows)-1].Cursor()
		cmds = append(cmds, searchCmd(ctx, src, q, now, from, store.Older, pageSize, t.olderSeq, fetchOlder))
	}
	if newer {
		t.newerSeq = m.nextSeq()
		from := t.rows[0].Cursor()
		cmds = append(cmds, searchCmd(ctx, src, q, now, from, store.Newer, pageSize, t.newerSeq, fetchNewer))
	}
	return tea.Batch(cmds...)
}

// showSelected shows the selected row in the detail pane and the
// histogram marker.
func (m *Model) showSelected() {
	t := &m.table
	tr, ok := t.selectedRow()
	m.detail.indexing = ok && !t.indexingAfter.IsZero() && tr.CreatedAt.After(t.indexingAfter)
	m.detail.setRow(tr.Row, t.tripsOf(tr), ok)
	m.hist.marker, m.hist.hasMarker = tr.CreatedAt, ok
	m.followHistCursor(tr.Row, ok)
}

// window is the time range of the current query for coverage, histogram
// and sync: the query's bounds, or the default window without a time term.
func (s session) window() (from, to time.Time) {
	from, to = s.query.Bounds(s.queryNow, s.defaultSince)
	if to.IsZero() {
		to = s.queryNow
	}
	if from.IsZero() {
		from = to.Add(-s.defaultSince)
	}
	return from, to
}

// recount counts the query's events again after the cache changed. A
// total that needed the exact count is recounted exactly straight away,
// the old total shown meanwhile; any other starts with the capped count.
func (m *Model) recount() tea.Cmd {
	if m.totalKnown && !m.capped && m.total >= countCap {
		return m.countExactly()
	}
	m.stopCounting()
	return countCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, m.flight.start(reqCount))
}

// countExactly starts the exact count of the query's events in the
// background, cancelling one already running.
func (m *Model) countExactly() tea.Cmd {
	m.stopCounting()
	ctx, cancel := context.WithCancel(m.readCtx)
	m.cancelCount, m.counting = cancel, true
	return exactCountCmd(ctx, m.deps.Source, m.eff, m.queryNow, m.flight.start(reqCount))
}

// stopCounting cancels the exact count, if one is running.
func (m *Model) stopCounting() {
	if m.cancelCount != nil {
		m.cancelCount()
	}
	m.cancelCount, m.counting = nil, false
}

// exactCountCmd counts every event of q (no cap); cancelling ctx stops it.
func exactCountCmd(ctx context.Context, src Source, q feed.Query, now time.Time, r req) tea.Cmd {
	return func() tea.Msg {
		n, capped, err := src.Count(ctx, q, now, 0)
		return countMsg{req: r, n: n, capped: capped, err: err}
	}
}

// handleCount applies a count: a capped one starts the exact count, an
// exact one also tells the table where a window read from the oldest end
// (G) starts, so the position is known there too.
func (m Model) handleCount(msg countMsg) (Model, tea.Cmd) {
	if msg.err != nil {
		m.stopCounting()
		if errors.Is(msg.err, context.Canceled) {
			return m, nil
		}
		return m, m.setStatus("count failed: "+msg.err.Error(), true)
	}
	m.total, m.capped, m.totalKnown = msg.n, msg.capped, true
	if msg.capped {
		return m, m.countExactly()
	}
	m.stopCounting()
	if t := &m.table; t.atOldest && t.base < 0 && len(t.rows) > 0 {
		t.base = max(0, m.total-len(t.rows))
	}
	if m.total > 0 {
		m.flight.stop(reqNearMiss)
		m.nearMisses = nil
		return m, nil
	}
	return m, nearMissCmd(m.readCtx, m.deps.Source, m.eff, m.flight.start(reqNearMiss))
}

// nearMissSuggestions is how many cached values a near miss suggests.
const nearMissSuggestions = 3

type nearMissMsg struct {
	req    req
	misses []store.NearMiss
	err    error
}

// nearMissCmd asks which values of q the cache has never seen.
func nearMissCmd(ctx context.Context, src Source, q feed.Query, r req) tea.Cmd {
	return func() tea.Msg {
		misses, err := src.NearMisses(ctx, q, nearMissSuggestions)
		return nearMissMsg{req: r, misses: misses, err: err}
	}
}

// nearMissText is a line per value of an empty result the cache has never
// seen: "no actor … in the cache; did you mean …?", masked while
// redacting. Each comes after the coverage line, which keeps saying how
// much of the window the cache holds.
func (m Model) nearMissText() string {
	var b strings.Builder
	red := m.redactor()
	for _, miss := range m.nearMisses {
		miss.Value = redactPivot(red, miss.Field, miss.Value)
		miss.Closest = slices.Clone(miss.Closest)
		for i, v := range miss.Closest {
			miss.Closest[i] = redactPivot(red, miss.Field, v)
		}
		b.WriteString("\n" + safe.Text(miss.String()))
	}
	return b.String()
}

// totalText is the number of events of the query: "≥ 100,000" while the
// capped count is all there is, with "· counting…" while the exact count
// runs.
func (r session) totalText(withUnit bool) string {
	var s string
	switch {
	case !r.totalKnown:
		s = "…"
	case r.capped:
		s = "≥ " + printer.Thousands(r.total)
	default:
		s = printer.Thousands(r.total)
	}
	if !withUnit {
		return s
	}
	switch {
	case !r.totalKnown:
		return "counting…"
	case r.total == 1 && !r.capped:
		s += " event"
	default:
		s += " events"
	}
	if r.counting {
		s += " · counting…"
	}
	return s
}

// slides reports whether the query's window moves with the clock (a
// relative window or the default one).
func (s session) slides() bool {
	return s.query.Window.From.IsZero() && s.query.Window.To.IsZero()
}
