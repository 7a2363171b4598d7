package ui

import (
	"context"
	"fmt"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"

	tea "charm.land/bubbletea/v2"
)

// The histogram as a navigator, after lnav's histogram view: a time cursor
// on the sparkline follows the selected row; [ and ] (or a click on a
// cell) move it a cell older or newer and jump the table to the newest
// row at or before the end of that cell, across the whole result (a keyset
// read from that time, not only the loaded window); z narrows the query to
// the cell under the cursor, pushed on the pivot stack so esc zooms back
// out.

// histCell is one column of the sparkline: its time range [from, to) and
// how many events it holds.
type histCell struct {
	from, to time.Time
	n        int
}

// histPin is the cursor put on a cell by [ ], or a click. While on, the
// cursor stays on its cell (an empty cell included: the row the table
// jumped to lies in an older one) until the table moves to another row.
type histPin struct {
	on  bool
	at  time.Time // the middle of the cell: it survives re-bucketing
	end time.Time // the end of the cell the jump read from
	// seq is the page read of the jump while it is in flight (0 once it
	// landed), left the row selected when it started; row is the row it
	// landed on.
	seq       uint64
	left, row string
}

// bucketRange is bucket i's time range, the way the store splits the
// window (store.Histogram: float widths, the last bucket ends at To).
func bucketRange(h store.Histogram, i int) (from, to time.Time) {
	n := len(h.Buckets)
	width := float64(h.To.Sub(h.From)) / float64(n)
	from = h.From.Add(time.Duration(float64(i) * width))
	to = h.From.Add(time.Duration(float64(i+1) * width))
	if i == n-1 {
		to = h.To
	}
	return from, to
}

// cells are the sparkline's columns: one per bucket, or, after a resize
// narrowed the screen until the new histogram arrives, the buckets summed
// into the columns there are (bucket i goes to column i*w/n).
func (h histModel) cells() []histCell {
	n, w := len(h.h.Buckets), h.width
	if !h.has || n == 0 || w == 0 || !h.h.From.Before(h.h.To) {
		return nil
	}
	if n <= w {
		out := make([]histCell, n)
		for i, c := range h.h.Buckets {
			out[i].from, out[i].to = bucketRange(h.h, i)
			out[i].n = c
		}
		return out
	}
	out := make([]histCell, w)
	for c := range out {
		first, last := (c*n+w-1)/w, ((c+1)*n+w-1)/w-1
		out[c].from, _ = bucketRange(h.h, first)
		_, out[c].to = bucketRange(h.h, last)
		for i := first; i <= last; i++ {
			out[c].n += h.h.Buckets[i]
		}
	}
	return out
}

