package ui

import (
	"math"
	"strings"

	"claudit/feed"
	"claudit/ui/safe"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Overlays are dialogs on a stack (crush's dialog.Dialog and overlay
// stack): the one on top gets every key, says which keys the status line
// shows, and draws itself over the body. The state each one shows lives
// in the root's children (bar, palette, dossier, facets, note); a dialog
// is the small type that routes to it.

// dialogID names a dialog.
type dialogID int

const (
	dialogHelp dialogID = iota + 1
	dialogPalette
	dialogQuery
	dialogNote
	dialogDossier
	dialogFacets
	dialogFind
)

// dialog is one overlay.
type dialog interface {
	id() dialogID
	// handleKey gets every key (but ctrl+c) while the dialog is on top.
	handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd)
	// shortHelp is the status line's help while the dialog is on top.
	shortHelp(k KeyMap) []key.Binding
	// draw renders the body rectangle; under draws what it covers.
	draw(m Model, under func() string) string
}

// paster is a dialog that takes pasted text.
type paster interface {
	paste(m Model, msg tea.PasteMsg) Model
}

// barDrawer is a dialog that draws in the query line (the note editor,
// the find prompt) instead of the query bar.
type barDrawer interface {
	drawBar(m Model) string
}

// editLine is the keys of a one-line editor dialog (note, find): cancel
// closes it, apply closes it and applies, any other key edits the input.
func editLine(m Model, msg tea.KeyPressMsg, input func(*Model) *lineInput, apply func(Model) (Model, tea.Cmd)) (Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.closeDialog()
		return m, nil
	case key.Matches(msg, m.keys.Apply):
		m.closeDialog()
		return apply(m)
	}
	in := input(&m)
	*in = in.Update(msg)
	return m, nil
}

// promptLine draws a one-line editor after its prompt: the text
// sanitised (and masked while redacting, red non-nil), the cursor on its
// rune.
func promptLine(st *Styles, prompt string, in lineInput, red *feed.Redactor) string {
	q := st.Query
	r, pos := in.shown(red)
	at, rest := " ", ""
	if pos < len(r) {
		at, rest = string(r[pos]), string(r[pos+1:])
	}
	return q.Prompt.Render(prompt) + q.Text.Render(safe.Text(string(r[:pos]))) +
		q.Cursor.Render(safe.Text(at)) + q.Text.Render(safe.Text(rest))
}

// scroller is a dialog the mouse wheel scrolls.
type scroller interface {
	wheel(m Model, delta int) Model
}

// dialogStack is the open overlays, the top last.
type dialogStack []dialog

// top is the dialog on top, or nil.
func (s dialogStack) top() dialog {
	if len(s) == 0 {
		return nil
	}
	return s[len(s)-1]
}

// topIs reports whether the dialog on top is id.
func (s dialogStack) topIs(id dialogID) bool { return len(s) > 0 && s[len(s)-1].id() == id }

// openDialog opens d on top. The stack is copied: an older Model value keeps
// its own.
func (m *Model) openDialog(d dialog) {
	m.dialogs = append(m.dialogs[:len(m.dialogs):len(m.dialogs)], d)
}

// closeDialog closes the dialog on top.
func (m *Model) closeDialog() {
	if n := len(m.dialogs); n > 0 {
		m.dialogs = m.dialogs[: n-1 : n-1]
	}
}

// isNav reports whether a is one of the eight list-moving commands.
func isNav(a action) bool { return a >= actUp && a <= actPageUp }

// navFor is the navigation command msg is bound to (actNone if none).
// Only the navigation bindings are tried: in a list space pages down even
// while live tail would take it for pause.
func navFor(k KeyMap, msg tea.KeyPressMsg) action {
	for _, c := range registry {
		if isNav(c.id) && key.Matches(msg, *c.key(&k)) {
			return c.id
		}
	}
	return actNone
}

// listStep is how far a navigation command moves a list or text shown
// page lines at a time; top and bottom are moves past either end, which
// every list clamps. ok is false for other commands.
func listStep(a action, page int) (n int, ok bool) {
	const far = math.MaxInt32
	page = max(1, page)
	switch a {
	case actUp:
		return -1, true
	case actDown:
		return 1, true
	case actHalfDown:
		return page / 2, true
	case actHalfUp:
		return -page / 2, true
	case actPageDown:
		return page, true
	case actPageUp:
		return -page, true
	case actTop:
		return -far, true
	case actBottom:
		return far, true
	}
	return 0, false
}

// closes reports whether msg closes a read-only dialog: cancel or back.
func closes(k KeyMap, msg tea.KeyPressMsg) bool {
	return key.Matches(msg, k.Cancel) || key.Matches(msg, k.Back)
}

// helpDialog is the ? overlay; off is how far it is scrolled (it scrolls
// when the terminal is too short for it).
type helpDialog struct{ off int }

func (helpDialog) id() dialogID { return dialogHelp }

func (d helpDialog) handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	switch {
	case closes(k, msg), key.Matches(msg, k.Help):
		m.closeDialog()
	case key.Matches(msg, k.Quit):
		return m.quit()
	default:
		if n, ok := listStep(navFor(k, msg), m.helpPage()); ok {
			return d.scroll(m, n), nil
		}
	}
	return m, nil
}

func (d helpDialog) wheel(m Model, delta int) Model { return d.scroll(m, delta) }

// scroll moves the help by n lines, within its length (helpView keeps
// its last line for where it is).
func (d helpDialog) scroll(m Model, n int) Model {
	total, page := len(m.helpLines()), m.helpPage()
	d.off = max(0, min(max(0, total-page+1), d.off+n))
	m.closeDialog()
	m.openDialog(d)
	return m
}

func (helpDialog) shortHelp(k KeyMap) []key.Binding { return []key.Binding{k.Back, k.Help, k.Quit} }

