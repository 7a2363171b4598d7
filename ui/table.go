package ui

import (
	"slices"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
)

// The table is virtual: it holds one keyset window of rows and asks the
// root for more as the cursor nears an edge, so memory and render cost stay
// the same at 1,000 or 10,000,000 cached events.
const (
	windowMax      = 300 // rows kept in memory
	pageSize       = 100 // rows per keyset fetch
	prefetchMargin = 60  // fetch more when the cursor gets this close to an edge
)

// timeLayout always shows the offset, in UTC as well as local time.
const timeLayout = "01-02 15:04:05 -07:00"

// tableRow is a row with the text its cells derive from the raw JSON,
// computed once when the row enters the window: a frame must not parse
// 300 activities (one may carry a 64 KiB user agent) again. While
// redacting, the text derives from the masked activity.
type tableRow struct {
	store.Row
	label, target, org, ip string
	hasKey                 bool     // mentions a key: K has a dossier to open
	match                  bool     // holds the find term (find.go)
	trips                  []string // single-event tripwires that fire
}

// burstWindow and burstThreshold define a failed sign-in burst among the
// rows in the window (feed.FailedSignInBursts).
const (
	burstWindow    = 10 * time.Minute
	burstThreshold = 5
)

// makeRows derives the cells of rows.
func (t tableModel) makeRows(rows []store.Row) []tableRow {
	out := make([]tableRow, len(rows))
	for i, r := range rows {
		out[i] = tableRow{Row: r, hasKey: len(r.KeyMentions()) > 0, trips: feed.Trip(r.Activity, t.workLoc)}
		out[i].derive(t.red, t.names)
		out[i].match = t.matches(r)
	}
	return out
}

// derive computes the display text, masked by red when non-nil, with the
// directory's names in place of the ids it knows (names nil: ids).
func (r *tableRow) derive(red *feed.Redactor, names *store.Names) {
	a := red.Activity(r.Activity)
	r.label, r.target, r.org, r.ip = a.Actor.Label(), printer.Target(a), orgOf(a), a.Actor.IPAddress
	if names != nil {
		r.deriveNames(red, names)
	}
}

// tableModel is the virtual table component.
type tableModel struct {
	rows     []tableRow
	cursor   int // index into rows
	offset   int // first visible row
	atNewest bool
	atOldest bool
	loaded   bool // the first page of the current query arrived
	// base is the absolute position of rows[0] in the result, -1 if unknown
	// (after jumping to the oldest end of a capped result).
	base int
	// Outstanding requests; a result is applied only if its seq matches.
	olderSeq, newerSeq, reloadSeq uint64

	width, height int // height includes the header row
	focused       bool
	cols          []column
	// order is the analyst's choice of columns, flags first (nil: all,
	// in the default order).
	order   []colKind
	loc     *time.Location // display
	workLoc *time.Location // working hours of the tripwires: always local
	red     *feed.Redactor // non-nil while redacting
	names   *store.Names   // non-nil while names stand in for ids (I)
	find    string         // the find term, "" for none (find.go)
	// bursts are the failed sign-ins in a burst among the window's rows.
	bursts map[string]bool
	// indexingAfter dims rows created after it (live: the newest minute).
	indexingAfter time.Time
	emptyText     string
	styles        *Styles
	paint         tablePainters
}

// tablePainters are the table's styles as painters, rebuilt with the
// styles.
type tablePainters struct {
	cell, selected, selectedBlurred, self, late, mark, trip, indexing, time painter
	match, matchText                                                        painter
	groups                                                                  map[string]painter
}

func newTablePainters(st *Styles) tablePainters {
	t := st.Table
	p := tablePainters{
		cell: newPainter(t.Cell), selected: newPainter(t.Selected), selectedBlurred: newPainter(t.SelectedBlurred),
		self: newPainter(t.Self), late: newPainter(t.Late), mark: newPainter(t.Mark), trip: newPainter(t.Trip),
		indexing: newPainter(t.Indexing), time: newPainter(t.Time),
		match: newPainter(t.Match), matchText: newPainter(t.MatchText),
		groups: map[string]painter{},
	}
	for _, g := range feed.Catalogue().Presets() {
		p.groups[g.Name] = newPainter(st.TypeStyle(g.Name))
	}
	return p
}

