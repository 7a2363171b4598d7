package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"claudit/feed"
	"claudit/store"

	tea "charm.land/bubbletea/v2"
)

// Every Cmd constructor here takes values (context, source, query, cursor,
// req or page seq) and returns a message that carries the req (or seq) of
// its request, so the root can drop results that a newer request
// superseded (inflight). None touches the model.

// countCap bounds the first Count of a query: past it the total shows as
// "≥ 100,000" until the exact count in the background (results.go) ends.
const countCap = 100_000

type fetchKind int

const (
	fetchReload fetchKind = iota // newest rows, window replaced
	fetchBottom                  // oldest rows, window replaced
	fetchOlder                   // rows below the window
	fetchNewer                   // rows above the window
	fetchAnchor                  // rows around a kept row (refresh)
	fetchJump                    // rows around a time: the histogram cursor (histnav.go)
)

// pageMsg is the result of a Search.
type pageMsg struct {
	seq      uint64
	kind     fetchKind
	rows     []store.Row
	asked    int
	cursor   int // fetchAnchor: index of the anchor row in rows
	atNewest bool
	atOldest bool
	err      error
}

func searchCmd(ctx context.Context, src Source, q feed.Query, now time.Time, from store.Cursor, dir store.Direction, n int, seq uint64, kind fetchKind) tea.Cmd {
	return func() tea.Msg {
		rows, err := src.Search(ctx, q, now, from, dir, n)
		if err != nil {
			err = fmt.Errorf("search: %w", err)
		}
		return pageMsg{seq: seq, kind: kind, rows: rows, asked: n, err: err}
	}
}

// anchorCmd re-reads the window around a row the analyst is looking at, so
// new rows arriving from a sync do not move the selection.
func anchorCmd(ctx context.Context, src Source, q feed.Query, now time.Time, anchor store.Row, above, below int, seq uint64) tea.Cmd {
	return func() tea.Msg {
		msg := pageMsg{seq: seq, kind: fetchAnchor}
		// A fresh copy picks up flags the sync changed (self, late); if it
		// cannot be read the old copy still anchors the window.
		if fresh, err := src.Get(ctx, anchor.ID); err == nil {
			anchor = fresh
		}
		up, err := src.Search(ctx, q, now, anchor.Cursor(), store.Newer, above)
		if err != nil {
			msg.err = fmt.Errorf("refresh: %w", err)
			return msg
		}
		down, err := src.Search(ctx, q, now, anchor.Cursor(), store.Older, below)
		if err != nil {
			msg.err = fmt.Errorf("refresh: %w", err)
			return msg
		}
		msg.rows = make([]store.Row, 0, len(up)+1+len(down))
		msg.rows = append(append(append(msg.rows, up...), anchor), down...)
		msg.cursor = len(up)
		msg.atNewest = len(up) < above
		msg.atOldest = len(down) < below
		return msg
	}
}

type countMsg struct {
	req    req
	n      int
	capped bool
	err    error
}

func countCmd(ctx context.Context, src Source, q feed.Query, now time.Time, r req) tea.Cmd {
	return func() tea.Msg {
		n, capped, err := src.Count(ctx, q, now, countCap)
		return countMsg{req: r, n: n, capped: capped, err: err}
	}
}

type histMsg struct {
	req req
	h   store.Histogram
	err error
}

func histCmd(ctx context.Context, src Source, q feed.Query, now, from, to time.Time, buckets int, r req) tea.Cmd {
	return func() tea.Msg {
		h, err := src.Histogram(ctx, q, now, from, to, buckets)
		return histMsg{req: r, h: h, err: err}
	}
}

type coverageMsg struct {
	req req
	c   store.Coverage
	err error
}

func coverageCmd(ctx context.Context, src Source, filter string, span feed.Range, r req) tea.Cmd {
	return func() tea.Msg {
		c, err := src.Coverage(ctx, filter, span)
		return coverageMsg{req: r, c: c, err: err}
	}
}

type suggestMsg struct {
	req    req
	values []string
	err    error
}

