package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"

	tea "charm.land/bubbletea/v2"
)

// Marks and what is made of them: m marks (Source.Mark, persisted in the
// cache), M writes a note, :timeline writes the marked events as an
// incident timeline, ctrl+s exports an evidence bundle (of the marked
// events when there are any).

// noteModel is the one-line note editor of M; it draws over the query bar.
type noteModel struct {
	id     string
	at     time.Time
	input  lineInput
	styles *Styles
	red    *feed.Redactor // non-nil while redacting: the note is drawn masked
}

// noteLimit bounds a note in runes.
const noteLimit = 500

func newNote() noteModel { return noteModel{input: lineInput{limit: noteLimit}} }

// open starts editing the note of r.
func (n *noteModel) open(r store.Row) {
	n.id, n.at = r.ID, r.CreatedAt
	n.input = lineInput{limit: noteLimit}
	n.input.SetValue(r.Note)
	n.input.CursorEnd()
}

// View renders the editor line, w cells wide. The note is the analyst's
// own text but may have been pasted: it is sanitised (and masked while
// redacting) like the query.
func (n noteModel) View(w int, loc *time.Location) string {
	prompt := "✎ note on " + n.at.In(loc).Format("15:04:05") + ": "
	return fit(promptLine(n.styles, prompt, n.input, n.red), w)
}

func (m Model) openNote() (Model, tea.Cmd) {
	r, ok := m.table.selected()
	if !ok {
		return m, nil
	}
	m.note.open(r)
	m.openDialog(noteDialog{})
	return m, nil
}

// handleMark applies a mark, unmark or note to the rows on screen and
// recounts the marked events.
func (m Model) handleMark(msg markMsg) (Model, tea.Cmd) {
	if !m.flight.is(msg.req) {
		return m, nil
	}
	if msg.err != nil {
		return m, m.setStatus("mark failed: "+msg.err.Error(), true)
	}
	for i := range m.table.rows {
		if m.table.rows[i].ID == msg.id {
			m.table.rows[i].Marked, m.table.rows[i].Note = msg.marked, msg.note
		}
	}
	m.flight.start(reqMarked)
	cmds := []tea.Cmd{m.markedCountCmd()}
	in, out := slices.Contains(m.eff.Is.Include, feed.IsMarked), slices.Contains(m.eff.Is.Exclude, feed.IsMarked)
	if in && !msg.marked || out && msg.marked {
		// The row left an is:marked (or -is:marked) view: drop it, then
		// re-read around its neighbour for the new count.
		m.table.remove(msg.id)
		cmds = append(cmds, m.refresh())
	}
	m.showSelected()
	switch {
	case msg.note != "":
		cmds = append(cmds, m.setStatus("marked with a note", false))
	case msg.marked:
		cmds = append(cmds, m.setStatus("marked · M adds a note · :timeline writes the marked events", false))
	default:
		cmds = append(cmds, m.setStatus("unmarked", false))
	}
	return m, tea.Batch(cmds...)
}

// markedQuery is is:marked over the whole cache.
func markedQuery() feed.Query { return feed.Query{}.With("is", feed.IsMarked, false) }

// markedCountCmd counts the marked events of the whole cache under the
// request reqMarked started.
func (m Model) markedCountCmd() tea.Cmd {
	ctx, src, now, r := m.base, m.deps.Source, m.queryNow, m.flight.get(reqMarked)
	return func() tea.Msg {
		n, _, err := src.Count(ctx, markedQuery(), now, countCap)
		return markedCountMsg{req: r, n: n, err: err}
	}
}

type markedCountMsg struct {
	req req
	n   int
	err error
}

// exportMsg reports a written evidence bundle or timeline.
type exportMsg struct {
	req  req
	kind string // "evidence bundle", "timeline"
	what string // "the current query", "3 marked events"
	path string
	err  error
}

// exportDir is where exports go: never silently the current directory.
func (m Model) exportDir() string { return m.deps.ExportDir }

// stamp names export files by the time they were asked for (UTC).
func (m Model) stamp() string { return m.deps.Now().UTC().Format("20060102T150405Z") }

// redactor is the Redactor exports use: the session's while redacting.
func (m Model) redactor() *feed.Redactor {
	if m.redact {
		return m.red
	}
	return nil
}

// export is ctrl+s: the evidence bundle of the marked events when any are
// marked, else of the query on screen.
func (m Model) export() (Model, tea.Cmd) {
	if m.deps.Export == nil {
		return m, m.setStatus("evidence export is not available here", true)
	}
	q, what := m.eff, "the current query"
	if m.marked > 0 {
		q, what = markedQuery(), printer.Count(m.marked, "marked event")
	}
	cmd := exportCmd(m.base, m.deps.Export, q, m.exportDir(), "claudit-evidence-"+m.stamp(), m.redactor(), what, m.flight.start(reqExport))
	return m, tea.Batch(cmd, m.setStatus("exporting "+what+"…", false))
}

