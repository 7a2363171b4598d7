package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
)

// pivotField is one selectable value of the detail pane: enter narrows the
// query to Field:Value.
type pivotField struct {
	Label   string // "actor", "key", …
	Field   string // query field for Query.With
	Value   string // raw value (goes into the query, never to the screen)
	display string // sanitised Value, computed once in rebuild
}

// detailModel shows one row: summaries, actor, changes, the pivot list and
// the highlighted raw JSON, scrollable.
type detailModel struct {
	row      store.Row
	has      bool
	trips    []string // tripwires the row fires
	indexing bool     // the row is in the newest minute of a live view
	fields   []pivotField
	sel      int
	// lines is the rendered content; the pivot list occupies
	// lines[pivotAt : pivotAt+len(fields)] and is styled at View time so
	// moving the selection costs no rebuild.
	lines   []string
	pivotAt int
	scroll  int
	// shownIndexing is the indexing flag lines were built with.
	shownIndexing bool

	width, height int
	focused       bool
	loc           *time.Location
	red           *feed.Redactor // non-nil while redacting
	names         *store.Names   // the directory's names for the ids shown
	styles        *Styles
}

func newDetail(st *Styles, loc *time.Location) detailModel {
	return detailModel{styles: st, loc: loc, pivotAt: -1}
}

// SetSize sets the inner size (frame excluded) and re-wraps the content.
func (d *detailModel) SetSize(w, h int) {
	if d.width == max(0, w) && d.height == max(0, h) {
		return
	}
	d.width, d.height = max(0, w), max(0, h)
	d.rebuild()
}

// setRow shows a row with the tripwires it fires; the selection and
// scroll reset when the row changes.
func (d *detailModel) setRow(r store.Row, trips []string, ok bool) {
	if ok && d.has && r.ID == d.row.ID && r.Marked == d.row.Marked && r.Note == d.row.Note && r.Late == d.row.Late &&
		r.Self == d.row.Self && slices.Equal(trips, d.trips) && d.indexing == d.shownIndexing {
		return
	}
	if !ok || !d.has || r.ID != d.row.ID {
		d.sel, d.scroll = 0, 0
	}
	d.row, d.has, d.trips = r, ok, trips
	d.fields = pivotFields(r.Activity)
	d.rebuild()
}

// selectedField returns the pivot under the selection.
func (d detailModel) selectedField() (pivotField, bool) {
	if !d.has || d.sel < 0 || d.sel >= len(d.fields) {
		return pivotField{}, false
	}
	return d.fields[d.sel], true
}

// pivotFields lists the values an analyst may narrow the query to.
func pivotFields(a feed.Activity) []pivotField {
	var out []pivotField
	seen := map[string]bool{}
	add := func(label, field, value string) {
		if value == "" || seen[field+"\x00"+value] {
			return
		}
		seen[field+"\x00"+value] = true
		out = append(out, pivotField{Label: label, Field: field, Value: value})
	}
	if a.Actor.EmailAddress != "" {
		add("actor", "actor", a.Actor.EmailAddress)
	} else {
		add("actor", "actor", a.Actor.ID())
	}
	for _, k := range a.KeyMentions() {
		add("key", "key", k.ID)
	}
	add("ip", "ip", a.Actor.IPAddress)
	add("org", "org", orgOf(a))
	for _, t := range a.Targets() {
		if !seen["key\x00"+t] {
			add("target", "id", t)
		}
	}
	add("type", "type", a.Type)
	return out
}

