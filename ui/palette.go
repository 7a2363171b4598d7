package ui

import (
	"fmt"
	"slices"
	"strings"

	"claudit/feed"
	"claudit/ui/safe"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// paletteModel is the `:` command palette: every action, fuzzy-filtered,
// and the aliases that take an argument, k9s-style (":actor bob@…").
type paletteModel struct {
	input lineInput
	// commands is every entry of the command list; items is the list on
	// screen: commands, or while an alias is typed its arguments.
	commands []paletteItem
	items    []paletteItem
	hits     []fuzzyHit
	sel      int
	// alias is the alias typed before a space (nil: none), arg what
	// follows it. cands are its cached values (Source.Suggest) for
	// candField, as the cache gave them; views are the saved views' names
	// and red masks what the list shows while redacting (nil: nothing).
	alias     *paletteAlias
	arg       string
	cands     []string
	candField string
	views     []string
	red       *feed.Redactor
	width     int
	height    int
	styles    *Styles
}

func newPalette(st *Styles) paletteModel {
	return paletteModel{input: lineInput{limit: 64}, styles: st}
}

// paletteAlias is a palette command that takes an argument.
type paletteAlias struct {
	name string // what is typed: "actor"
	arg  string // the argument's name in the command list: "VALUE"
	desc string // what it does, in the list's key column
	// field is the Source.Suggest field that completes the argument (""
	// when it completes from a fixed list, or not at all).
	field string
}

// paletteAliases are the palette's aliases: key opens a dossier, actor,
// type and ip put that term in the query (replacing the field's values),
// since sets the window and view applies a saved view.
func paletteAliases() []paletteAlias {
	return []paletteAlias{
		{name: "key", arg: "ID", desc: "dossier", field: "key"},
		{name: "actor", arg: "VALUE", desc: "query actor", field: "actor"},
		{name: "type", arg: "NAME", desc: "query type", field: "type"},
		{name: "ip", arg: "ADDRESS", desc: "query ip", field: "ip"},
		{name: "since", arg: "DURATION", desc: "window"},
		{name: "view", arg: "NAME", desc: "saved view"},
	}
}

// aliasNamed is the alias called name.
func aliasNamed(name string) (paletteAlias, bool) {
	for _, a := range paletteAliases() {
		if a.name == name {
			return a, true
		}
	}
	return paletteAlias{}, false
}

// open shows the palette with the currently available actions, then the
// aliases. views are the saved views' names; red masks cached values.
func (p *paletteModel) open(items []paletteItem, views []string, red *feed.Redactor) {
	p.commands = slices.Clone(items)
	for _, a := range paletteAliases() {
		p.commands = append(p.commands, paletteItem{title: a.name + " " + a.arg, keys: a.desc, alias: a.name})
	}
	p.views, p.red = views, red
	p.cands, p.candField = nil, ""
	p.input = lineInput{limit: 256}
	p.refilter()
}

// SetSize sets the area the palette box is centred in.
func (p *paletteModel) SetSize(w, h int) { p.width, p.height = max(0, w), max(0, h) }

// refilter rebuilds the list from the input: an alias and a space list the
// alias's arguments, anything else ranks the command list.
func (p *paletteModel) refilter() {
	p.sel = 0
	name, arg, ok := strings.Cut(p.input.Value(), " ")
	a, isAlias := aliasNamed(name)
	if !ok || !isAlias {
		p.alias, p.arg = nil, ""
		p.items = p.commands
		titles := make([]string, len(p.items))
		for i, it := range p.items {
			titles[i] = it.title
		}
		p.hits = fuzzyRank(p.input.Value(), titles)
		return
	}
	p.alias, p.arg = &a, strings.TrimSpace(arg)
	p.items = p.argItems()
	p.hits = make([]fuzzyHit, len(p.items))
	for i := range p.items {
		p.hits[i] = fuzzyHit{Index: i}
	}
}

// argItems lists the alias's arguments: the typed one first, then the
// known values that start with it (the cache's, most frequent first).
func (p *paletteModel) argItems() []paletteItem {
	a := *p.alias
	var known []string
	switch {
	case a.name == "since":
		known = []string{"15m", "1h", "6h", "24h", "7d", "30d"}
	case a.name == "view":
		known = p.views
	case a.field == p.candField:
		known = slices.Clone(p.cands)
	}
	if a.name == "type" && strings.HasPrefix(p.arg, "@") {
		for _, pr := range feed.Catalogue().Presets() {
			known = append(known, "@"+pr.Name)
		}
	}
	typed := p.red.Unmask(p.arg)
	item := func(v string) paletteItem {
		shown := v
		if a.field != "" {
			shown = redactPivot(p.red, a.field, v)
		}
		return paletteItem{title: a.name + " " + safe.Text(shown), keys: a.desc, alias: a.name, value: v}
	}
	var out []paletteItem
	if typed != "" {
		out = append(out, item(typed))
	}
	for _, v := range known {
		if strings.HasPrefix(strings.ToLower(v), strings.ToLower(typed)) && !strings.EqualFold(v, typed) {
			out = append(out, item(v))
		}
	}
	return out
}

// setCandidates takes the cached values of field for the alias typed.
func (p *paletteModel) setCandidates(field string, values []string) {
	p.cands, p.candField = values, field
	if p.alias != nil {
		sel := p.sel
		p.refilter()
		p.sel = min(sel, max(0, len(p.hits)-1))
	}
}

// complete puts the selected argument (the first known one when the typed
// one is selected) into the input.
func (p *paletteModel) complete() {
	if p.alias == nil || len(p.items) == 0 {
		return
	}
	it := p.items[p.sel]
	if p.sel == 0 && len(p.items) > 1 && p.arg != "" {
		it = p.items[1]
	}
	shown := it.value
	if p.alias.field != "" {
		shown = redactPivot(p.red, p.alias.field, it.value)
	}
	p.input.SetValue(p.alias.name + " " + shown)
	p.input.CursorEnd()
	p.refilter()
}

func (p *paletteModel) move(n int) {
	if len(p.hits) == 0 {
		return
	}
	p.sel = (p.sel + n + len(p.hits)) % len(p.hits)
}

// selected is the action under the selection.
func (p paletteModel) selected() (action, bool) {
	it, ok := p.selectedItem()
	return it.act, ok
}

// selectedItem is the entry under the selection (a view carries its
// query, an alias its argument).
func (p paletteModel) selectedItem() (paletteItem, bool) {
	if p.sel < 0 || p.sel >= len(p.hits) {
		return paletteItem{}, false
	}
	return p.items[p.hits[p.sel].Index], true
}

// handlePaletteKey is a key while the palette is on top.
func (m Model) handlePaletteKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	p := &m.palette
	switch {
	case key.Matches(msg, k.Cancel):
		m.closeDialog()
	case key.Matches(msg, k.Apply):
		it, ok := p.selectedItem()
		if ok && it.alias != "" && it.value == "" {
			// The alias's entry in the command list: type its argument.
			p.input.SetValue(it.alias + " ")
			p.input.CursorEnd()
			p.refilter()
			return m, m.paletteSuggest()
		}
		m.closeDialog()
		switch {
		case p.alias != nil && !ok:
			return m, m.setStatus(":"+p.alias.name+" needs "+strings.ToLower(p.alias.arg), true)
		case !ok:
			return m, nil
		case it.alias != "":
			return m.runAlias(it.alias, it.value)
		case it.act == actView:
			return m.applyView(it.view)
		}
		return m.do(it.act)
	case key.Matches(msg, k.Complete):
		p.complete()
		return m, m.paletteSuggest()
	case key.Matches(msg, k.Next):
		p.move(1)
	case key.Matches(msg, k.Prev):
		p.move(-1)
	default:
		before := p.input.Value()
		p.input = p.input.Update(msg)
		if p.input.Value() != before {
			p.refilter()
			return m, m.paletteSuggest()
		}
	}
	return m, nil
}

