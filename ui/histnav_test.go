package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"

	tea "charm.land/bubbletea/v2"
)

// histRows is more rows than the table ever holds (windowMax): one a
// second, the newest at 14:30:00. At 100 columns histQuery's histogram
// has 100 cells of 26 s from 13:50:00; row 0 lies in cell 92, [14:29:52,
// 14:30:18), and cells 93…99 are empty.
const (
	histRows  = 3000
	histQuery = "from:2026-09-15T13:50:00Z to:2026-09-15T14:33:20Z"
)

func histHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	h := newHarness(t, synthSource(histRows), 100, 30, append([]harnessOpt{withQuery(histQuery)}, opts...)...)
	// With claudit's own calls shown (none of these rows is one) the fake
	// counts by binary search instead of reading every row.
	h.key("S")
	if !h.m.hist.has || len(h.m.hist.cells()) != 100 {
		t.Fatalf("histogram not ready: has %v, %d cells", h.m.hist.has, len(h.m.hist.cells()))
	}
	return h
}

// cursor is the cell under the histogram's time cursor.
func (h *harness) histCursor() int { return h.m.hist.cursorCell(h.m.hist.cells()) }

// histAxis is the histogram's axis line, without colour.
func (h *harness) histAxis() string {
	lines := strings.Split(h.screen(), "\n")
	return lines[h.m.lay.Hist.Y+1]
}

// wantJumpedTo checks that the table selects the newest row before the
// end of cell c, and that the window around it is full on both sides.
func (h *harness) wantJumpedTo(c int) {
	h.t.Helper()
	cells := h.m.hist.cells()
	end := cells[c].to
	r, ok := h.m.table.selected()
	want := end.Add(-time.Second).Truncate(time.Second)
	if end.Truncate(time.Second).Before(end) {
		want = end.Truncate(time.Second)
	}
	if !ok || !r.CreatedAt.Equal(want) {
		h.t.Fatalf("cell %d ends %v: selected %v, want the newest row before the end, %v", c, end, r.CreatedAt, want)
	}
	if h.m.table.cursor == 0 || h.m.table.cursor == len(h.m.table.rows)-1 {
		h.t.Fatalf("the jump read no rows around the target: cursor %d of %d", h.m.table.cursor, len(h.m.table.rows))
	}
}

func TestHistCursorFollowsSelection(t *testing.T) {
	h := histHarness(t)
	if got := h.histCursor(); got != 92 {
		t.Fatalf("cursor on cell %d, want 92 (row 0 at 14:30:00)", got)
	}
	if axis := h.histAxis(); []rune(axis)[92] != '▲' || strings.Contains(axis, "events") {
		t.Fatalf("axis %q: the ▲ belongs under cell 92 and no label until the cursor is moved", axis)
	}
	// Moving the table moves the cursor.
	for range 20 {
		h.key("pgdown")
	}
	r, _ := h.m.table.selected()
	cells := h.m.hist.cells()
	if c := h.histCursor(); c < 0 || c > 80 || r.CreatedAt.Before(cells[c].from) || !r.CreatedAt.Before(cells[c].to) {
		t.Fatalf("row at %v, cursor on cell %d", r.CreatedAt, c)
	}
	h.key("G")
	if got := h.histCursor(); got != 0 {
		t.Fatalf("G: cursor on cell %d, want 0", got)
	}
	if h.m.hist.pin.on {
		t.Fatal("table moves must not pin the cursor")
	}
}