// group returns the painter of a catalogue group.
func (p tablePainters) group(st *Styles, g string) painter {
	if pt, ok := p.groups[g]; ok {
		return pt
	}
	return newPainter(st.TypeStyle(g))
}

// setStyles switches the table to new styles.
func (t *tableModel) setStyles(st *Styles) {
	t.styles = st
	t.paint = newTablePainters(st)
}

func newTable(st *Styles, loc, workLoc *time.Location) tableModel {
	t := tableModel{loc: loc, workLoc: workLoc}
	t.setStyles(st)
	return t
}

// setLocation switches the displayed times.
func (t *tableModel) setLocation(loc *time.Location) { t.loc = loc }

// setRedactor switches redaction (nil: off) and re-derives the rows.
func (t *tableModel) setRedactor(red *feed.Redactor) {
	t.red = red
	for i := range t.rows {
		t.rows[i].derive(red, t.names)
	}
}

// windowChanged recomputes what depends on the whole window.
func (t *tableModel) windowChanged() {
	// Only failed events can be failed sign-ins; the rest need no copy.
	var acts []feed.Activity
	for _, r := range t.rows {
		if strings.HasSuffix(r.Type, "_failed") {
			acts = append(acts, r.Activity)
		}
	}
	t.bursts = feed.FailedSignInBursts(acts, burstWindow, burstThreshold)
}

// tripsOf lists the tripwires of a row, the burst included.
func (t tableModel) tripsOf(r tableRow) []string {
	if !t.bursts[r.ID] {
		return r.trips
	}
	return append(append([]string(nil), r.trips...), feed.TripFailedSignInBurst)
}

// SetSize sets the outer size; the header takes one line.
func (t *tableModel) SetSize(w, h int) {
	t.width, t.height = max(0, w), max(0, h)
	t.cols = layoutColumns(t.width, t.order)
	t.ensureVisible()
}

func (t tableModel) bodyHeight() int { return max(0, t.height-1) }

// selected returns the row under the cursor.
func (t tableModel) selected() (store.Row, bool) {
	r, ok := t.selectedRow()
	return r.Row, ok
}

// selectedRow returns the row under the cursor with its derived cells.
func (t tableModel) selectedRow() (tableRow, bool) {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return tableRow{}, false
	}
	return t.rows[t.cursor], true
}

// selectedHasKey reports whether the selected row mentions a key.
func (t tableModel) selectedHasKey() bool {
	return t.cursor >= 0 && t.cursor < len(t.rows) && t.rows[t.cursor].hasKey
}

// reset forgets the window (new query).
func (t *tableModel) reset() {
	t.rows, t.cursor, t.offset = nil, 0, 0
	t.atNewest, t.atOldest, t.loaded = false, false, false
	t.base = 0
	t.olderSeq, t.newerSeq, t.reloadSeq = 0, 0, 0
	t.bursts = nil
}

// move moves the cursor by delta rows within the loaded window.
func (t *tableModel) move(delta int) {
	if len(t.rows) == 0 {
		return
	}
	t.cursor = min(max(0, t.cursor+delta), len(t.rows)-1)
	t.ensureVisible()
}

func (t *tableModel) ensureVisible() {
	body := t.bodyHeight()
	if body == 0 {
		return
	}
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+body {
		t.offset = t.cursor - body + 1
	}
	t.offset = max(0, min(t.offset, max(0, len(t.rows)-body)))
}

// wants reports which edges need fetching, given what is in flight.
func (t tableModel) wants() (older, newer bool) {
	if !t.loaded || t.reloadSeq != 0 || len(t.rows) == 0 {
		return false, false
	}
	older = !t.atOldest && t.olderSeq == 0 && t.cursor >= len(t.rows)-prefetchMargin
	newer = !t.atNewest && t.newerSeq == 0 && t.cursor < prefetchMargin
	return older, newer
}

// setWindow replaces the window (reload, jump, refresh around an anchor).
func (t *tableModel) setWindow(rows []store.Row, cursor int, atNewest, atOldest bool, base int) {
	screenRow := t.cursor - t.offset
	t.rows = t.makeRows(rows)
	t.atNewest, t.atOldest, t.loaded = atNewest, atOldest, true
	t.base = base
	t.olderSeq, t.newerSeq, t.reloadSeq = 0, 0, 0
	t.cursor = min(max(0, cursor), max(0, len(rows)-1))
	// Keep the selected row where it was on screen when possible.
	t.offset = max(0, t.cursor-max(0, screenRow))
	t.ensureVisible()
	t.windowChanged()
}