// rebuild renders the content for the current row, width and styles. It
// is the detail pane's one place where event text passes through safe.
func (d *detailModel) rebuild() {
	d.lines, d.pivotAt = nil, -1
	d.shownIndexing = d.indexing
	if !d.has || d.width == 0 {
		return
	}
	st := d.styles.Detail
	r := d.row
	raw := r.Activity // ids are resolved from the raw activity
	// Everything shown derives from the masked activity while redacting;
	// the pivot values stay raw (they go into the query).
	r.Activity = d.red.Activity(r.Activity)
	w := d.width
	var out []string
	// Lines are fitted to the width here, once, not on every frame.
	put := func(s string) {
		for _, l := range wrapLine(s, w) {
			out = append(out, fit(l, w))
		}
	}
	kv := func(label, value string) {
		if value == "" {
			return
		}
		put("  " + st.Label.Render(fmt.Sprintf("%-7s", label)) + st.Value.Render(safe.Text(capText(value))))
	}
	blank := func() { out = append(out, strings.Repeat(" ", w)) }

	summary := r.Summary()
	put(st.Title.Render(safe.Text(capText(summary))))
	info, known := feed.Catalogue().Lookup(r.Type)
	put(d.styles.TypeStyle(r.Group).Render(safe.Text(r.Type)) + st.Dim.Render(" · "+safe.Text(r.Group)))
	// The catalogue's description, unless it is the summary line already.
	if known && info.Summary != "" && info.Summary != summary {
		put(st.Dim.Render(safe.Text(info.Summary)))
	} else if !known {
		put(st.Dim.Render("type not in the catalogue"))
	}
	put(st.Dim.Render(r.CreatedAt.In(d.loc).Format("2006-01-02 15:04:05.000 -07:00") + " · " + safe.Text(r.ID)))
	if len(d.trips) > 0 {
		desc := map[string]string{}
		for _, tw := range feed.Tripwires() {
			desc[tw.Name] = tw.Description
		}
		for _, name := range d.trips {
			put(d.styles.Table.Trip.Render("! TRIPWIRE "+name) + st.Dim.Render(": "+desc[name]))
		}
	}
	if d.indexing {
		put(st.Dim.Render("… newest minute: the feed may still be indexing events around it"))
	}
	var flags []string
	if r.Marked {
		f := "★ marked"
		if r.Note != "" {
			f += ": " + safe.Text(capText(d.red.String(r.Note)))
		}
		flags = append(flags, f)
	}
	if r.Self {
		flags = append(flags, "S claudit's own API call")
	}
	if r.Late {
		flags = append(flags, "L late arrival (after its range was complete)")
	}
	if len(flags) > 0 {
		put(st.Flag.Render(strings.Join(flags, "  ")))
	}

	blank()
	put(st.Heading.Render("ACTOR"))
	a := r.Actor
	who := a.Label()
	if l := actorName(d.names, d.red, raw.Actor); l != "" {
		who = l
	}
	line := "  " + st.Value.Render(safe.Text(capText(who)))
	if e, ok := d.names.Lookup(raw.Actor.ID()); ok && !e.Removed.IsZero() {
		line += st.Dim.Render(" " + removedText(e, d.loc))
	}
	put(line)
	kv("type", a.Type)
	kv("email", a.EmailAddress)
	kv("email", a.UnauthenticatedEmailAddress)
	kv("id", a.ID())
	kv("ip", a.IPAddress)
	kv("agent", a.UserAgent)
	kv("service", a.Service)
	kv("idp", a.IDPConnectionType)
	kv("issuer", a.Issuer)
	kv("subject", a.Subject)
	if len(a.Audience) > 0 {
		kv("aud", strings.Join(a.Audience, ", "))
	}
	if a.Provider != nil {
		kv("provider", a.Provider.Type)
	}
	kv("client", a.ExternalClientID)

	if ups := r.Updates(); len(ups) > 0 {
		blank()
		put(st.Heading.Render("CHANGES"))
		for _, u := range ups {
			put("  " + st.Change.Render(safe.Text(capText(u.String()))))
		}
	}

	if ids := eventIDs(d.names, raw); len(ids) > 0 {
		blank()
		put(st.Heading.Render("NAMES") + st.Dim.Render("  from the directory"))
		for _, id := range ids {
			e, _ := d.names.Lookup(id)
			e = maskEntity(d.red, e)
			line := "  " + st.Label.Render(safe.Text(redactPivot(d.red, "id", id))) + st.Dim.Render(" → ") +
				st.Value.Render(safe.Text(capText(describeEntity(e))))
			if rm := removedText(e, d.loc); rm != "" {
				line += st.Dim.Render(" " + rm)
			}
			put(line)
		}
	}

	if len(d.fields) > 0 {
		blank()
		put(st.Heading.Render("PIVOT") + st.Dim.Render("  enter narrows the query"))
		d.pivotAt = len(out)
		for i := range d.fields {
			f := &d.fields[i]
			f.display = safe.Text(redactPivot(d.red, f.Field, f.Value))
			if l := pivotName(d.names, d.red, *f); l != "" {
				f.display += " · " + safe.Text(capText(l))
			}
			out = append(out, "") // styled in View
		}
	}

	blank()
	if d.red != nil {
		put(st.Heading.Render("RAW JSON") + st.Dim.Render("  redacted (R)"))
	} else {
		put(st.Heading.Render("RAW JSON"))
	}
	for _, l := range highlightJSON(r.Raw, d.styles) {
		put(l)
	}
	d.lines = out
	d.clampScroll()
}