// [ and ] move the cursor a cell and jump the table, past the rows it had
// loaded; empty cells keep the cursor; the ends clamp.
func TestHistKeysJumpAcrossTheResult(t *testing.T) {
	h := histHarness(t)
	loaded := map[string]bool{}
	for _, r := range h.m.table.rows {
		loaded[r.ID] = true
	}
	h.key("[")
	if got := h.histCursor(); got != 91 || !h.m.hist.pin.on {
		t.Fatalf("[: cursor on cell %d (pinned %v), want 91", got, h.m.hist.pin.on)
	}
	h.wantJumpedTo(91)
	h.mustContain("14:29:26–14:29:52 · 26 events")
	// The styled cursor replaces the plain marker.
	bars := strings.Split(h.m.hist.View(), "\n")[0]
	if !strings.Contains(bars, h.m.styles.Hist.Cursor.Render("█")) {
		t.Fatalf("no cursor-styled cell in %q", bars)
	}

	// Newer: cell 92 holds row 0; 93…99 are empty, so the table stays on
	// row 0 while the cursor goes on; past 99 it clamps.
	h.key("]")
	h.wantJumpedToNewest(92)
	for _, c := range []int{93, 94, 95, 96, 97, 98, 99, 99} {
		h.key("]")
		h.wantJumpedToNewest(c)
	}
	if !strings.Contains(h.m.statusText, "newest bucket") {
		t.Fatalf("clamped ] says %q", h.m.statusText)
	}
	for range 18 {
		h.key("[")
	}
	if got := h.histCursor(); got != 81 {
		t.Fatalf("back from the empty cells: cursor on %d, want 81", got)
	}
	h.wantJumpedTo(81)
	if loaded[h.selectedID()] {
		t.Fatal("the jump only moved within the rows loaded at first")
	}
	// The position is counted: 269 rows from 14:25:32 (the cell's end) to
	// 14:30:00 come before the row at 14:25:31.
	if p := h.m.table.position(); p != 269 {
		t.Fatalf("position %d after the jump, want 269", p)
	}
	h.mustContain("270/2,401")

	// Older to the start of the window, and one more clamps.
	for range 81 {
		h.key("[")
	}
	if got := h.histCursor(); got != 0 {
		t.Fatalf("cursor on cell %d, want 0", got)
	}
	h.wantJumpedTo(0)
	first := h.selectedID()
	h.key("[")
	if got := h.histCursor(); got != 0 || h.selectedID() != first || !strings.Contains(h.m.statusText, "oldest bucket") {
		t.Fatalf("clamped [: cell %d, row %s (was %s), status %q", got, h.selectedID(), first, h.m.statusText)
	}

	// Moving the table lets the cursor follow the selection again.
	h.key("k")
	if h.m.hist.pin.on {
		t.Fatal("k must unpin the cursor")
	}
	if strings.Contains(h.histAxis(), "events") {
		t.Fatalf("the label stays after the cursor follows the table again: %q", h.histAxis())
	}
}

// wantJumpedToNewest checks the cursor is on c and the table on row 0,
// the newest row before the end of any cell from 92 on.
func (h *harness) wantJumpedToNewest(c int) {
	h.t.Helper()
	if got := h.histCursor(); got != c || h.m.table.cursor != 0 || !h.m.table.atNewest || !h.m.hist.pin.on {
		h.t.Fatalf("cursor on cell %d (want %d, pinned %v), table cursor %d at newest %v", got, c, h.m.hist.pin.on, h.m.table.cursor, h.m.table.atNewest)
	}
	if r, _ := h.m.table.selected(); !r.CreatedAt.Equal(synthBase) {
		h.t.Fatalf("selected %v, want row 0 at %v", r.CreatedAt, synthBase)
	}
}

// A newer jump makes the result of the one before it stale.
func TestHistJumpStaleResultDropped(t *testing.T) {
	h := histHarness(t)
	m1, first := h.m.Update(keyMsg("["))
	m2, second := m1.(Model).Update(keyMsg("["))
	h.m = m2.(Model)
	h.send(first())
	if h.m.table.reloadSeq == 0 || h.selectedID() != synthRow(0, histRows).ID {
		t.Fatalf("the first jump's result was applied over the second: selected %s", h.selectedID())
	}
	h.send(second())
	if got := h.histCursor(); got != 90 {
		t.Fatalf("cursor on %d, want 90", got)
	}
	h.wantJumpedTo(90)
	// A move of the table while a jump is in flight cancels the jump: its
	// page, arriving later, is dropped.
	m3, third := h.m.Update(keyMsg("["))
	h.m = m3.(Model)
	h.key("g")
	if h.m.hist.pin.on || h.histCursor() != 92 {
		t.Fatalf("g after a jump in flight: pinned %v on %d", h.m.hist.pin.on, h.histCursor())
	}
	h.send(third())
	if h.m.hist.pin.on || h.selectedID() != synthRow(0, histRows).ID {
		t.Fatalf("the cancelled jump landed: pinned %v, selected %s", h.m.hist.pin.on, h.selectedID())
	}
}

func TestHistClick(t *testing.T) {
	h := histHarness(t)
	l := h.m.lay
	for _, y := range []int{l.Hist.Y, l.Hist.Y + 1} {
		h.send(tea.MouseClickMsg{X: 40, Y: y, Button: tea.MouseLeft})
		if got := h.histCursor(); got != 40 || !h.m.hist.pin.on {
			t.Fatalf("click at line %d: cursor on %d (pinned %v), want 40", y, got, h.m.hist.pin.on)
		}
		h.wantJumpedTo(40)
		h.mustContain("14:07:20–14:07:46 · 26 events")
		h.key("g")
	}
	// Another button does nothing.
	h.send(tea.MouseClickMsg{X: 40, Y: l.Hist.Y, Button: tea.MouseRight})
	if h.m.hist.pin.on {
		t.Fatal("a right click moved the cursor")
	}
}