// remove drops a row from the window (it no longer matches the query);
// the cursor stays on the row that takes its place.
func (t *tableModel) remove(id string) {
	i := slices.IndexFunc(t.rows, func(r tableRow) bool { return r.ID == id })
	if i < 0 {
		return
	}
	t.rows = slices.Delete(t.rows, i, i+1)
	if t.cursor > i || t.cursor >= len(t.rows) {
		t.cursor = max(0, t.cursor-1)
	}
	t.ensureVisible()
	t.windowChanged()
}

// appendOlder adds a page below the window and trims the top when the
// window grows past windowMax.
func (t *tableModel) appendOlder(rows []store.Row, asked int) {
	t.olderSeq = 0
	t.rows = append(t.rows, t.makeRows(rows)...)
	if len(rows) < asked {
		t.atOldest = true
	}
	if drop := len(t.rows) - windowMax; drop > 0 {
		t.rows = append([]tableRow(nil), t.rows[drop:]...)
		t.cursor -= drop
		t.offset = max(0, t.offset-drop)
		t.atNewest = false
		t.newerSeq = 0 // an in-flight newer page no longer joins the window
		if t.base >= 0 {
			t.base += drop
		}
	}
	t.ensureVisible()
	t.windowChanged()
}

// prependNewer adds a page above the window (rows newest first) and trims
// the bottom when the window grows past windowMax.
func (t *tableModel) prependNewer(rows []store.Row, asked int) {
	t.newerSeq = 0
	if len(rows) < asked {
		t.atNewest = true
	}
	merged := make([]tableRow, 0, len(rows)+len(t.rows))
	merged = append(append(merged, t.makeRows(rows)...), t.rows...)
	t.rows = merged
	t.cursor += len(rows)
	t.offset += len(rows)
	if t.base >= 0 {
		t.base = max(0, t.base-len(rows))
	}
	if drop := len(t.rows) - windowMax; drop > 0 {
		t.rows = t.rows[:len(t.rows)-drop]
		t.atOldest = false
		t.olderSeq = 0
	}
	t.ensureVisible()
	t.windowChanged()
}

// position is the absolute index of the cursor, -1 if unknown.
func (t tableModel) position() int {
	if t.base < 0 || len(t.rows) == 0 {
		return -1
	}
	return t.base + t.cursor
}

// rowAt maps a screen line inside the table to a row index.
func (t tableModel) rowAt(line int) (int, bool) {
	i := t.offset + line - 1 // line 0 is the header
	if line < 1 || i < 0 || i >= len(t.rows) {
		return 0, false
	}
	return i, true
}

// View renders the header and the visible rows, exactly height lines.
func (t tableModel) View() string {
	if t.width == 0 || t.height == 0 {
		return ""
	}
	lines := make([]string, 0, t.height)
	lines = append(lines, t.headerLine())
	body := t.bodyHeight()
	switch {
	case !t.loaded:
		lines = append(lines, t.styles.Table.Dim.Render(fit("loading…", t.width)))
	case len(t.rows) == 0:
		for _, l := range strings.Split(t.emptyText, "\n") { // one line each: the result, then any near misses
			lines = append(lines, t.styles.Table.Dim.Render(fit(l, t.width)))
		}
	default:
		end := min(len(t.rows), t.offset+body)
		for i := t.offset; i < end; i++ {
			lines = append(lines, t.renderRow(t.rows[i], i == t.cursor))
		}
	}
	for len(lines) < t.height {
		lines = append(lines, strings.Repeat(" ", t.width))
	}
	return strings.Join(lines[:t.height], "\n")
}

func (t tableModel) headerLine() string {
	var b strings.Builder
	for i, c := range t.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		title := c.title
		if c.kind == colTime {
			if t.loc == time.UTC {
				title = "TIME (UTC)"
			} else {
				title = "TIME (local)"
			}
		}
		b.WriteString(fit(title, c.width))
	}
	return t.styles.Table.Header.Render(fit(b.String(), t.width))
}

