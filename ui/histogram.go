package ui

import (
	"strings"
	"time"

	"claudit/store"
)

// sparkBars are the eight bar heights, lowest first.
const sparkBars = "▁▂▃▄▅▆▇█"

// histModel is the sparkline of the window with the selected row marked.
type histModel struct {
	h         store.Histogram
	has       bool
	marker    time.Time
	hasMarker bool
	width     int
	loc       *time.Location
	styles    *Styles
}

// SetWidth sets the number of columns (and buckets requested).
func (h *histModel) SetWidth(w int) { h.width = max(0, w) }

// markerBucket is the bucket holding the selected row, -1 if none.
func (h histModel) markerBucket() int {
	n := len(h.h.Buckets)
	span := h.h.To.Sub(h.h.From)
	if !h.has || !h.hasMarker || n == 0 || span <= 0 {
		return -1
	}
	if h.marker.Before(h.h.From) || !h.marker.Before(h.h.To) {
		return -1
	}
	i := int(int64(h.marker.Sub(h.h.From)) * int64(n) / int64(span))
	return min(max(0, i), n-1)
}

// View renders two lines: the bars and an axis with the window's ends and
// a ▲ under the selected row's bucket.
func (h histModel) View() string {
	if h.width == 0 {
		return ""
	}
	st := h.styles.Hist
	if !h.has {
		return fit(st.Axis.Render(" histogram loading…"), h.width) + "\n" + strings.Repeat(" ", h.width)
	}
	// After a resize the buckets of the old width show until the new
	// histogram arrives: resample them to the columns we have.
	cols := resample(h.h.Buckets, h.width)
	peak := 0
	for _, c := range cols {
		peak = max(peak, c)
	}
	mark := -1
	if b := h.markerBucket(); b >= 0 && len(cols) > 0 {
		mark = min(len(cols)-1, b*len(cols)/len(h.h.Buckets))
	}
	levels := []rune(sparkBars)
	bars := make([]rune, len(cols))
	for i := range bars {
		bars[i] = ' '
		if c := cols[i]; c > 0 {
			// Any non-empty bucket shows at least the lowest bar.
			bars[i] = levels[min(len(levels)-1, (c*len(levels)-1)/max(1, peak))]
		}
	}
	// Three runs (before, at, after the marker) keep this to three
	// Render calls per frame.
	var line1 string
	if mark >= 0 && mark < len(bars) {
		at := bars[mark]
		if at == ' ' {
			at = '·'
		}
		line1 = st.Bar.Render(string(bars[:mark])) + st.Marker.Render(string(at)) + st.Bar.Render(string(bars[mark+1:]))
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
	left := h.h.From.In(h.loc).Format("01-02 15:04")
	right := h.h.To.In(h.loc).Format("01-02 15:04")
	// A label the marker would cut is left out rather than garbled.
	leftEnd, rightStart := len([]rune(left)), h.width-len([]rune(right))
	if mark < 0 || mark >= leftEnd+1 {
		put(0, left)
	}
	if mark < 0 || mark < rightStart-1 {
		put(rightStart, right)
	}
	var line2 string
	if mark >= 0 && mark < len(axis) {
		axis[mark] = '▲'
		line2 = st.Axis.Render(string(axis[:mark])) + st.Marker.Render("▲") + st.Axis.Render(string(axis[mark+1:]))
	} else {
		line2 = st.Axis.Render(string(axis))
	}
	return line1 + "\n" + line2
}

// resample sums buckets into w columns (w >= len keeps them as they are).
func resample(buckets []int, w int) []int {
	n := len(buckets)
	if n <= w {
		return buckets
	}
	out := make([]int, w)
	for i, c := range buckets {
		out[i*w/n] += c
	}
	return out
}