// z narrows the window to the cell under the cursor; esc zooms back out,
// through two nested zooms, to the row the analyst left.
func TestHistZoomAndBack(t *testing.T) {
	h := histHarness(t)
	h.key("[", "[", "[") // cell 89: [14:28:34, 14:29:00)
	h.key("j")           // the cursor follows the row (14:28:58, still cell 89)
	r0, _ := h.m.table.selected()
	if h.m.hist.pin.on || h.histCursor() != 89 {
		t.Fatalf("j: pinned %v on %d", h.m.hist.pin.on, h.histCursor())
	}
	h.key("z")
	from, to := time.Date(2026, 9, 15, 14, 28, 34, 0, time.UTC), time.Date(2026, 9, 15, 14, 29, 0, 0, time.UTC)
	if h.m.query.String() != "from:2026-09-15T14:28:34Z to:2026-09-15T14:29:00Z" {
		t.Fatalf("zoom: query %q", h.m.query.String())
	}
	if !h.m.hist.has || !h.m.hist.h.From.Equal(from) || !h.m.hist.h.To.Equal(to) {
		t.Fatalf("histogram not re-bucketed: %v–%v", h.m.hist.h.From, h.m.hist.h.To)
	}
	if h.selectedID() != r0.ID {
		t.Fatalf("zoom: selected %s, want the row the cursor was on %s", h.selectedID(), r0.ID)
	}
	h.mustContain("zoom 14:28:34–14:29:00", "26 events")
	for _, r := range h.m.table.rows {
		if r.CreatedAt.Before(from) || !r.CreatedAt.Before(to) {
			t.Fatalf("row at %v outside the zoom", r.CreatedAt)
		}
	}
	// Again: 26 s over 100 cells of 260 ms; the row is in cell 92.
	if got := h.histCursor(); got != 92 {
		t.Fatalf("cursor on %d after the zoom, want 92", got)
	}
	h.key("[", "[")
	c2 := h.m.hist.cells()[h.histCursor()]
	h.key("z")
	if w := h.m.query.Window; !w.From.Equal(c2.from.Truncate(time.Millisecond)) || w.To.Sub(w.From) > time.Second {
		t.Fatalf("second zoom %v–%v, cell %v–%v", w.From, w.To, c2.from, c2.to)
	}
	if len(h.m.stack) != 2 {
		t.Fatalf("stack %d, want 2", len(h.m.stack))
	}
	h.key("esc")
	if w := h.m.query.Window; !w.From.Equal(from) || !w.To.Equal(to) || len(h.m.stack) != 1 {
		t.Fatalf("esc: window %v–%v, want the first zoom", w.From, w.To)
	}
	if !h.m.hist.h.From.Equal(from) {
		t.Fatal("esc: the histogram keeps the inner zoom's buckets")
	}
	h.key("esc")
	if h.m.query.String() != histQuery || len(h.m.stack) != 0 || h.selectedID() != r0.ID {
		t.Fatalf("esc esc: query %q, selected %s, want %s at %s", h.m.query.String(), h.selectedID(), histQuery, r0.ID)
	}
	if got := h.histCursor(); got != 89 {
		t.Fatalf("zoomed out: cursor on %d, want 89", got)
	}
}

// The zoom is in the palette, and the three actions are rebindable.
func TestHistKeysRebindAndPalette(t *testing.T) {
	h := histHarness(t, withDeps(func(d *Deps) {
		d.KeyOverrides = map[string][]string{"hist_prev": {"<"}, "hist_next": {">"}, "zoom": {"+"}}
	}))
	if h.m.statusErr {
		t.Fatalf("rebind: %s", h.m.statusText)
	}
	h.key("[", "z")
	if h.m.hist.pin.on || len(h.m.stack) != 0 {
		t.Fatal("[ and z still act after rebinding")
	}
	h.key("<")
	if got := h.histCursor(); got != 91 {
		t.Fatalf("<: cursor on %d, want 91", got)
	}
	h.key(">", "<")
	if got := h.histCursor(); got != 91 {
		t.Fatalf("> <: cursor on %d, want 91", got)
	}
	h.key("?")
	h.mustContain("< older bucket", "> newer bucket", "+ zoom into bucket")
	h.key("esc", ":")
	h.typeText("zoom into")
	h.mustContain("zoom into bucket")
	h.key("enter")
	if len(h.m.stack) != 1 || h.m.query.String() != "from:2026-09-15T14:29:26Z to:2026-09-15T14:29:52Z" {
		t.Fatalf("palette zoom: query %q", h.m.query.String())
	}
}