// cells returns the sanitised text of every column of a row. This is the
// table's one place where event text passes through safe.Text.
func (t tableModel) cells(r tableRow) []string {
	out := make([]string, len(t.cols))
	for i, c := range t.cols {
		var s string
		switch c.kind {
		case colFlags:
			s = t.flagString(r)
		case colTime:
			s = r.CreatedAt.In(t.loc).Format(timeLayout)
		case colType:
			s = safeCell(r.Type, c.width)
		case colActor:
			s = safeCell(r.label, c.width)
		case colTarget:
			s = safeCell(r.target, c.width)
		case colOrg:
			s = safeCell(r.org, c.width)
		case colIP:
			s = safeCell(r.ip, c.width)
		}
		out[i] = fit(s, c.width)
	}
	return out
}

func (t tableModel) renderRow(r tableRow, selected bool) string {
	cells := t.cells(r)
	if selected {
		p := t.paint.selected
		if !t.focused {
			p = t.paint.selectedBlurred
		}
		return p.paint(fit(strings.Join(cells, " "), t.width))
	}
	var b strings.Builder
	used := 0
	indexing := !t.indexingAfter.IsZero() && r.CreatedAt.After(t.indexingAfter)
	for i, c := range t.cols {
		if i > 0 {
			b.WriteByte(' ')
			used++
		}
		p := t.paint.cell
		switch {
		case c.kind == colFlags:
			b.WriteString(t.paintFlags(cells[i]))
			used += c.width
			continue
		case r.match && c.kind == colTime:
			p = t.paint.match
		case r.Self:
			p = t.paint.self
		case indexing:
			p = t.paint.indexing
		case c.kind == colTime:
			p = t.paint.time
		case c.kind == colType:
			p = t.paint.group(t.styles, r.Group)
		}
		if r.match {
			b.WriteString(t.paintMatch(cells[i], p))
		} else {
			b.WriteString(p.paint(cells[i]))
		}
		used += c.width
	}
	if used < t.width {
		b.WriteString(strings.Repeat(" ", t.width-used))
	}
	return b.String()
}

// flagString is the four-cell marker column: marked, tripwire, self,
// late.
func (t tableModel) flagString(r tableRow) string {
	b := []rune("    ")
	if r.Marked {
		b[0] = '★'
	}
	if len(r.trips) > 0 || t.bursts[r.ID] {
		b[1] = '!'
	}
	if r.Self {
		b[2] = 'S'
	}
	if r.Late {
		b[3] = 'L'
	}
	return string(b)
}

// paintFlags colours each flag of an unselected row on its own.
func (t tableModel) paintFlags(cell string) string {
	var b strings.Builder
	for _, c := range cell {
		switch c {
		case '★':
			b.WriteString(t.paint.mark.paint("★"))
		case '!':
			b.WriteString(t.paint.trip.paint("!"))
		case 'S':
			b.WriteString(t.paint.self.paint("S"))
		case 'L':
			b.WriteString(t.paint.late.paint("L"))
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func orgOf(a feed.Activity) string {
	if a.OrganizationID != "" {
		return a.OrganizationID
	}
	return a.OrganizationUUID
}

// safeCell sanitises untrusted text for a cell w wide. Only a prefix is
// sanitised: a cell never shows more than w runes, and a 64 KiB user agent
// must not cost 64 KiB of work per frame.
func safeCell(s string, w int) string {
	if len(s) <= 4*w+16 {
		return safe.Text(s)
	}
	n := 0
	for i := range s {
		if n == w+1 {
			out := safe.Text(s[:i])
			if ansi.StringWidth(out) <= w {
				out += "…" // zero-width runes: still say it was cut
			}
			return out
		}
		n++
	}
	return safe.Text(s)
}

// fit truncates s to exactly w cells (with an ellipsis) or pads it with
// spaces. s must already be safe to print.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if isPrintableASCII(s) {
		// The common case: one cell per byte, nothing to measure.
		switch {
		case len(s) > w:
			return s[:w-1] + "…"
		case len(s) < w:
			return s + strings.Repeat(" ", w-len(s))
		}
		return s
	}
	sw := ansi.StringWidth(s)
	switch {
	case sw > w:
		s = ansi.Truncate(s, w, "…")
		if pad := w - ansi.StringWidth(s); pad > 0 {
			s += strings.Repeat(" ", pad)
		}
		return s
	case sw < w:
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
