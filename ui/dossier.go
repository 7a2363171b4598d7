package ui

import (
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
	"claudit/ui/safe"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// dossierModel is the full-body view of one key: its lifecycle, what the
// directory says of it now, and what it did. It is a place to work: every
// lifecycle event, type, ip and user agent is a row that enter pivots to
// (dossierPivot), and esc from there comes back to it.
type dossierModel struct {
	keyID   string
	loading bool
	err     error
	lines   []string
	items   []dossierItem // the rows enter pivots from, in line order
	sel     int
	scroll  int
	width   int
	height  int
	loc     *time.Location
	red     *feed.Redactor // non-nil while redacting
	names   *store.Names   // the directory: the key's current state
	styles  *Styles
	dossier store.Dossier
}

// maxCrumbValue bounds a pivot value in the breadcrumbs (a user agent can
// be long).
const maxCrumbValue = 40

// lifecycleActorWidth is the lifecycle's "by" column: a name and an e-mail.
const lifecycleActorWidth = 52

// dossierItem is a row of the dossier enter pivots from: a lifecycle event
// (everything around it) or a value the key acted with (its events with
// that type, ip or user agent).
type dossierItem struct {
	line  int    // index into lines
	field string // "event", or the query field: type, ip, text (a user agent)
	value string // raw value (goes into the query, never to the screen)
	row   store.Row
}

// open starts showing keyID while its dossier loads.
func (d *dossierModel) open(keyID string) {
	*d = dossierModel{keyID: keyID, loading: true, width: d.width, height: d.height, loc: d.loc, red: d.red, names: d.names, styles: d.styles}
	d.rebuild()
}

// SetSize sets the body size the dossier fills and re-renders it.
func (d *dossierModel) SetSize(w, h int) {
	d.width, d.height = max(0, w), max(0, h)
	d.rebuild()
}

func (d *dossierModel) set(ds store.Dossier, err error) {
	d.loading, d.dossier, d.err = false, ds, err
	d.rebuild()
}

// rebuild renders the dossier; the one place where it sanitises.
func (d *dossierModel) rebuild() {
	st := d.styles.Detail
	var out []string
	d.items = nil // a fresh slice: copies of the model share the old one
	put := func(s string) { out = append(out, wrapLine(s, max(1, d.width))...) }
	item := func(field, value string, row store.Row) {
		d.items = append(d.items, dossierItem{line: len(out), field: field, value: value, row: row})
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(d.loc).Format("2006-01-02 15:04:05 -07:00")
	}
	put(d.styles.Overlay.Title.Render("KEY DOSSIER ") + st.Title.Render(safe.Text(d.red.Field("api_key_id", d.keyID))) +
		st.Dim.Render("   enter pivots from a row · esc closes"))
	switch {
	case d.loading:
		put(st.Dim.Render("loading…"))
	case d.err != nil:
		put(d.styles.Status.Error.Render(safe.Text(d.red.String("dossier failed: " + d.err.Error()))))
	default:
		raw := d.dossier
		ds := printer.RedactDossier(raw, d.red) // the one place it is masked
		kind := ds.KeyKind
		if kind == "" {
			kind = "unknown kind"
		}
		line := st.Label.Render("kind ") + st.Value.Render(safe.Text(kind))
		if ds.Name != "" {
			line += st.Label.Render("   name ") + st.Value.Render(safe.Text(fmt.Sprintf("%q", ds.Name)))
		}
		put(line)
		put(st.Label.Render("mentioned by ") + st.Value.Render(fmt.Sprintf("%d", ds.Mentions)) +
			st.Label.Render(" events · acted ") + st.Value.Render(fmt.Sprintf("%d", ds.ActedCount)) +
			st.Label.Render(" times · first seen ") + st.Value.Render(ts(ds.FirstSeen)) +
			st.Label.Render(" · last seen ") + st.Value.Render(ts(ds.LastSeen)))
		if d.names != nil {
			out = append(out, "")
			for _, l := range d.directoryLines(raw, ts) {
				put(l)
			}
		}
		out = append(out, "")
		put(st.Heading.Render("LIFECYCLE") + st.Dim.Render("  who created, renamed, deactivated, revoked, deleted it"))
		if len(ds.Lifecycle) == 0 {
			put(st.Dim.Render("  no lifecycle events in the cache"))
		}
		for i, ev := range ds.Lifecycle {
			r := ev.Row
			a := r.Activity
			// Evidence names the person and keeps the e-mail the event
			// carries.
			by := a.Actor.Label()
			if l := actorName(d.names, d.red, raw.Lifecycle[i].Row.Actor); l != "" {
				by = l
				if email := a.Actor.EmailAddress; email != "" && email != l {
					by += " · " + email
				}
			}
			item("event", "", raw.Lifecycle[i].Row)
			put("  " + st.Dim.Render(ts(r.CreatedAt)) + "  " +
				st.Flag.Render(fit(safe.Text(ev.Action), 12)) + " " +
				st.Value.Render(fit(safe.Text(capText(by)), lifecycleActorWidth)) + " " +
				st.Dim.Render(fit(safe.Text(a.Actor.IPAddress), 16)) + " " +
				st.Dim.Render(safe.Text(r.Type)))
			if ua := a.Actor.UserAgent; ua != "" {
				// As `claudit key` prints it.
				put(st.Dim.Render("      user agent: " + safe.Text(capText(ua))))
			}
			for _, u := range ev.Change {
				put("      " + st.Change.Render(safe.Text(u.String())))
			}
		}
		out = append(out, "")
		put(st.Heading.Render("WHAT IT DID") + st.Dim.Render("  enter shows the key's events of a row"))
		facet := func(title, field string, fs, rawFs []store.FacetCount) {
			if len(fs) == 0 {
				return
			}
			put("  " + st.Label.Render(title))
			for i, f := range fs {
				item(field, rawFs[i].Value, store.Row{})
				put(fmt.Sprintf("    %8d  %s", f.Count, st.Value.Render(safe.Text(capText(f.Value)))))
			}
		}
		facet("by type", "type", ds.ByType, raw.ByType)
		facet("ips", "ip", ds.IPs, raw.IPs)
		facet("user agents", "text", ds.UserAgents, raw.UserAgents)
		if len(ds.ByType) == 0 && len(ds.IPs) == 0 {
			put(st.Dim.Render("  the key never acted in the cached events"))
		}
	}
	d.lines = out
	d.sel = min(max(0, d.sel), max(0, len(d.items)-1))
	d.scroll = max(0, min(d.scroll, len(d.lines)-d.height))
}

// directoryLines say what the directory knows of the key now (ds is the
// unmasked dossier) and where that differs from what the events imply.
func (d *dossierModel) directoryLines(ds store.Dossier, ts func(time.Time) string) []string {
	st := d.styles.Detail
	e, ok := d.names.Lookup(d.keyID)
	if !ok {
		return []string{st.Heading.Render("DIRECTORY") + st.Dim.Render("  the directory does not list this key (not a Compliance Access Key, or not visible to this key's scopes)")}
	}
	m := maskEntity(d.red, e)
	out := []string{st.Heading.Render("DIRECTORY") + st.Dim.Render("  the key as the directory lists it now")}
	kv := func(label, value string) {
		out = append(out, "  "+st.Label.Render(fmt.Sprintf("%-11s", label))+st.Value.Render(safe.Text(capText(value))))
	}
	kv("name", fmt.Sprintf("%q", m.Name))
	if !e.Removed.IsZero() {
		kv("listed", "no longer "+removedText(e, d.loc))
	}
	var implied string // what the newest lifecycle event says of the key's state
	var impliedAt time.Time
	for _, ev := range ds.Lifecycle {
		switch ev.Action {
		case "created", "activated":
			implied, impliedAt = "active", ev.Row.CreatedAt
		case "deactivated", "revoked", "deleted":
			implied, impliedAt = ev.Action, ev.Row.CreatedAt
		}
	}
	var diffs []string
	if k := e.Key; k != nil {
		state := "inactive"
		if k.Active {
			state = "active"
		}
		kv("state", state)
		if len(k.Scopes) > 0 {
			kv("scopes", strings.Join(k.Scopes, " "))
		}
		created := ts(k.CreatedAt)
		if k.CreatedByID != "" {
			by := entityLabel(d.names, d.red, k.CreatedByID)
			if by == "" {
				by = d.red.Field("user_id", k.CreatedByID)
			}
			created += " by " + by
		}
		kv("created", created)
		if k.ExpiresAt.IsZero() {
			kv("expires", "never")
		} else {
			kv("expires", ts(k.ExpiresAt))
		}
		if implied != "" && (implied == "active") != k.Active {
			diffs = append(diffs, fmt.Sprintf("state: the events say %s (%s), the directory says %s", implied, ts(impliedAt), state))
		}
	}
	if name := ds.Name; name != "" && e.Name != "" && name != e.Name {
		diffs = append(diffs, fmt.Sprintf("name: the events say %q, the directory says %q", d.red.String(name), m.Name))
	}
	if !e.Removed.IsZero() && implied != "deleted" {
		diffs = append(diffs, "listing: the directory dropped the key, but no deletion is in the cached events")
	}
	for _, s := range diffs {
		out = append(out, "  "+d.styles.Table.Trip.Render("≠ ")+st.Flag.Render(safe.Text(s)))
	}
	return out
}

// selected is the row under the selection.
func (d dossierModel) selected() (dossierItem, bool) {
	if d.loading || d.err != nil || d.sel < 0 || d.sel >= len(d.items) {
		return dossierItem{}, false
	}
	return d.items[d.sel], true
}

// move moves the selection by n rows and keeps it on screen; without rows
// it scrolls.
func (d *dossierModel) move(n int) {
	if len(d.items) == 0 {
		d.scrollBy(n)
		return
	}
	d.sel = min(max(0, d.sel+n), len(d.items)-1)
	line := d.items[d.sel].line
	if d.sel == 0 {
		line = 0 // the first row brings the head of the dossier back
	}
	if line < d.scroll {
		d.scroll = line
	}
	if l := d.items[d.sel].line; l >= d.scroll+d.height {
		d.scroll = l - d.height + 1
	}
	d.scroll = max(0, min(d.scroll, len(d.lines)-d.height))
}

func (d *dossierModel) scrollBy(n int) {
	d.scroll = max(0, min(d.scroll+n, len(d.lines)-d.height))
}

// View renders exactly height lines.
func (d dossierModel) View() string {
	out := make([]string, 0, d.height)
	selLine := -1
	if it, ok := d.selected(); ok {
		selLine = it.line
	}
	for i := d.scroll; i < len(d.lines) && len(out) < d.height; i++ {
		if i == selLine {
			text := fit(ansi.Strip(d.lines[i]), d.width)
			if strings.HasPrefix(text, " ") {
				text = "›" + text[1:]
			}
			out = append(out, d.styles.Detail.FieldSelected.Render(text))
			continue
		}
		out = append(out, fit(d.lines[i], d.width))
	}
	for len(out) < d.height {
		out = append(out, strings.Repeat(" ", d.width))
	}
	return strings.Join(out, "\n")
}

// dossierPivot leaves the dossier for the query of its selected row: a
// lifecycle event shows everything within 5 minutes of it, the cursor on
// it; a type, ip or user agent shows the key's own events with it over the
// time the key acted. The dossier goes on the pivot stack with the query:
// esc comes back to it as it was.
func (m Model) dossierPivot() (Model, tea.Cmd) {
	it, ok := m.dossier.selected()
	if !ok {
		return m, nil
	}
	if it.field == "text" && m.redact {
		// The query bar would show it: a user agent is free text there,
		// which the Redactor masks only as a whole string.
		return m, m.setStatus("a user agent pivot would show it in the query bar; R turns redaction off", true)
	}
	saved := m.dossier
	m.closeDialog()
	var q feed.Query
	var anchor *store.Row
	var crumb string
	if it.field == "event" {
		r := it.row
		q = feed.Query{}.WithWindow(feed.Window{From: r.CreatedAt.Add(-contextSpan), To: r.CreatedAt.Add(contextSpan)})
		anchor = &r
		crumb = "dossier event ±5m of " + r.CreatedAt.In(m.loc).Format("15:04:05")
		m.pause() // the event stays under the cursor while live events arrive
	} else {
		ds := m.dossier.dossier
		q = feed.Query{}.With("actor", m.dossier.keyID, false)
		if !ds.FirstSeen.IsZero() {
			q = q.WithWindow(feed.Window{From: ds.FirstSeen.Truncate(time.Second), To: ds.LastSeen.Truncate(time.Second).Add(time.Second)})
		}
		q = q.With(it.field, it.value, false)
		v := safe.Text(capText(redactPivot(m.redactor(), it.field, it.value)))
		crumb = "dossier " + it.field + ":" + ansi.Truncate(v, maxCrumbValue, "…")
	}
	m.push(crumb)
	m.stack[len(m.stack)-1].dossier = &saved
	m.focus = focusTable
	m, cmd := m.startQueryAt(q, anchor)
	m.relayout()
	return m, tea.Batch(cmd, m.setStatus("esc returns to the dossier", false))
}

// reopenDossier shows a dossier the analyst pivoted from, as they left it.
func (m *Model) reopenDossier(d *dossierModel) {
	m.dossier = *d
	m.dossier.names, m.dossier.red, m.dossier.loc, m.dossier.styles = m.names, m.detail.red, m.loc, m.styles
	m.dossier.SetSize(m.lay.Body.W, m.lay.Body.H)
	m.openDialog(dossierDialog{})
}
