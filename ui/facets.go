package ui

import (
	"fmt"
	"strings"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"

	tea "charm.land/bubbletea/v2"
)

// facetTop is how many values each facet lists.
const facetTop = 10

// facetItem is one selectable value of the facets view.
type facetItem struct {
	field string // the query field enter pivots on: actor, type, ip, key
	value string // raw value (goes into the query)
	count int
}

// facetsModel is the s view: the top actors, types, IPs and keys of the
// current query, each a pivot.
type facetsModel struct {
	loading bool
	err     error
	query   string
	items   []facetItem
	// heads[i] is the section heading shown before items[i], if any.
	heads  map[int]string
	sel    int
	width  int
	height int
	red    *feed.Redactor
	styles *Styles
}

// open starts showing the facets of query while they load.
func (f *facetsModel) open(query string) {
	f.loading, f.err, f.query = true, nil, query
	f.items, f.heads, f.sel = nil, nil, 0
}

// set fills in the loaded facets.
func (f *facetsModel) set(fs store.Facets, err error) {
	f.loading, f.err = false, err
	f.items, f.heads = nil, map[int]string{}
	for _, sec := range []struct {
		title, field string
		vals         []store.FacetCount
	}{
		{"ACTORS", "actor", fs.Actors},
		{"TYPES", "type", fs.Types},
		{"IP ADDRESSES", "ip", fs.IPs},
		{"KEYS", "key", fs.Keys},
	} {
		if len(sec.vals) == 0 {
			continue
		}
		f.heads[len(f.items)] = sec.title
		for _, v := range sec.vals {
			f.items = append(f.items, facetItem{field: sec.field, value: v.Value, count: v.Count})
		}
	}
	f.sel = 0
}

// SetSize sets the body size the view fills.
func (f *facetsModel) SetSize(w, h int) { f.width, f.height = max(0, w), max(0, h) }

// move moves the selection.
func (f *facetsModel) move(n int) {
	if len(f.items) == 0 {
		return
	}
	f.sel = min(max(0, f.sel+n), len(f.items)-1)
}

// selected is the value under the selection.
func (f facetsModel) selected() (facetItem, bool) {
	if f.loading || f.sel < 0 || f.sel >= len(f.items) {
		return facetItem{}, false
	}
	return f.items[f.sel], true
}

// View renders exactly height lines of width cells; values are sanitised
// (and masked while redacting) here.
func (f facetsModel) View() string {
	st := f.styles
	var lines []string
	selLine := 0
	lines = append(lines, fit(st.Overlay.Title.Render("TOP VALUES ")+st.Detail.Title.Render(safeCell(f.red.String(f.query), f.width))+
		st.Detail.Dim.Render("   enter narrows the query · esc closes"), f.width))
	switch {
	case f.loading:
		lines = append(lines, fit(st.Detail.Dim.Render("counting…"), f.width))
	case f.err != nil:
		lines = append(lines, fit(st.Status.Error.Render(safeCell(f.red.String("facets failed: "+f.err.Error()), f.width)), f.width))
	case len(f.items) == 0:
		lines = append(lines, fit(st.Detail.Dim.Render("no cached events match this query"), f.width))
	}
	peak := map[string]int{}
	for _, it := range f.items {
		peak[it.field] = max(peak[it.field], it.count)
	}
	const barW = 12
	for i, it := range f.items {
		if h, ok := f.heads[i]; ok {
			lines = append(lines, strings.Repeat(" ", f.width), fit(st.Detail.Heading.Render(h), f.width))
		}
		bar := strings.Repeat("█", max(1, it.count*barW/max(1, peak[it.field])))
		text := fmt.Sprintf("  %9s  %-*s  %s", printer.Thousands(it.count), barW, bar, safeCell(redactPivot(f.red, it.field, it.value), f.width))
		if i == f.sel {
			selLine = len(lines)
			lines = append(lines, st.Detail.FieldSelected.Render(fit("›"+text[1:], f.width)))
		} else {
			lines = append(lines, st.Detail.Field.Render(fit(text, f.width)))
		}
	}
	// Scroll just enough to keep the selection on screen.
	off := max(0, min(selLine-f.height+2, len(lines)-f.height))
	out := make([]string, 0, f.height)
	if off > 0 {
		out = append(out, lines[0]) // the title stays
		off++
	}
	for i := off; i < len(lines) && len(out) < f.height; i++ {
		out = append(out, lines[i])
	}
	for len(out) < f.height {
		out = append(out, strings.Repeat(" ", f.width))
	}
	return strings.Join(out, "\n")
}

// redactPivot masks a pivot value as the raw JSON member it comes from is
// masked, so every pane shows the same mask for one value.
func redactPivot(red *feed.Redactor, field, value string) string {
	if red == nil {
		return value
	}
	switch field {
	case "type":
		return value
	case "ip":
		return red.Field("ip_address", value)
	case "actor":
		if strings.Contains(value, "@") {
			return red.Field("email_address", value)
		}
		return red.Field("actor_id", value)
	case "org":
		return red.Field("organization_id", value)
	}
	return red.Field("target_id", value)
}

type facetsMsg struct {
	req req
	f   store.Facets
	err error
}

func (m Model) openFacets() (Model, tea.Cmd) {
	r := m.flight.start(reqFacets)
	m.facets.open(m.eff.String())
	m.openDialog(facetsDialog{})
	ctx, src, q, now := m.readCtx, m.deps.Source, m.eff, m.queryNow
	return m, func() tea.Msg {
		f, err := src.Facets(ctx, q, now, facetTop)
		return facetsMsg{req: r, f: f, err: err}
	}
}