func TestHistCells(t *testing.T) {
	from := time.Date(2026, 9, 15, 12, 0, 0, 0, time.UTC)
	hm := histModel{has: true, width: 3, loc: time.UTC,
		h: store.Histogram{From: from, To: from.Add(6 * time.Hour), Buckets: []int{1, 2, 3, 4, 5, 6}}}
	cells := hm.cells()
	if len(cells) != 3 || cells[0].n != 3 || cells[2].n != 11 || !cells[1].from.Equal(from.Add(2*time.Hour)) || !cells[2].to.Equal(from.Add(6*time.Hour)) {
		t.Fatalf("resampled cells: %+v", cells)
	}
	hm.width = 10
	if cells := hm.cells(); len(cells) != 6 || !cells[5].from.Equal(from.Add(5*time.Hour)) {
		t.Fatalf("fewer buckets than columns: %+v", cells)
	}
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{-time.Second, -1}, {0, 0}, {time.Hour - 1, 0}, {time.Hour, 1}, {6*time.Hour - 1, 5}, {6 * time.Hour, -1}} {
		if got := cellOf(hm.cells(), from.Add(c.at)); got != c.want {
			t.Fatalf("cellOf(+%v) = %d, want %d", c.at, got, c.want)
		}
	}
	if got := hm.cellLabel(hm.cells()[1]); got != "13:00–14:00 · 2 events" {
		t.Fatalf("label %q", got)
	}
	hm.h.To = from.Add(48 * time.Hour)
	if got := hm.rangeLabel(from, from.Add(90*time.Second)); got != "09-15 12:00:00–12:01:30" {
		t.Fatalf("label over a long window %q", got)
	}
	if got := hm.rangeLabel(from, from.Add(1500*time.Millisecond)); got != "09-15 12:00:00.000–12:00:01.500" {
		t.Fatalf("short label %q", got)
	}
}

// The jump's keyset read from a bare time, the position count and the
// zoom hold on the real cache too.
func TestHistWithRealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"), store.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acts := make([]feed.Activity, histRows)
	for i := range acts {
		acts[i] = synthRow(i, histRows).Activity
	}
	if _, err := st.Put(ctx, feed.Batch{Activities: acts, Covered: feed.Range{From: testNow.Add(-24 * time.Hour), To: testNow}}); err != nil {
		t.Fatal(err)
	}
	h := newHarnessSource(t, st, 100, 30, withQuery(histQuery))
	if got := h.histCursor(); got != 92 || h.m.total != 2401 {
		t.Fatalf("cursor on %d, total %d", got, h.m.total)
	}
	for range 11 {
		h.key("[")
	}
	h.wantJumpedTo(81)
	h.mustContain("14:25:06–14:25:32 · 26 events", "270/2,401")
	h.key("]")
	for range 11 {
		h.key("]")
	}
	h.wantJumpedToNewest(93)
	h.key("[", "[", "[", "[", "z")
	if h.m.query.String() != "from:2026-09-15T14:28:34Z to:2026-09-15T14:29:00Z" || h.m.total != 26 {
		t.Fatalf("zoom: %q, %d events", h.m.query.String(), h.m.total)
	}
	h.key("esc")
	if h.m.query.String() != histQuery || h.histCursor() != 89 {
		t.Fatalf("esc: %q, cursor on %d", h.m.query.String(), h.histCursor())
	}
}

// BenchmarkHistJumpStore is one [ on the real 1M-event cache at 160×48:
// "key" is the whole keystroke (the keyset read from the bucket's end,
// the count of the row's position and View, inline); "page" is the read
// alone, which is what the table waits for (the count runs beside it).
func BenchmarkHistJumpStore(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-event cache")
	}
	st := benchStore(b)
	for _, q := range []string{"", "type:@keys", "actor:alice.admin@example.com"} {
		h := newHarness(b, nil, 160, 48, withDeps(func(d *Deps) { d.Source = st }), withQuery(q))
		b.Run("key/query="+q, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if h.histCursor() <= 0 {
					b.StopTimer()
					h.key("g")
					b.StartTimer()
				}
				h.key("[")
				_ = h.m.View()
			}
			if h.m.table.position() < 0 {
				b.Fatal("no position after the jump")
			}
		})
		b.Run("page/query="+q, func(b *testing.B) {
			cells := h.m.hist.cells()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c := cells[len(cells)-1-i%len(cells)]
				if msg := histJumpCmd(h.m.readCtx, st, h.m.eff, h.m.queryNow, c.to, pageSize/2, pageSize, 1)().(pageMsg); msg.err != nil {
					b.Fatal(msg.err)
				}
			}
		})
	}
}