// maxFieldBytes caps a value in the summary, actor and change blocks; the
// raw JSON below always shows everything.
const maxFieldBytes = 1024

// capText shortens an oversized value and says by how much.
func capText(s string) string {
	if len(s) <= maxFieldBytes {
		return s
	}
	cut := maxFieldBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d more bytes in the raw JSON)", len(s)-cut)
}

// wrapLine wraps a styled line to w cells, at spaces when it can and
// mid-word when a word is longer than the line.
func wrapLine(s string, w int) []string {
	if ansi.StringWidth(s) <= w {
		return []string{s}
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

func (d *detailModel) clampScroll() {
	d.scroll = max(0, min(d.scroll, len(d.lines)-d.height))
}

// scrollBy scrolls the content.
func (d *detailModel) scrollBy(n int) {
	d.scroll += n
	d.clampScroll()
}

// selectBy moves the pivot selection and keeps it on screen.
func (d *detailModel) selectBy(n int) {
	if len(d.fields) == 0 {
		d.scrollBy(n)
		return
	}
	d.sel = min(max(0, d.sel+n), len(d.fields)-1)
	line := d.pivotAt + d.sel
	if line < d.scroll {
		d.scroll = line
	}
	if line >= d.scroll+d.height {
		d.scroll = line - d.height + 1
	}
	d.clampScroll()
}

// clickLine selects the pivot on a content line (relative to the pane).
func (d *detailModel) clickLine(y int) {
	i := d.scroll + y - d.pivotAt
	if d.pivotAt >= 0 && i >= 0 && i < len(d.fields) {
		d.sel = i
	}
}

// View renders exactly height lines of width cells.
func (d detailModel) View() string {
	if d.width == 0 || d.height == 0 {
		return ""
	}
	out := make([]string, 0, d.height)
	if !d.has {
		out = append(out, d.styles.Detail.Dim.Render(fit("no event selected", d.width)))
	}
	for i := d.scroll; i < len(d.lines) && len(out) < d.height; i++ {
		if d.pivotAt >= 0 && i >= d.pivotAt && i < d.pivotAt+len(d.fields) {
			out = append(out, d.pivotLine(i-d.pivotAt))
			continue
		}
		out = append(out, d.lines[i])
	}
	for len(out) < d.height {
		out = append(out, strings.Repeat(" ", d.width))
	}
	return strings.Join(out, "\n")
}

func (d detailModel) pivotLine(i int) string {
	f := d.fields[i]
	text := fit(fmt.Sprintf("  %-7s%s", f.Label, f.display), d.width)
	if i == d.sel && d.focused {
		return d.styles.Detail.FieldSelected.Render(fit("›"+text[1:], d.width))
	}
	return d.styles.Detail.Field.Render(text)
}
