package printer

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"
)

// Output formats of `claudit query` (and FormatOCSF, in ocsf.go).
const (
	FormatTable  = "table"
	FormatJSON   = "json"
	FormatNDJSON = "ndjson"
	FormatCSV    = "csv"
)

// RowFormats lists the formats NewRowWriter accepts, for flag help and
// completion.
func RowFormats() []string {
	return []string{FormatTable, FormatJSON, FormatNDJSON, FormatCSV, FormatOCSF}
}

// PrintTimeLayout is how the table and the dossier show a time: to the
// second, always with its offset, so local and UTC times cannot be confused.
const PrintTimeLayout = "2006-01-02 15:04:05 -07:00"

// PrintOptions says how human-readable output is laid out.
type PrintOptions struct {
	// Width is the terminal width in cells; 0 means unknown (not a
	// terminal): columns then keep their natural widths up to a cap.
	Width int
	// Theme enables ANSI colour (nil: none). The caller decides: on only
	// for a terminal, never with NO_COLOR or --no-color.
	Theme *Theme
	// Loc is the time zone times are shown in (nil = UTC).
	Loc *time.Location
	// Redactor, when non-nil, masks e-mails, ips, user agents and ids in
	// every row and dossier printed (--redact).
	Redactor *feed.Redactor
	// Names, when non-nil, is the directory's name for an id ("" when it
	// has none), already masked while redacting: the table shows
	// "Name <id>" cells and the CSV gains actor_name, organization_name
	// and target_name columns. JSON and NDJSON never change.
	Names func(id string) string
	// MarkLate flags the activities the feed indexed late (claudit tail
	// writes them when its reconciliation finds them): a last "late"
	// column in csv, "late · " before the summary in the table.
	MarkLate bool
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

func (r *redactingWriter) flush() error { return Flush(r.next) }

// Flush writes what w holds back without closing it: the table keeps its
// first rows to lay out the columns (claudit tail writes as rows arrive).
// The other formats write every batch at once.
func Flush(w RowWriter) error {
	if f, ok := w.(interface{ flush() error }); ok {
		return f.flush()
	}
	return nil
}

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
	case FormatOCSF:
		return &ocsfWriter{w: w}, nil
	}
	return nil, fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(RowFormats(), ", "))
}

// rawLine is r's raw JSON on one line (feed.RawLine), its error naming r.
func rawLine(r store.Row) ([]byte, error) {
	line, err := feed.RawLine(r.Raw)
	if err != nil {
		return nil, fmt.Errorf("activity %s: %w", safe.Text(r.ID), err)
	}
	return line, nil
}

// ndjsonWriter prints one raw activity per line.
type ndjsonWriter struct{ w io.Writer }

func (n *ndjsonWriter) WriteRows(rows []store.Row) error {
	var buf bytes.Buffer
	for _, r := range rows {
		line, err := rawLine(r)
		if err != nil {
			return err
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
		line, err := rawLine(r)
		if err != nil {
			return err
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
// With names, three columns follow the others (so scripts reading the
// first eleven by position keep working).
func csvColumns(names bool) []string {
	cols := []string{"id", "created_at", "type", "actor_type", "actor", "actor_id", "ip", "user_agent",
		"organization_id", "target", "summary"}
	if names {
		cols = append(cols, "actor_name", "organization_name", "target_name")
	}
	return cols
}

// csvWriter prints RFC 4180 CSV with a header. Cells are sanitised like the
// table (a CSV is read in terminals and spreadsheets alike), and a cell
// that a spreadsheet would run as a formula is prefixed with an apostrophe.
type csvWriter struct {
	cw     *csv.Writer
	loc    *time.Location
	names  func(string) string
	header bool
	late   bool // a last column flags late-indexed activities
}

func newCSVWriter(w io.Writer, opt PrintOptions) *csvWriter {
	return &csvWriter{cw: csv.NewWriter(w), loc: opt.loc(), names: opt.Names, late: opt.MarkLate}
}

func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	cols := csvColumns(c.names != nil)
	if c.late {
		cols = append(cols, "late")
	}
	return c.cw.Write(cols)
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
			r.Activity.PrimaryTarget(),
			r.Summary(),
		}
		if c.names != nil {
			org := c.names(r.OrganizationUUID)
			if org == "" {
				org = c.names(r.OrganizationID)
			}
			rec = append(rec, c.names(r.Actor.ID()), org, c.names(r.Activity.PrimaryTarget()))
		}
		if c.late {
			flag := ""
			if r.Late {
				flag = "late"
			}
			rec = append(rec, flag)
		}
		for i := range rec {
			rec[i] = spreadsheetCell(rec[i])
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