// cellOf is the cell holding t, -1 outside the window.
func cellOf(cells []histCell, t time.Time) int {
	if len(cells) == 0 || t.Before(cells[0].from) || !t.Before(cells[len(cells)-1].to) {
		return -1
	}
	lo, hi := 0, len(cells)-1
	for lo < hi { // the last cell whose from is not after t
		mid := (lo + hi + 1) / 2
		if cells[mid].from.After(t) {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	return lo
}

// cursorCell is the cell under the time cursor: the pinned one, else the
// selected row's; -1 when there is none.
func (h histModel) cursorCell(cells []histCell) int {
	switch {
	case h.pin.on:
		return cellOf(cells, h.pin.at)
	case h.hasMarker:
		return cellOf(cells, h.marker)
	}
	return -1
}

// cellLabel is a cell's range and count, "14:16:48–14:31:12 · 751
// events": to the second (the minute when both ends are whole minutes),
// to the millisecond for cells under ten seconds, with the date when the
// window spans more than a day or the cell crosses midnight.
func (h histModel) cellLabel(c histCell) string {
	return h.rangeLabel(c.from, c.to) + " · " + printer.Count(c.n, "event")
}

func (h histModel) rangeLabel(from, to time.Time) string {
	layout, unit := "15:04:05.000", time.Millisecond
	if to.Sub(from) >= 10*time.Second {
		layout, unit = "15:04:05", time.Second
	}
	from, to = from.Round(unit).In(h.loc), to.Round(unit).In(h.loc)
	if unit == time.Second && from.Second() == 0 && to.Second() == 0 {
		layout = "15:04"
	}
	l, r := from.Format(layout), to.Format(layout)
	otherDay := from.YearDay() != to.YearDay() || from.Year() != to.Year()
	if h.h.To.Sub(h.h.From) > 24*time.Hour || otherDay {
		l = from.Format("01-02 ") + l
		if otherDay {
			r = to.Format("01-02 ") + r
		}
	}
	return l + "–" + r
}

// histUsable reports whether the histogram has cells a cursor can go to.
func (m *Model) histUsable() bool {
	return m.state == stateReady && m.hist.has && len(m.hist.h.Buckets) > 0 && m.hist.width > 0
}

// histStep moves the time cursor delta cells (negative: older) and jumps
// the table there. At either end it stays and says so.
func (m Model) histStep(delta int) (Model, tea.Cmd) {
	cells := m.hist.cells()
	if len(cells) == 0 {
		return m, nil
	}
	cur := m.hist.cursorCell(cells)
	if cur < 0 { // no cursor yet (no row, or the row is outside the window)
		return m.histJump(cells, len(cells)-1)
	}
	next := min(max(0, cur+delta), len(cells)-1)
	if next == cur {
		end := "oldest"
		if delta > 0 {
			end = "newest"
		}
		return m, m.setStatus(fmt.Sprintf("the %s bucket of the window · %s zooms into it", end, m.keys.Zoom.Help().Key), false)
	}
	return m.histJump(cells, next)
}

// histClick puts the cursor on the cell under column x of the histogram.
func (m Model) histClick(x int) (Model, tea.Cmd) {
	if !m.histUsable() {
		return m, nil
	}
	cells := m.hist.cells()
	if x < 0 || x >= len(cells) {
		return m, nil
	}
	m.focus = focusTable
	m.relayout()
	return m.histJump(cells, x)
}

// histJump pins the cursor on cells[i] and reads the table's window from
// the newest row at or before the cell's end.
func (m Model) histJump(cells []histCell, i int) (Model, tea.Cmd) {
	c := cells[i]
	m.pause() // live tail: the table leaves the top
	m.stopJumpPos()
	seq := m.nextSeq()
	m.table.reloadSeq = seq
	r, _ := m.table.selected()
	m.hist.pin = histPin{on: true, at: c.from.Add(c.to.Sub(c.from) / 2), end: c.to, seq: seq, left: r.ID}
	return m, histJumpCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, c.to, pageSize/2, pageSize, seq)
}

// histJumpCmd reads the window around time end: the newest row before end
// under the cursor, up to above rows at or after end over it and up to
// below rows from it down. With no row before end the cursor goes to the
// oldest row there is.
func histJumpCmd(ctx context.Context, src Source, q feed.Query, now, end time.Time, above, below int, seq uint64) tea.Cmd {
	return func() tea.Msg {
		msg := pageMsg{seq: seq, kind: fetchJump}
		at := store.Cursor{CreatedAt: end} // no id: Older is t < end, Newer t ≥ end
		down, err := src.Search(ctx, q, now, at, store.Older, below)
		if err != nil {
			msg.err = fmt.Errorf("histogram jump: %w", err)
			return msg
		}
		up, err := src.Search(ctx, q, now, at, store.Newer, above)
		if err != nil {
			msg.err = fmt.Errorf("histogram jump: %w", err)
			return msg
		}
		msg.rows = append(append(make([]store.Row, 0, len(up)+len(down)), up...), down...)
		msg.cursor = len(up)
		if len(down) == 0 {
			msg.cursor = max(0, len(up)-1)
		}
		msg.atNewest, msg.atOldest = len(up) < above, len(down) < below
		return msg
	}
}

// landJump applies the window a jump read (handlePage has checked its
// seq) and ties the pinned cursor to the row it landed on. Unless the
// window starts at the newest row, where the jump lands in the result is
// counted in the background (jumpPosCmd), so the status line shows a
// position rather than "?".
func (m *Model) landJump(msg pageMsg) tea.Cmd {
	base := -1
	if msg.atNewest {
		base = 0
	}
	m.table.setWindow(msg.rows, msg.cursor, msg.atNewest, msg.atOldest, base)
	r, ok := m.table.selected()
	p := &m.hist.pin
	if !p.on || p.seq != msg.seq {
		return nil
	}
	p.seq, p.row = 0, r.ID
	if msg.atNewest || !ok {
		return nil
	}
	_, to := m.window()
	ctx, cancel := context.WithCancel(m.readCtx)
	m.cancelJumpPos = cancel
	return jumpPosCmd(ctx, m.deps.Source, m.eff, m.queryNow, p.end, to, r, m.flight.start(reqJumpPos))
}

// stopJumpPos cancels the count of the last jump's position.
func (m *Model) stopJumpPos() {
	if m.cancelJumpPos != nil {
		m.cancelJumpPos()
		m.cancelJumpPos = nil
	}
	m.flight.stop(reqJumpPos)
}

// jumpPosMsg is the position of row id in the result.
type jumpPosMsg struct {
	req req
	id  string
	pos int
	err error
}

// jumpPosCmd counts the rows of q newer than r, the row a jump to end
// landed on: those at or after end (r is the newest row before it, or,
// with none before end, the oldest after it).
func jumpPosCmd(ctx context.Context, src Source, q feed.Query, now, end, to time.Time, r store.Row, rq req) tea.Cmd {
	return func() tea.Msg {
		n, _, err := src.Count(ctx, q.WithWindow(feed.Window{From: end, To: to}), now, 0)
		if !r.CreatedAt.Before(end) {
			n-- // r is among them
		}
		return jumpPosMsg{req: rq, id: r.ID, pos: n, err: err}
	}
}

// handleJumpPos gives the table's window its place in the result, if the
// row counted is still in it and the place is still unknown.
func (m *Model) handleJumpPos(msg jumpPosMsg) {
	if !m.flight.is(msg.req) {
		return
	}
	m.stopJumpPos()
	t := &m.table
	if msg.err != nil || t.base >= 0 {
		return
	}
	for i, r := range t.rows {
		if r.ID == msg.id {
			t.base = max(0, msg.pos-i)
			return
		}
	}
}

// followHistCursor unpins the cursor once the table selects another row
// than the one the jump landed on, or another read replaced the jump:
// the cursor then follows the selection again. A move of the table while
// the jump is in flight cancels it (its page would land after the move).
func (m *Model) followHistCursor(r store.Row, ok bool) {
	p := &m.hist.pin
	switch {
	case !p.on:
	case p.seq != 0 && m.table.reloadSeq != p.seq:
		*p = histPin{}
	case p.seq != 0:
		if ok && r.ID != p.left {
			m.table.reloadSeq = 0
			*p = histPin{}
		}
	case ok && r.ID != p.row:
		*p = histPin{}
	}
}

// zoom narrows the query's window to the cell under the cursor, rounded
// out to whole minutes, seconds or milliseconds, like a pivot: esc
// returns to the window (and row) it left.
func (m Model) zoom() (Model, tea.Cmd) {
	cells := m.hist.cells()
	i := m.hist.cursorCell(cells)
	if i < 0 {
		return m, m.setStatus("no bucket under the histogram cursor: move it with "+m.keys.HistPrev.Help().Key+" "+m.keys.HistNext.Help().Key, true)
	}
	from, to := zoomBounds(cells[i].from, cells[i].to)
	if wf, wt := m.window(); !from.After(wf) && !to.Before(wt) {
		return m, m.setStatus("the window is one bucket already: nothing narrower to zoom into", true)
	}
	nq := m.query.WithWindow(feed.Window{From: from, To: to})
	label := m.hist.rangeLabel(from, to)
	m.push("zoom " + label)
	m.focus = focusTable
	var anchor *store.Row
	if r, ok := m.table.selected(); ok && !r.CreatedAt.Before(from) && r.CreatedAt.Before(to) {
		anchor = &r
		m.pause()
	}
	m.hist.pin = histPin{}
	m, cmd := m.startQueryAt(nq, anchor)
	m.relayout()
	return m, tea.Batch(cmd, m.setStatus("zoomed to "+label+" · "+m.keys.Back.Help().Key+" zooms out", false))
}

// zoomBounds rounds [from, to) out to the largest of a minute, a second
// and a millisecond that the span holds ten times, so the query bar reads
// from:2026-09-15T14:00:00Z rather than a nanosecond.
func zoomBounds(from, to time.Time) (time.Time, time.Time) {
	unit := time.Millisecond
	switch span := to.Sub(from); {
	case span >= 10*time.Minute:
		unit = time.Minute
	case span >= 10*time.Second:
		unit = time.Second
	}
	lo := from.Truncate(unit)
	hi := to.Truncate(unit)
	if hi.Before(to) {
		hi = hi.Add(unit)
	}
	return lo, hi
}
