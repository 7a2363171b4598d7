package printer

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"claudit/store"
	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
)

// Table columns, in display order.
const (
	tcTime = iota
	tcType
	tcActor
	tcTarget
	tcIP
	tcSummary
	tcCount
)

// tableCol describes a table column: its title, the widest it grows to, the
// narrowest it shrinks to before it is dropped, and the order in which it
// gives up width when the terminal is narrow (lower gives first).
type tableCol struct {
	title          string
	maxW, minW     int
	shrink, dropAt int // dropAt: drop order (0 = never dropped)
}

func tableCols() [tcCount]tableCol {
	return [tcCount]tableCol{
		tcTime:    {title: "TIME", maxW: len(PrintTimeLayout), minW: len(PrintTimeLayout)},
		tcType:    {title: "TYPE", maxW: 48, minW: 16, shrink: 4},
		tcActor:   {title: "ACTOR", maxW: 40, minW: 12, shrink: 3},
		tcTarget:  {title: "TARGET", maxW: 40, minW: 12, shrink: 2, dropAt: 3},
		tcIP:      {title: "IP", maxW: 39, minW: 7, shrink: 5, dropAt: 2},
		tcSummary: {title: "SUMMARY", maxW: 80, minW: 20, shrink: 1, dropAt: 1},
	}
}

// tableSep separates columns.
const tableSep = "  "

// tableBlock is how many rows fix the column widths: the table streams, so
// widths come from the first rows and later cells are cut to fit.
const tableBlock = 500

// tableWriter prints an aligned, width-aware table of sanitised cells.
type tableWriter struct {
	w       io.Writer
	opt     PrintOptions
	pending [][tcCount]string
	groups  []string
	widths  [tcCount]int // 0 = column dropped; set once the first block is laid out
	laidOut bool
	paint   struct{ header, time Painter }
}

func newTableWriter(w io.Writer, opt PrintOptions) *tableWriter {
	t := &tableWriter{w: w, opt: opt}
	if th := opt.Theme; th != nil {
		t.paint.header = NewPainter(th.Header)
		t.paint.time = NewPainter(th.Time)
	}
	return t
}

// cellInputMax bounds the untrusted text a cell measures: no column shows
// more (see lastColumnMax), and an event can carry 64 KiB in one field.
const cellInputMax = 4096

// lastColumnMax caps the unpadded last column off a terminal.
const lastColumnMax = 1000

// tableCells derives the sanitised cells of one row; with names, an
// actor or target the directory knows reads "Name <label>".
func tableCells(r store.Row, loc *time.Location, names func(string) string) [tcCount]string {
	cell := func(s string) string { return safe.Text(clipBytes(s, cellInputMax)) }
	named := func(id, label string) string {
		if names != nil && id != "" {
			if n := names(id); n != "" {
				return n + " <" + label + ">"
			}
		}
		return label
	}
	target := r.Activity.PrimaryTarget()
	return [tcCount]string{
		tcTime:    r.CreatedAt.In(loc).Format(PrintTimeLayout),
		tcType:    cell(r.Type),
		tcActor:   cell(named(r.Actor.ID(), r.Actor.Label())),
		tcTarget:  cell(named(target, target)),
		tcIP:      cell(r.Actor.IPAddress),
		tcSummary: cell(r.Summary()),
	}
}

// clipBytes cuts s to at most n bytes at a rune boundary, marking a cut
// with "…".
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func (t *tableWriter) WriteRows(rows []store.Row) error {
	for _, r := range rows {
		cells := tableCells(r, t.opt.loc(), t.opt.Names)
		if t.opt.MarkLate && r.Late {
			cells[tcSummary] = "late · " + cells[tcSummary]
		}
		t.pending = append(t.pending, cells)
		t.groups = append(t.groups, r.Group)
	}
	if !t.laidOut && len(t.pending) < tableBlock {
		return nil
	}
	return t.flush()
}

func (t *tableWriter) Close() error { return t.flush() }

