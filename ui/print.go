package ui

// This file holds the CLI's renderers: the headless commands print through
// them, never through the TUI. Every string that came from an event passes
// safe.Text exactly once, here, before it is measured or written; the raw
// formats (json, ndjson) print the server's bytes and stay exact, except
// while redacting: PrintOptions.Redactor masks every row and dossier here,
// before any format sees it, so redacted JSON is valid but not byte-exact.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Output formats of `claudit query`.
const (
	FormatTable  = "table"
	FormatJSON   = "json"
	FormatNDJSON = "ndjson"
	FormatCSV    = "csv"
)

// RowFormats lists the formats NewRowWriter accepts, for flag help and
// completion.
func RowFormats() []string { return []string{FormatTable, FormatJSON, FormatNDJSON, FormatCSV} }

// PrintTimeLayout is how the table and the dossier show a time: to the
// second, always with its offset, so local and UTC times cannot be confused.
const PrintTimeLayout = "2006-01-02 15:04:05 -07:00"

// PrintOptions says how human-readable output is laid out.
type PrintOptions struct {
	// Width is the terminal width in cells; 0 means unknown (not a
	// terminal): columns then keep their natural widths up to a cap.
	Width int
	// Color enables ANSI colour. The caller decides: on only for a
	// terminal, never with NO_COLOR or --no-color.
	Color bool
	// Loc is the time zone times are shown in (nil = UTC).
	Loc *time.Location
	// Redactor, when non-nil, masks e-mails, ips, user agents and ids in
	// every row and dossier printed (--redact).
	Redactor *feed.Redactor
}

func (o PrintOptions) loc() *time.Location {
	if o.Loc == nil {
		return time.UTC
	}
	return o.Loc
}

// RowWriter streams query results in one output format. Rows arrive newest
// first in batches; Close writes whatever the format needs at the end.
type RowWriter interface {
	WriteRows(rows []store.Row) error
	Close() error
}

// NewRowWriter returns the writer for format (one of RowFormats).
func NewRowWriter(format string, w io.Writer, opt PrintOptions) (RowWriter, error) {
	rw, err := newFormatWriter(format, w, opt)
	if err != nil || opt.Redactor == nil {
		return rw, err
	}
	return &redactingWriter{next: rw, red: opt.Redactor}, nil
}

// redactingWriter masks each row as the redacted explorer shows it (the
// typed fields, the raw JSON and the note) before its format writes it.
type redactingWriter struct {
	next RowWriter
	red  *feed.Redactor
}

func (r *redactingWriter) WriteRows(rows []store.Row) error {
	masked := make([]store.Row, len(rows))
	for i, row := range rows {
		masked[i] = RedactRow(row, r.red)
	}
	return r.next.WriteRows(masked)
}

func (r *redactingWriter) Close() error { return r.next.Close() }

// RedactRow returns row with its activity and note masked by red (nil:
// unchanged).
func RedactRow(row store.Row, red *feed.Redactor) store.Row {
	if red == nil {
		return row
	}
	row.Activity = red.Activity(row.Activity)
	row.Note = red.String(row.Note)
	return row
}

// RedactDossier returns d with everything personal masked by red (nil:
// unchanged): the key id and name, each lifecycle event and its changes,
// and the ips and user agents the key acted from.
func RedactDossier(d store.Dossier, red *feed.Redactor) store.Dossier {
	if red == nil {
		return d
	}
	d.KeyID = red.Field("api_key_id", d.KeyID)
	d.Name = red.String(d.Name)
	life := make([]store.LifecycleEvent, len(d.Lifecycle))
	for i, ev := range d.Lifecycle {
		ev.Row = RedactRow(ev.Row, red)
		change := make([]feed.Update, len(ev.Change))
		for j, u := range ev.Change {
			if len(u.Previous) > 0 {
				u.Previous = red.JSON(u.Previous)
			}
			if len(u.Current) > 0 {
				u.Current = red.JSON(u.Current)
			}
			change[j] = u
		}
		ev.Change = change
		life[i] = ev
	}
	d.Lifecycle = life
	mask := func(fs []store.FacetCount, member string) []store.FacetCount {
		out := make([]store.FacetCount, len(fs))
		for i, f := range fs {
			out[i] = store.FacetCount{Value: red.Field(member, f.Value), Count: f.Count}
		}
		return out
	}
	d.IPs = mask(d.IPs, "ip_address")
	d.UserAgents = mask(d.UserAgents, "user_agent")
	return d
}

// newFormatWriter returns the writer of one format, unredacted.
func newFormatWriter(format string, w io.Writer, opt PrintOptions) (RowWriter, error) {
	switch format {
	case FormatTable:
		return newTableWriter(w, opt), nil
	case FormatJSON:
		return &jsonArrayWriter{w: w}, nil
	case FormatNDJSON:
		return &ndjsonWriter{w: w}, nil
	case FormatCSV:
		return newCSVWriter(w, opt), nil
	}
	return nil, fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(RowFormats(), ", "))
}

