package ui

import (
	"strings"

	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
)

// paletteModel is the `:` command palette: every action, fuzzy-filtered.
type paletteModel struct {
	input  lineInput
	items  []paletteItem
	hits   []fuzzyHit
	sel    int
	width  int
	height int
	styles *Styles
}

func newPalette(st *Styles) paletteModel {
	return paletteModel{input: lineInput{limit: 64}, styles: st}
}

// open shows the palette with the currently available actions.
func (p *paletteModel) open(items []paletteItem) {
	p.items = items
	p.input = lineInput{limit: 64}
	p.refilter()
}

// SetSize sets the area the palette box is centred in.
func (p *paletteModel) SetSize(w, h int) { p.width, p.height = max(0, w), max(0, h) }

func (p *paletteModel) refilter() {
	titles := make([]string, len(p.items))
	for i, it := range p.items {
		titles[i] = it.title
	}
	p.hits = fuzzyRank(p.input.Value(), titles)
	p.sel = 0
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
// query).
func (p paletteModel) selectedItem() (paletteItem, bool) {
	if p.sel < 0 || p.sel >= len(p.hits) {
		return paletteItem{}, false
	}
	return p.items[p.hits[p.sel].Index], true
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
	if len(p.hits) == 0 {
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