func suggestCmd(ctx context.Context, src Source, field, prefix string, n int, r req) tea.Cmd {
	return func() tea.Msg {
		v, err := src.Suggest(ctx, field, prefix, n)
		return suggestMsg{req: r, values: v, err: err}
	}
}

type dossierMsg struct {
	req req
	d   store.Dossier
	err error
}

func dossierCmd(ctx context.Context, src Source, keyID string, r req) tea.Cmd {
	return func() tea.Msg {
		d, err := src.Dossier(ctx, keyID)
		return dossierMsg{req: r, d: d, err: err}
	}
}

type markMsg struct {
	req    req
	id     string
	marked bool
	note   string
	err    error
}

// markCmd marks id with note, or unmarks it (which drops its note). It
// runs under the program's context, not the query's: a mark must not be
// lost because the analyst moved on to another query.
func markCmd(ctx context.Context, src Source, id string, mark bool, note string, r req) tea.Cmd {
	return func() tea.Msg {
		var err error
		if mark {
			err = src.Mark(ctx, id, note)
		} else {
			err = src.Unmark(ctx, id)
			note = ""
		}
		return markMsg{req: r, id: id, marked: mark, note: note, err: err}
	}
}

// statusExpiredMsg clears the status message it names when its TTL ends.
type statusExpiredMsg struct{ id uint64 }

// Sync plumbing: the sync runs in its own goroutine and talks to the
// program only through a channel, which a self re-arming Cmd reads. The
// goroutine never touches the model.

type syncEvent struct {
	p    feed.Progress
	done bool
	err  error
}

type syncStartedMsg struct {
	req req
	ch  <-chan syncEvent
}

type syncProgressMsg struct {
	req req
	ch  <-chan syncEvent
	p   feed.Progress
}

type syncDoneMsg struct {
	req req
	err error
}

// startSyncCmd starts sync in a goroutine. Progress reports are coalesced
// (a slow UI sees the newest report, never a backlog); the final outcome is
// always delivered unless ctx is cancelled, and the channel is closed when
// the goroutine ends so a waiting Cmd never blocks forever.
func startSyncCmd(ctx context.Context, run func(context.Context, feed.Query, func(feed.Progress)) error, q feed.Query, r req) tea.Cmd {
	return func() tea.Msg {
		ch := make(chan syncEvent, 1)
		go func() {
			var mu syncMutex
			defer func() {
				mu.Lock()
				mu.closed = true
				close(ch)
				mu.Unlock()
			}()
			report := func(p feed.Progress) {
				mu.Lock()
				defer mu.Unlock()
				if mu.closed {
					return
				}
				select {
				case ch <- syncEvent{p: p}:
				default:
					select { // replace the unread report with this newer one
					case <-ch:
					default:
					}
					select {
					case ch <- syncEvent{p: p}:
					default:
					}
				}
			}
			err := run(ctx, q, report)
			mu.Lock()
			mu.closed = true // late reports from a misbehaving Sync are dropped
			mu.Unlock()
			select {
			case ch <- syncEvent{done: true, err: err}:
			case <-ctx.Done():
			}
		}()
		return syncStartedMsg{req: r, ch: ch}
	}
}

// syncMutex guards the report channel against sends after close.
type syncMutex struct {
	sync.Mutex
	closed bool
}

// waitSyncCmd reads the next event of a running sync.
func waitSyncCmd(ch <-chan syncEvent, r req) tea.Cmd { return syncWait{ch: ch, req: r}.next }

// syncWait is a pending read of a sync's (or tail's) channel. It is a
// method value rather than a closure so that tests can tell it apart from
// other Cmds: it blocks until the sync reports.
type syncWait struct {
	ch  <-chan syncEvent
	req req
}

func (w syncWait) next() tea.Msg {
	ev, ok := <-w.ch
	switch {
	case !ok:
		return syncDoneMsg{req: w.req, err: context.Canceled}
	case ev.done:
		return syncDoneMsg{req: w.req, err: ev.err}
	}
	return syncProgressMsg{req: w.req, ch: w.ch, p: ev.p}
}