// timeline is :timeline: the marked events as an incident timeline file.
func (m Model) timeline(format string) (Model, tea.Cmd) {
	ext := ".md"
	if format == printer.FormatCSV {
		ext = ".csv"
	}
	r := m.flight.start(reqExport)
	cmd := timelineCmd(m.base, m.deps.Source, m.deps.Now(), m.exportDir(), "claudit-timeline-"+m.stamp(), ext, format,
		m.local, m.redactor(), r)
	return m, tea.Batch(cmd, m.setStatus("writing the incident timeline…", false))
}

func (m Model) handleExport(msg exportMsg) (Model, tea.Cmd) {
	if !m.flight.is(msg.req) {
		return m, nil
	}
	if msg.err != nil {
		return m, m.setStatus(msg.kind+" failed: "+msg.err.Error(), true)
	}
	text := fmt.Sprintf("%s of %s written to %s", msg.kind, msg.what, msg.path)
	if m.redact {
		text += " (redacted)"
	}
	return m, m.setStatus(text, false)
}

// exportCmd runs Deps.Export into a new directory name under parent.
func exportCmd(ctx context.Context, run func(context.Context, feed.Query, string, *feed.Redactor) (string, error),
	q feed.Query, parent, name string, red *feed.Redactor, what string, r req) tea.Cmd {
	return func() tea.Msg {
		msg := exportMsg{req: r, kind: "evidence bundle", what: what}
		dir, err := FreshName(parent, name)
		if err != nil {
			msg.err = err
			return msg
		}
		msg.path, msg.err = run(ctx, q, dir, red)
		if msg.err == nil && msg.path == "" {
			msg.path = dir
		}
		return msg
	}
}

// FreshName returns parent/name, or parent/name-2 … when taken, after
// creating parent (0700) if needed. An empty parent is refused: evidence
// never goes silently into the current directory.
func FreshName(parent, name string) (string, error) {
	if parent == "" {
		return "", errors.New("no evidence directory: set evidence_dir in the config")
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", fmt.Errorf("evidence directory: %w", err)
	}
	for i := 1; i <= 100; i++ {
		p := filepath.Join(parent, name)
		if i > 1 {
			p = filepath.Join(parent, fmt.Sprintf("%s-%d", name, i))
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no free name for %s in %s", name, parent)
}

// maxTimelineRows bounds a timeline: beyond it, an evidence bundle is the
// right tool.
const maxTimelineRows = 10_000

// timelinePage is how many marked rows each keyset read fetches.
const timelinePage = 1000

// errNoMarks says why a timeline was not written.
var errNoMarks = errors.New("no marked events: mark rows with m first")

// timelineCmd reads every marked event and writes the timeline into a new
// file (0600) under dir.
func timelineCmd(ctx context.Context, src Source, now time.Time, dir, name, ext, format string, loc *time.Location,
	red *feed.Redactor, r req) tea.Cmd {
	return func() tea.Msg {
		msg := exportMsg{req: r, kind: "timeline"}
		rows, err := markedRows(ctx, src, now)
		if err != nil {
			msg.err = err
			return msg
		}
		for i := range rows {
			rows[i] = printer.RedactRow(rows[i], red)
		}
		msg.what = printer.Count(len(rows), "marked event")
		msg.path, msg.err = writeTimelineFile(dir, name, ext, func(f *os.File) error {
			return printer.WriteTimeline(f, rows, format, loc)
		})
		return msg
	}
}

// markedRows reads every marked event by keyset pages.
func markedRows(ctx context.Context, src Source, now time.Time) ([]store.Row, error) {
	q := markedQuery()
	var out []store.Row
	from := store.Cursor{}
	for {
		rows, err := src.Search(ctx, q, now, from, store.Older, timelinePage)
		if err != nil {
			return nil, fmt.Errorf("read marked events: %w", err)
		}
		out = append(out, rows...)
		if len(out) > maxTimelineRows {
			return nil, fmt.Errorf("more than %s marked events: export them as an evidence bundle (ctrl+s)", printer.Thousands(maxTimelineRows))
		}
		if len(rows) < timelinePage {
			break
		}
		from = rows[len(rows)-1].Cursor()
	}
	if len(out) == 0 {
		return nil, errNoMarks
	}
	return out, nil
}

// writeTimelineFile creates a new file dir/name[-n]ext (never overwriting)
// and fills it with write; a failed write removes the file.
func writeTimelineFile(dir, name, ext string, write func(*os.File) error) (string, error) {
	if dir == "" {
		return "", errors.New("no evidence directory: set evidence_dir in the config")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	for i := 1; i <= 100; i++ {
		p := filepath.Join(dir, name+ext)
		if i > 1 {
			p = filepath.Join(dir, fmt.Sprintf("%s-%d%s", name, i, ext))
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create the timeline: %w", err)
		}
		werr := write(f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(p)
			return "", fmt.Errorf("write %s: %w", p, werr)
		}
		return p, nil
	}
	return "", fmt.Errorf("no free name for %s%s in %s", name, ext, dir)
}
