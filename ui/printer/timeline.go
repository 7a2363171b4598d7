package printer

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"
)

// FormatMarkdown is the Markdown incident timeline (WriteTimeline); the
// CSV one is FormatCSV.
const FormatMarkdown = "markdown"

// timelineTimeLayout is RFC 3339 to the second: unambiguous in both the
// UTC and the local column.
const timelineTimeLayout = "2006-01-02T15:04:05Z07:00"

// timelineHeader names the columns of both formats.
func timelineHeader() []string {
	return []string{"Time (UTC)", "Local time", "Actor", "Type", "Target", "IP", "Note", "Activity"}
}

// timelineRecord is one row's cells, unescaped.
func timelineRecord(r store.Row, loc *time.Location) []string {
	return []string{
		r.CreatedAt.UTC().Format(timelineTimeLayout),
		r.CreatedAt.In(loc).Format(timelineTimeLayout),
		r.Actor.Label(),
		r.Type,
		Target(r.Activity),
		r.Actor.IPAddress,
		r.Note,
		r.ID,
	}
}

// WriteTimeline writes rows as an incident timeline, oldest first, in
// format FormatMarkdown ("markdown" or "md") or FormatCSV: the time in UTC
// and in loc, actor, type, target, IP, the analyst's note and the activity
// id. Every cell is sanitised (control and bidi characters are shown
// escaped); Markdown cells escape table and markup characters, CSV cells
// that a spreadsheet would run as a formula get a leading apostrophe. It is
// pure: the same rows always give the same bytes.
func WriteTimeline(w io.Writer, rows []store.Row, format string, loc *time.Location) error {
	if loc == nil {
		loc = time.Local
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b store.Row) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	switch strings.ToLower(format) {
	case FormatMarkdown, "md":
		return writeTimelineMarkdown(w, sorted, loc)
	case FormatCSV:
		return writeTimelineCSV(w, sorted, loc)
	}
	return fmt.Errorf("timeline format %q: want %s or %s", format, FormatMarkdown, FormatCSV)
}

func writeTimelineMarkdown(w io.Writer, rows []store.Row, loc *time.Location) error {
	var b strings.Builder
	b.WriteString("# Incident timeline\n\n")
	fmt.Fprintf(&b, "%s, oldest first. Local times in %s.\n\n", Count(len(rows), "marked event"), markdownCell(loc.String()))
	head := timelineHeader()
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(head)) + "\n")
	for _, r := range rows {
		rec := timelineRecord(r, loc)
		for i := range rec {
			rec[i] = markdownCell(rec[i])
		}
		b.WriteString("| " + strings.Join(rec, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownCell makes untrusted text one inert table cell: sanitised, with
// the characters that end a cell or start markup escaped.
func markdownCell(s string) string {
	s = safe.Text(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '|', '`', '*', '[', ']':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func writeTimelineCSV(w io.Writer, rows []store.Row, loc *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(timelineHeader()); err != nil {
		return err
	}
	for _, r := range rows {
		rec := timelineRecord(r, loc)
		for i := range rec {
			rec[i] = spreadsheetCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// spreadsheetCell sanitises a CSV cell and defuses formulas (OWASP "CSV
// injection"): a leading = + - @ would be evaluated. The query's CSV and
// the timeline's both pass it (a CSV is read in terminals and spreadsheets
// alike).
func spreadsheetCell(s string) string {
	s = safe.Text(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Target is what an event acted on, as the explorer's TARGET column and the
// incident timeline show it: its first target id, else the first key it
// mentions as a target. (The query table and CSV show
// feed.Activity.PrimaryTarget, which puts the key first.)
func Target(a feed.Activity) string {
	if t := a.Targets(); len(t) > 0 {
		return t[0]
	}
	for _, k := range a.KeyMentions() {
		if !k.AsActor {
			return k.ID
		}
	}
	return ""
}