// flush lays out the columns on the first call and prints what is pending.
func (t *tableWriter) flush() error {
	var buf bytes.Buffer
	if !t.laidOut {
		t.laidOut = true
		t.widths = layoutTable(t.pending, t.opt.Width)
		var header [tcCount]string
		for i, c := range tableCols() {
			header[i] = c.title
		}
		t.writeLine(&buf, header, "", true)
	}
	for i, cells := range t.pending {
		t.writeLine(&buf, cells, t.groups[i], false)
	}
	t.pending, t.groups = t.pending[:0], t.groups[:0]
	_, err := t.w.Write(buf.Bytes())
	return err
}

// writeLine prints one row: each kept column cut or padded to its width,
// the last one not padded (no trailing blanks).
func (t *tableWriter) writeLine(buf *bytes.Buffer, cells [tcCount]string, group string, header bool) {
	last := -1
	for i := range cells {
		if t.widths[i] > 0 {
			last = i
		}
	}
	first := true
	for i, s := range cells {
		w := t.widths[i]
		if w == 0 {
			continue
		}
		if !first {
			buf.WriteString(tableSep)
		}
		first = false
		s = truncateCell(s, w)
		pad := 0
		if i != last {
			pad = w - ansi.StringWidth(s)
		}
		if th := t.opt.Theme; th != nil {
			switch {
			case header:
				s = t.paint.header.Paint(s)
			case i == tcTime:
				s = t.paint.time.Paint(s)
			case i == tcType && th.Type != nil:
				s = NewPainter(th.Type(group)).Paint(s)
			}
		}
		buf.WriteString(s)
		buf.WriteString(strings.Repeat(" ", max(0, pad)))
	}
	buf.WriteByte('\n')
}

// layoutTable chooses the column widths for rows in a terminal of width
// cells (0 = unlimited): each column's natural width up to its cap; while
// too wide, the summary gives way first, then the other flexible columns
// shrink together (the widest gives a cell at a time) toward their
// minimum, and when even that does not fit the least important column is
// dropped and the rest laid out again.
func layoutTable(rows [][tcCount]string, width int) [tcCount]int {
	cols := tableCols()
	var natural [tcCount]int
	for i, c := range cols {
		natural[i] = ansi.StringWidth(c.title)
	}
	for _, r := range rows {
		for i, s := range r {
			natural[i] = max(natural[i], ansi.StringWidth(s))
		}
	}
	if width <= 0 {
		// Off a terminal nothing wraps: cap the padded columns so one long
		// cell does not push every row right, but keep the last column
		// (never padded) whole.
		for i, c := range cols[:tcCount-1] {
			natural[i] = min(natural[i], c.maxW)
		}
		natural[tcCount-1] = min(natural[tcCount-1], lastColumnMax)
		return natural
	}
	for i, c := range cols {
		natural[i] = min(natural[i], c.maxW)
	}
	var byDrop []int
	for i, c := range cols {
		if c.dropAt > 0 {
			byDrop = append(byDrop, i)
		}
	}
	slices.SortFunc(byDrop, func(a, b int) int { return cols[a].dropAt - cols[b].dropAt })
	dropped := 0
	for {
		w := natural
		for _, i := range byDrop[:dropped] {
			w[i] = 0
		}
		over := tableWidth(w) - width
		if s := w[tcSummary]; over > 0 && s > 0 {
			cut := min(over, s-cols[tcSummary].minW)
			w[tcSummary] -= cut
			over -= cut
		}
		for over > 0 {
			widest := -1
			for i, c := range cols {
				if i != tcSummary && c.shrink > 0 && w[i] > c.minW && (widest < 0 || w[i] > w[widest]) {
					widest = i
				}
			}
			if widest < 0 {
				break
			}
			w[widest]--
			over--
		}
		if over <= 0 || dropped == len(byDrop) {
			// Either it fits, or TIME, TYPE and ACTOR are at their
			// minimum and the terminal wraps.
			return w
		}
		dropped++
	}
}

// tableWidth is the width of a line with column widths w (0 = dropped).
func tableWidth(w [tcCount]int) int {
	n, kept := 0, 0
	for _, x := range w {
		if x > 0 {
			n += x
			kept++
		}
	}
	return n + max(0, kept-1)*len(tableSep)
}

// truncateCell cuts safe text to at most w cells, marking the cut with "…".
func truncateCell(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}
