package ui

import (
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
	"claudit/ui/safe"
)

// dossierModel is the full-body view of one key: its lifecycle and what it
// did. It is read-only and scrollable; esc closes it.
type dossierModel struct {
	keyID   string
	loading bool
	err     error
	lines   []string
	scroll  int
	width   int
	height  int
	loc     *time.Location
	red     *feed.Redactor // non-nil while redacting
	names   *store.Names   // the directory: the key's current state
	styles  *Styles
	dossier store.Dossier
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
	put := func(s string) { out = append(out, wrapLine(s, max(1, d.width))...) }
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(d.loc).Format("2006-01-02 15:04:05 -07:00")
	}
	put(d.styles.Overlay.Title.Render("KEY DOSSIER ") + st.Title.Render(safe.Text(d.red.Field("api_key_id", d.keyID))) +
		st.Dim.Render("   esc closes"))
	switch {
	case d.loading:
		put(st.Dim.Render("loading…"))
	case d.err != nil:
		put(d.styles.Status.Error.Render(safe.Text(d.red.String("dossier failed: " + d.err.Error()))))
	default:
		ds := printer.RedactDossier(d.dossier, d.red) // the one place it is masked
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
		out = append(out, "")
		put(st.Heading.Render("LIFECYCLE") + st.Dim.Render("  who created, renamed, deactivated, revoked, deleted it"))
		if len(ds.Lifecycle) == 0 {
			put(st.Dim.Render("  no lifecycle events in the cache"))
		}
		for _, ev := range ds.Lifecycle {
			r := ev.Row
			a := r.Activity
			put("  " + st.Dim.Render(ts(r.CreatedAt)) + "  " +
				st.Flag.Render(fit(safe.Text(ev.Action), 12)) + " " +
				st.Value.Render(fit(safe.Text(a.Actor.Label()), 44)) + " " +
				st.Dim.Render(fit(safe.Text(a.Actor.IPAddress), 16)) + " " +
				st.Dim.Render(safe.Text(r.Type)))
			for _, u := range ev.Change {
				put("      " + st.Change.Render(safe.Text(u.String())))
			}
		}
		out = append(out, "")
		put(st.Heading.Render("WHAT IT DID"))
		facet := func(title string, fs []store.FacetCount) {
			if len(fs) == 0 {
				return
			}
			put("  " + st.Label.Render(title))
			for _, f := range fs {
				put(fmt.Sprintf("    %8d  %s", f.Count, st.Value.Render(safe.Text(f.Value))))
			}
		}
		facet("by type", ds.ByType)
		facet("ips", ds.IPs)
		facet("user agents", ds.UserAgents)
		if len(ds.ByType) == 0 && len(ds.IPs) == 0 {
			put(st.Dim.Render("  the key never acted in the cached events"))
		}
	}
	d.lines = out
	d.scroll = max(0, min(d.scroll, len(d.lines)-d.height))
}

func (d *dossierModel) scrollBy(n int) {
	d.scroll = max(0, min(d.scroll+n, len(d.lines)-d.height))
}

// View renders exactly height lines.
func (d dossierModel) View() string {
	out := make([]string, 0, d.height)
	for i := d.scroll; i < len(d.lines) && len(out) < d.height; i++ {
		out = append(out, fit(d.lines[i], d.width))
	}
	for len(out) < d.height {
		out = append(out, strings.Repeat(" ", d.width))
	}
	return strings.Join(out, "\n")
}