// paletteSuggest asks the cache for the typed alias's values, when it
// completes from the cache.
func (m *Model) paletteSuggest() tea.Cmd {
	a := m.palette.alias
	if a == nil || a.field == "" {
		return nil
	}
	r := m.flight.start(reqSuggest)
	return suggestCmd(m.readCtx, m.deps.Source, a.field, m.palette.red.Unmask(m.palette.arg), paletteSuggestions, r)
}

// paletteSuggestions is how many cached values an alias lists.
const paletteSuggestions = 20

// handlePaletteSuggest applies cached values for the alias typed.
func (m Model) handlePaletteSuggest(msg suggestMsg) (Model, tea.Cmd) {
	if !m.flight.is(msg.req) || m.palette.alias == nil {
		return m, nil
	}
	m.flight.stop(reqSuggest)
	if msg.err != nil {
		return m, m.setStatus("completion failed: "+msg.err.Error(), true)
	}
	m.palette.setCandidates(m.palette.alias.field, msg.values)
	return m, nil
}

// runAlias runs a palette alias with its argument v (unmasked).
func (m Model) runAlias(name, v string) (Model, tea.Cmd) {
	if (name == "key" || name == "actor") && feed.IsName(name, v) {
		// A name from the directory stands for its ids.
		ids, noun := m.names.TermIDs(name, v)
		if len(ids) == 0 {
			return m, m.setStatus(fmt.Sprintf("no %s named %s in the directory", noun, safe.Text(m.redactor().String(v))), true)
		}
		if name == "key" {
			return m.showDossier(ids[0])
		}
		return m.replaceTerm(name, v, ids)
	}
	switch name {
	case "key":
		return m.showDossier(v)
	case "since":
		w, err := feed.Parse("since:" + v)
		if err != nil || w.Window.Since <= 0 || strings.ContainsAny(v, " \t") {
			return m, m.setStatus(":since "+safe.Text(v)+": want a duration such as 15m, 6h or 7d", true)
		}
		return m.setWindow(w.Window.Since)
	case "view":
		for _, vw := range m.deps.Views {
			if vw.Name == v {
				return m.applyView(vw)
			}
		}
		return m, m.setStatus("no view named "+safe.Text(m.redactor().String(v)), true)
	}
	return m.replaceTerm(name, v, []string{v})
}