func (d helpDialog) draw(m Model, _ func() string) string { return m.helpView(d.off) }

// dossierDialog is the key dossier (K).
type dossierDialog struct{}

func (dossierDialog) id() dialogID { return dialogDossier }

func (dossierDialog) handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	switch {
	case closes(k, msg):
		m.closeDialog()
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Apply):
		return m.dossierPivot()
	default:
		if n, ok := listStep(navFor(k, msg), m.dossier.height); ok {
			m.dossier.move(n)
		}
	}
	return m, nil
}

func (dossierDialog) shortHelp(k KeyMap) []key.Binding {
	return []key.Binding{k.Apply, k.Back, k.Down, k.Up, k.Quit}
}

func (dossierDialog) draw(m Model, _ func() string) string { return m.dossier.View() }

func (dossierDialog) wheel(m Model, delta int) Model {
	m.dossier.scrollBy(delta)
	return m
}

// facetsDialog is the top values view (s).
type facetsDialog struct{}

func (facetsDialog) id() dialogID { return dialogFacets }

func (facetsDialog) handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	f := &m.facets
	switch {
	case closes(k, msg):
		m.closeDialog()
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Apply):
		it, ok := f.selected()
		if !ok {
			return m, nil
		}
		m.closeDialog()
		return m.pivotTo(it.field, it.value)
	default:
		if n, ok := listStep(navFor(k, msg), f.height-2); ok {
			f.move(n)
		}
	}
	return m, nil
}

func (facetsDialog) shortHelp(k KeyMap) []key.Binding {
	return []key.Binding{k.Apply, k.Back, k.Down, k.Up, k.Quit}
}

func (facetsDialog) draw(m Model, _ func() string) string { return m.facets.View() }

func (facetsDialog) wheel(m Model, delta int) Model {
	m.facets.move(delta)
	return m
}

// paletteDialog is the : command palette.
type paletteDialog struct{}

func (paletteDialog) id() dialogID { return dialogPalette }

func (paletteDialog) handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd) {
	return m.handlePaletteKey(msg)
}

func (paletteDialog) shortHelp(k KeyMap) []key.Binding {
	return []key.Binding{k.Apply, k.Cancel, k.Next}
}

func (paletteDialog) draw(m Model, under func() string) string {
	box := m.palette.View()
	x := max(0, (m.lay.Body.W-lipgloss.Width(box))/2)
	return lipgloss.NewCompositor(
		lipgloss.NewLayer(under()),
		lipgloss.NewLayer(box).X(x).Y(1).Z(1),
	).Render()
}

func (paletteDialog) paste(m Model, msg tea.PasteMsg) Model {
	m.palette.input = m.palette.input.Update(msg)
	m.palette.refilter()
	return m
}

// queryDialog is the query bar while editing (/); it draws in the query
// line, not over the body.
type queryDialog struct{}

func (queryDialog) id() dialogID { return dialogQuery }

func (queryDialog) handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	b := &m.bar
	switch {
	case key.Matches(msg, k.Cancel):
		b.close()
		m.closeDialog()
		m.relayout()
		return m, nil
	case key.Matches(msg, k.Apply):
		q, err := b.query()
		if err != nil {
			b.err = err
			m.relayout()
			return m, nil
		}
		b.commit(q.String())
		m.closeDialog()
		m.stack, m.crumbs, b.crumbs = nil, nil, nil
		m, cmd := m.startQuery(q)
		m.relayout()
		return m, cmd
	case key.Matches(msg, k.CompletePrev):
		b.cycle(-1)
	case key.Matches(msg, k.Complete):
		if len(b.completions) > 0 && b.input.Value() == b.compValue {
			b.cycle(1)
			break
		}
		t := b.token()
		if cands, ok := staticCandidates(t); ok {
			b.setCandidates(t, cands)
			break
		}
		r := m.flight.start(reqSuggest)
		m.relayout()
		return m, suggestCmd(m.readCtx, m.deps.Source, suggestField(t.field), b.red.Unmask(t.partial), suggestValues, r)
	case key.Matches(msg, k.HistoryPrev):
		b.historyPrev()
	case key.Matches(msg, k.HistoryNext):
		b.historyNext()
	default:
		b.input = b.input.Update(msg)
		b.edited()
	}
	m.relayout()
	return m, nil
}

func (queryDialog) shortHelp(k KeyMap) []key.Binding {
	return []key.Binding{k.Apply, k.Cancel, k.Complete, k.HistoryPrev}
}

func (queryDialog) draw(_ Model, under func() string) string { return under() }

func (queryDialog) paste(m Model, msg tea.PasteMsg) Model {
	m.bar.input = m.bar.input.Update(msg)
	m.bar.edited()
	m.relayout()
	return m
}

// noteDialog is the note editor (M); it draws in the query line.
type noteDialog struct{}

func (noteDialog) id() dialogID { return dialogNote }

func (noteDialog) handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd) {
	return editLine(m, msg, func(m *Model) *lineInput { return &m.note.input }, func(m Model) (Model, tea.Cmd) {
		note := strings.TrimSpace(m.note.red.Unmask(m.note.input.Value()))
		return m, markCmd(m.base, m.deps.Source, m.note.id, true, note, m.flight.start(reqMark))
	})
}

func (noteDialog) shortHelp(k KeyMap) []key.Binding { return []key.Binding{k.Apply, k.Cancel} }

func (noteDialog) draw(_ Model, under func() string) string { return under() }

func (noteDialog) drawBar(m Model) string { return m.note.View(m.lay.Query.W, m.loc) }

func (noteDialog) paste(m Model, msg tea.PasteMsg) Model {
	m.note.input = m.note.input.Update(msg)
	return m
}