// RawLine returns an activity's raw JSON as one line: the bytes exactly as
// received, unless the server sent it pretty-printed, in which case only the
// insignificant whitespace is removed (JSON strings cannot hold a raw
// newline, so nothing inside a value changes).
func RawLine(raw json.RawMessage) ([]byte, error) {
	if !bytes.ContainsAny(raw, "\r\n") {
		return raw, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("compact raw activity: %w", err)
	}
	return b.Bytes(), nil
}

// ndjsonWriter prints one raw activity per line.
type ndjsonWriter struct{ w io.Writer }

func (n *ndjsonWriter) WriteRows(rows []store.Row) error {
	var buf bytes.Buffer
	for _, r := range rows {
		line, err := RawLine(r.Raw)
		if err != nil {
			return fmt.Errorf("activity %s: %w", safe.Text(r.ID), err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	_, err := n.w.Write(buf.Bytes())
	return err
}

func (n *ndjsonWriter) Close() error { return nil }

// jsonArrayWriter prints a JSON array of the raw activities, one element
// per line, streaming (a million rows never sit in memory).
type jsonArrayWriter struct {
	w       io.Writer
	started bool
}

func (j *jsonArrayWriter) WriteRows(rows []store.Row) error {
	var buf bytes.Buffer
	for _, r := range rows {
		line, err := RawLine(r.Raw)
		if err != nil {
			return fmt.Errorf("activity %s: %w", safe.Text(r.ID), err)
		}
		if j.started {
			buf.WriteString(",\n")
		} else {
			buf.WriteString("[\n")
			j.started = true
		}
		buf.Write(line)
	}
	_, err := j.w.Write(buf.Bytes())
	return err
}

func (j *jsonArrayWriter) Close() error {
	end := "\n]\n"
	if !j.started {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

// csvColumns is the CSV header; the cells are derived from each activity.
func csvColumns() []string {
	return []string{"id", "created_at", "type", "actor_type", "actor", "actor_id", "ip", "user_agent",
		"organization_id", "target", "summary"}
}

// csvWriter prints RFC 4180 CSV with a header. Cells are sanitised like the
// table (a CSV is read in terminals and spreadsheets alike), and a cell
// that a spreadsheet would run as a formula is prefixed with an apostrophe.
type csvWriter struct {
	cw     *csv.Writer
	loc    *time.Location
	header bool
}

func newCSVWriter(w io.Writer, opt PrintOptions) *csvWriter {
	return &csvWriter{cw: csv.NewWriter(w), loc: opt.loc()}
}

func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.cw.Write(csvColumns())
}

func (c *csvWriter) WriteRows(rows []store.Row) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{
			r.ID,
			r.CreatedAt.In(c.loc).Format(time.RFC3339Nano),
			r.Type,
			r.Actor.Type,
			r.Actor.Label(),
			r.Actor.ID(),
			r.Actor.IPAddress,
			r.Actor.UserAgent,
			r.OrganizationID,
			PrimaryTarget(r.Activity),
			r.Summary(),
		}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		if err := c.cw.Write(rec); err != nil {
			return err
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvWriter) Close() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}

// csvCell sanitises an untrusted cell and defuses spreadsheet formulas
// (OWASP "CSV injection"): a leading = + - @ would be evaluated.
func csvCell(s string) string {
	s = safe.Text(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// PrimaryTarget is what an activity acted on, for one table cell: the first
// key it names as a target, else its first target id, else "".
func PrimaryTarget(a feed.Activity) string {
	for _, m := range a.KeyMentions() {
		if !m.AsActor {
			return m.ID
		}
	}
	if t := a.Targets(); len(t) > 0 {
		return t[0]
	}
	return ""
}

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
	styles  Styles
	paint   struct{ header, time painter }
}

func newTableWriter(w io.Writer, opt PrintOptions) *tableWriter {
	t := &tableWriter{w: w, opt: opt}
	if opt.Color {
		t.styles = NewStyles(true)
		t.paint.header = newPainter(t.styles.Table.Header)
		t.paint.time = newPainter(t.styles.Table.Time)
	}
	return t
}

// cellInputMax bounds the untrusted text a cell measures: no column shows
// more (see lastColumnMax), and an event can carry 64 KiB in one field.
const cellInputMax = 4096

// lastColumnMax caps the unpadded last column off a terminal.
const lastColumnMax = 1000

// tableCells derives the sanitised cells of one row.
func tableCells(r store.Row, loc *time.Location) [tcCount]string {
	cell := func(s string) string { return safe.Text(clipBytes(s, cellInputMax)) }
	return [tcCount]string{
		tcTime:    r.CreatedAt.In(loc).Format(PrintTimeLayout),
		tcType:    cell(r.Type),
		tcActor:   cell(r.Actor.Label()),
		tcTarget:  cell(PrimaryTarget(r.Activity)),
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
		t.pending = append(t.pending, tableCells(r, t.opt.loc()))
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
		if t.opt.Color {
			switch {
			case header:
				s = t.paint.header.paint(s)
			case i == tcTime:
				s = t.paint.time.paint(s)
			case i == tcType:
				s = newPainter(t.styles.TypeStyle(group)).paint(s)
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

// WriteDossier prints a key dossier for people: what the key is, its
// lifecycle (who created, renamed, switched, revoked and deleted it, with
// time, ip and user agent, each change as before → after) and what it did.
func WriteDossier(w io.Writer, d store.Dossier, opt PrintOptions) error {
	d = RedactDossier(d, opt.Redactor)
	var st Styles
	if opt.Color {
		st = NewStyles(true)
	}
	p := func(s lipgloss.Style) painter {
		if !opt.Color {
			return painter{}
		}
		return newPainter(s)
	}
	heading, dim, label, change := p(st.Table.Header), p(st.Table.Dim), p(st.Detail.Label), p(st.Detail.Change)
	loc := opt.loc()
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format(PrintTimeLayout)
	}
	cut := func(s string, indent int) string {
		if opt.Width <= 0 {
			return s
		}
		return truncateCell(s, max(8, opt.Width-indent))
	}
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }

	kind := d.KeyKind
	if kind == "" {
		kind = "unknown kind"
	}
	head := "KEY " + safe.Text(d.KeyID) + "  (" + safe.Text(kind) + ")"
	if d.Name != "" {
		head += "  name " + safe.Text(strconv.Quote(d.Name))
	}
	line(heading.paint(head))
	line(fmt.Sprintf("%s %d %s", label.paint("mentioned by"), d.Mentions, label.paint("cached events")))
	if d.Mentions == 0 {
		line(dim.paint("The cache holds no event that mentions this key: check the id, or sync a longer window (since:90d)."))
		_, err := w.Write(b.Bytes())
		return err
	}

	line("")
	line(heading.paint("LIFECYCLE"))
	if len(d.Lifecycle) == 0 {
		line(dim.paint("  no lifecycle events in the cache"))
	}
	type lc struct{ time, action, by, ip, ua, typ string }
	var evs []lc
	aw, bw, iw := 0, 0, 0
	for _, ev := range d.Lifecycle {
		r := ev.Row
		e := lc{
			time:   ts(r.CreatedAt),
			action: safe.Text(clipBytes(ev.Action, cellInputMax)),
			by:     safe.Text(clipBytes(r.Actor.Label(), cellInputMax)),
			ip:     safe.Text(clipBytes(r.Actor.IPAddress, cellInputMax)),
			ua:     safe.Text(clipBytes(r.Actor.UserAgent, cellInputMax)),
			typ:    safe.Text(clipBytes(r.Type, cellInputMax)),
		}
		if e.ip == "" {
			e.ip = "-"
		}
		e.by = truncateCell(e.by, 40)
		aw, bw, iw = max(aw, ansi.StringWidth(e.action)), max(bw, ansi.StringWidth(e.by)), max(iw, ansi.StringWidth(e.ip))
		evs = append(evs, e)
	}
	for i, e := range evs {
		s := "  " + e.time + "  " + padCell(e.action, aw) + "  by " + padCell(e.by, bw) + "  from " + padCell(e.ip, iw) + "  " + e.typ
		line(cut(s, 0))
		if e.ua != "" {
			line(dim.paint(cut("      user agent: "+e.ua, 0)))
		}
		for _, u := range d.Lifecycle[i].Change {
			line("      " + change.paint(cut(safe.Text(u.String()), 6)))
		}
	}

	line("")
	line(heading.paint("WHAT IT DID"))
	if d.ActedCount == 0 {
		line(dim.paint("  the key never acted in the cached events"))
	} else {
		line(fmt.Sprintf("  %s %d  %s %s  %s %s", label.paint("events"), d.ActedCount,
			label.paint("first seen"), ts(d.FirstSeen), label.paint("last seen"), ts(d.LastSeen)))
	}
	facet := func(title string, fs []store.FacetCount) {
		if len(fs) == 0 {
			return
		}
		line("  " + label.paint(title))
		for _, f := range fs {
			line(cut(fmt.Sprintf("    %8d  %s", f.Count, safe.Text(clipBytes(f.Value, cellInputMax))), 0))
		}
	}
	facet("by type", d.ByType)
	facet("ips", d.IPs)
	facet("user agents", d.UserAgents)
	_, err := w.Write(b.Bytes())
	return err
}

// padCell pads safe text with spaces to w cells.
func padCell(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// DossierJSON is the machine-readable key dossier of `claudit key --format
// json`. Times are UTC; before/after values of a change are the raw JSON.
type DossierJSON struct {
	KeyID     string             `json:"key_id"`
	Kind      string             `json:"kind"`
	Name      string             `json:"name"`
	Mentions  int                `json:"mentions"`
	Lifecycle []DossierEventJSON `json:"lifecycle"`
	Activity  DossierActedJSON   `json:"activity"`
}

// DossierEventJSON is one lifecycle step.
type DossierEventJSON struct {
	Time    time.Time           `json:"time"`
	Action  string              `json:"action"`
	Type    string              `json:"type"`
	ID      string              `json:"id"`
	Actor   DossierActorJSON    `json:"actor"`
	Changes []DossierChangeJSON `json:"changes"`
}

// DossierActorJSON says who performed a lifecycle step.
type DossierActorJSON struct {
	Type      string `json:"type"`
	Label     string `json:"label"`
	ID        string `json:"id"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// DossierChangeJSON is one updates[] transition.
type DossierChangeJSON struct {
	Field    string          `json:"field"`
	Previous json.RawMessage `json:"previous"`
	Current  json.RawMessage `json:"current"`
}

// DossierActedJSON summarises what the key did as an actor.
type DossierActedJSON struct {
	Count      int         `json:"count"`
	FirstSeen  *time.Time  `json:"first_seen"`
	LastSeen   *time.Time  `json:"last_seen"`
	ByType     []FacetJSON `json:"by_type"`
	IPs        []FacetJSON `json:"ips"`
	UserAgents []FacetJSON `json:"user_agents"`
}

// FacetJSON is one value with its number of events.
type FacetJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// NewDossierJSON converts a dossier to its JSON shape.
func NewDossierJSON(d store.Dossier) DossierJSON {
	out := DossierJSON{KeyID: d.KeyID, Kind: d.KeyKind, Name: d.Name, Mentions: d.Mentions,
		Lifecycle: []DossierEventJSON{}}
	for _, ev := range d.Lifecycle {
		r := ev.Row
		e := DossierEventJSON{Time: r.CreatedAt.UTC(), Action: ev.Action, Type: r.Type, ID: r.ID,
			Actor: DossierActorJSON{Type: r.Actor.Type, Label: r.Actor.Label(), ID: r.Actor.ID(),
				IP: r.Actor.IPAddress, UserAgent: r.Actor.UserAgent},
			Changes: []DossierChangeJSON{}}
		for _, u := range ev.Change {
			e.Changes = append(e.Changes, DossierChangeJSON{Field: u.Type, Previous: jsonOrNull(u.Previous), Current: jsonOrNull(u.Current)})
		}
		out.Lifecycle = append(out.Lifecycle, e)
	}
	a := DossierActedJSON{Count: d.ActedCount, ByType: facetsJSON(d.ByType), IPs: facetsJSON(d.IPs), UserAgents: facetsJSON(d.UserAgents)}
	if !d.FirstSeen.IsZero() {
		f, l := d.FirstSeen.UTC(), d.LastSeen.UTC()
		a.FirstSeen, a.LastSeen = &f, &l
	}
	out.Activity = a
	return out
}

func jsonOrNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

func facetsJSON(fs []store.FacetCount) []FacetJSON {
	out := make([]FacetJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, FacetJSON{Value: f.Value, Count: f.Count})
	}
	return out
}

// WriteDossierJSON prints the dossier as indented JSON, masked by
// opt.Redactor when set (the other options do not apply).
func WriteDossierJSON(w io.Writer, d store.Dossier, opt PrintOptions) error {
	return WriteJSON(w, NewDossierJSON(RedactDossier(d, opt.Redactor)))
}

// WriteJSON prints v as indented JSON that is safe on a terminal:
// encoding/json escapes C0 controls but passes C1 controls, bidi overrides
// and other invisible characters through as UTF-8, so those are escaped
// too (they can only occur inside strings, where \uXXXX means the same).
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err := w.Write(TerminalSafeJSON(buf.Bytes()))
	return err
}

// TerminalSafeJSON escapes, as \uXXXX, the characters of a JSON document
// that a terminal could act on or that hide text: C1 controls, DEL, and
// Unicode format characters (bidi overrides, zero-width marks). Invalid
// UTF-8 becomes \ufffd. Valid JSON stays valid and means the same.
func TerminalSafeJSON(b []byte) []byte {
	clean := true
	for _, c := range b {
		if c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r > 0xffff && unicode.Is(unicode.Cf, r):
			// Astral format characters (tags) need a surrogate pair.
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		case r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029:
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}
