package ui

import (
	"strings"
	"time"

	"claudit/store"
)

// sparkBars are the eight bar heights, lowest first.
const sparkBars = "▁▂▃▄▅▆▇█"

// histModel is the sparkline of the window with a time cursor: on the
// selected row's cell, or where [ ] or a click pinned it (histnav.go).
type histModel struct {
	h         store.Histogram
	has       bool
	marker    time.Time
	hasMarker bool
	pin       histPin
	width     int
	loc       *time.Location
	styles    *Styles
}

// SetWidth sets the number of columns (and buckets requested).
func (h *histModel) SetWidth(w int) { h.width = max(0, w) }

// View renders two lines: the bars and an axis with the window's ends and
// a ▲ under the cursor's cell. A pinned cursor is drawn in its own style
// and the axis names its cell's range and count.
func (h histModel) View() string {
	if h.width == 0 {
		return ""
	}
	st := h.styles.Hist
	if !h.has {
		return fit(st.Axis.Render(" histogram loading…"), h.width) + "\n" + strings.Repeat(" ", h.width)
	}
	// After a resize the buckets of the old width show until the new
	// histogram arrives: cells resamples them to the columns we have.
	cells := h.cells()
	peak := 0
	for _, c := range cells {
		peak = max(peak, c.n)
	}
	mark := h.cursorCell(cells)
	at := st.Marker
	if h.pin.on {
		at = st.Cursor
	}
	levels := []rune(sparkBars)
	bars := make([]rune, len(cells))
	for i := range bars {
		bars[i] = ' '
		if c := cells[i].n; c > 0 {
			// Any non-empty bucket shows at least the lowest bar.
			bars[i] = levels[min(len(levels)-1, (c*len(levels)-1)/max(1, peak))]
		}
	}
	// Three runs (before, at, after the cursor) keep this to three
	// Render calls per frame.
	var line1 string
	if mark >= 0 {
		r := bars[mark]
		if r == ' ' {
			r = '·'
		}
		line1 = st.Bar.Render(string(bars[:mark])) + at.Render(string(r)) + st.Bar.Render(string(bars[mark+1:]))
	} else {
		line1 = st.Bar.Render(string(bars))
	}
	line1 = fit(line1, h.width)

	axis := []rune(strings.Repeat(" ", h.width))
	put := func(at int, s string) {
		for i, r := range []rune(s) {
			if at+i >= 0 && at+i < len(axis) {
				axis[at+i] = r
			}
		}
	}
	// free reports whether [a, b) keeps a column clear of the cursor and
	// of the pinned cell's label.
	busyFrom, busyTo := mark-1, mark+2
	if mark >= 0 && h.pin.on {
		label := []rune(h.cellLabel(cells[mark]))
		start := mark + 2 // right of the ▲ when it fits, else left of it
		if start+len(label) > h.width {
			start = max(0, mark-1-len(label))
		}
		put(start, string(label))
		busyFrom, busyTo = min(busyFrom, start-1), max(busyTo, start+len(label)+1)
	}
	free := func(a, b int) bool { return mark < 0 || b <= busyFrom || a >= busyTo }
	left := h.h.From.In(h.loc).Format("01-02 15:04")
	right := h.h.To.In(h.loc).Format("01-02 15:04")
	// A label the cursor would cut is left out rather than garbled.
	if n := len([]rune(left)); free(0, n) {
		put(0, left)
	}
	if n := len([]rune(right)); free(h.width-n, h.width) {
		put(h.width-n, right)
	}
	var line2 string
	if mark >= 0 && mark < len(axis) {
		line2 = st.Axis.Render(string(axis[:mark])) + at.Render("▲") + st.Axis.Render(string(axis[mark+1:]))
	} else {
		line2 = st.Axis.Render(string(axis))
	}
	return line1 + "\n" + line2
}