// replaceTerm makes values the included values of field in the query
// (any others are dropped; an exclusion of them goes too); value is what
// the analyst typed (a name stands for its ids). Like a pivot it goes on
// the stack, so esc returns.
func (m Model) replaceTerm(field, value string, values []string) (Model, tea.Cmd) {
	q := m.query
	switch field {
	case "actor":
		q.Actor.Include = nil
	case "type":
		q.Type.Include = nil
	case "ip":
		q.IP.Include = nil
	}
	nq := q
	for _, v := range values {
		nq = nq.With(field, v, false)
	}
	if nq.String() == q.String() {
		return m, m.setStatus("the query cannot take "+field+":"+safe.Text(m.redactor().String(value)), true)
	}
	if nq.String() == m.query.String() {
		return m, m.setStatus("the query already has "+field+":"+safe.Text(m.redactor().String(value)), false)
	}
	m.push(":" + field + " " + value)
	m.focus = focusTable
	m, cmd := m.startQuery(nq)
	m.relayout()
	return m, cmd
}

// boxWidth is the outer width of the palette box.
func (p paletteModel) boxWidth() int { return min(p.width, max(40, p.width/2)) }

// View renders the box (not placed; the root positions it).
func (p paletteModel) View() string {
	st := p.styles.Overlay
	box := st.Box
	outer := p.boxWidth()
	inner := max(0, outer-box.GetHorizontalFrameSize())
	rows := max(1, min(len(p.hits), p.height-box.GetVerticalFrameSize()-2))
	lines := []string{fit(st.Title.Render(": ")+safe.Text(p.input.Value())+p.styles.Query.Cursor.Render(" "), inner)}
	switch {
	case len(p.hits) > 0:
	case p.alias != nil:
		lines = append(lines, fit(st.Dim.Render("type the "+strings.ToLower(p.alias.arg)+" ("+p.alias.desc+")"), inner))
	default:
		lines = append(lines, fit(st.Dim.Render("no matching command"), inner))
	}
	start := max(0, min(p.sel-rows+1, len(p.hits)-rows))
	for i := start; i < len(p.hits) && i < start+rows; i++ {
		h := p.hits[i]
		it := p.items[h.Index]
		keys := st.Dim.Render(it.keys)
		title := highlightRunes(it.title, h.Pos, st.Item, st.Match)
		pad := max(1, inner-ansi.StringWidth(it.title)-ansi.StringWidth(it.keys))
		line := fit(title+strings.Repeat(" ", pad)+keys, inner)
		if i == p.sel {
			line = st.ItemSelected.Render(fit(it.title+strings.Repeat(" ", pad)+it.keys, inner))
		}
		lines = append(lines, line)
	}
	return box.Width(outer).Render(strings.Join(lines, "\n"))
}

// highlightRunes styles the runes at pos with hi and the rest with base.
// Titles are program text, not event text.
func highlightRunes(s string, pos []int, base, hi interface{ Render(...string) string }) string {
	if len(pos) == 0 {
		return base.Render(s)
	}
	set := make(map[int]bool, len(pos))
	for _, p := range pos {
		set[p] = true
	}
	var b strings.Builder
	for i, r := range []rune(s) {
		if set[i] {
			b.WriteString(hi.Render(string(r)))
		} else {
			b.WriteString(base.Render(string(r)))
		}
	}
	return b.String()
}
