package ui

import (
	"fmt"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// windowPresets are the windows of the number keys 1…6.
func windowPresets() []time.Duration {
	return []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
}

// handleKey routes a key by overlay first, then by focus. While an input
// has focus only ctrl+c is global.
func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if msg.String() == "ctrl+c" { // always, whatever quit is bound to (Rebind refuses it elsewhere)
		return m.quit()
	}
	switch m.overlay {
	case overlayQuery:
		return m.handleQueryKey(msg)
	case overlayPalette:
		return m.handlePaletteKey(msg)
	case overlayDossier:
		return m.handleDossierKey(msg)
	case overlayHelp:
		return m.handleHelpKey(msg)
	case overlayFacets:
		return m.handleFacetsKey(msg)
	case overlayNote:
		return m.handleNoteKey(msg)
	}
	if c, ok := m.commandForKey(msg); ok {
		return c.run(m)
	}
	return m, nil
}

func (m Model) quit() (Model, tea.Cmd) {
	if m.cancelQuery != nil {
		m.cancelQuery()
	}
	return m, tea.Quit
}

// navigate moves the table cursor or, with the detail focused, the pivot
// selection and scroll.
func (m Model) navigate(a action) (Model, tea.Cmd) {
	if m.focus == focusDetail {
		d := &m.detail
		page := max(1, d.height)
		switch a {
		case actUp:
			d.selectBy(-1)
		case actDown:
			d.selectBy(1)
		case actTop:
			d.scroll = 0
		case actBottom:
			d.scrollBy(len(d.lines))
		case actHalfDown:
			d.scrollBy(page / 2)
		case actHalfUp:
			d.scrollBy(-page / 2)
		case actPageDown:
			d.scrollBy(page)
		case actPageUp:
			d.scrollBy(-page)
		}
		return m, nil
	}
	t := &m.table
	page := max(1, t.bodyHeight())
	switch a {
	case actUp:
		t.move(-1)
	case actDown:
		m.pause()
		t.move(1)
	case actHalfDown:
		m.pause()
		t.move(page / 2)
	case actHalfUp:
		t.move(-page / 2)
	case actPageDown:
		m.pause()
		t.move(page)
	case actPageUp:
		t.move(-page)
	case actTop:
		return m, m.gotoTop()
	case actBottom:
		m.pause()
		if t.atOldest {
			t.move(len(t.rows))
			break
		}
		t.reloadSeq = m.nextSeq()
		return m, searchCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, store.Cursor{}, store.Newer, pageSize, t.reloadSeq, fetchBottom)
	default:
		return m, nil
	}
	return m, m.afterMove()
}

// gotoTop moves to the newest row, reading it if the window is elsewhere.
func (m *Model) gotoTop() tea.Cmd {
	t := &m.table
	if t.atNewest || !t.loaded {
		t.move(-len(t.rows))
		return m.afterMove()
	}
	t.reloadSeq = m.nextSeq()
	return searchCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, store.Cursor{}, store.Older, pageSize, t.reloadSeq, fetchReload)
}

// stackEntry is one level of the pivot stack: the query the analyst left
// and the row they were on, so esc returns to exactly that place.
type stackEntry struct {
	query  feed.Query
	row    store.Row
	hasRow bool
}

// pivot narrows the query to the selected detail field.
func (m Model) pivot() (Model, tea.Cmd) {
	f, ok := m.detail.selectedField()
	if !ok {
		return m, nil
	}
	return m.pivotTo(f.Field, f.Value)
}

// pivotTo narrows the query to field:value and remembers the previous
// query on the stack.
func (m Model) pivotTo(field, value string) (Model, tea.Cmd) {
	nq := m.query.With(field, value, false)
	if nq.String() == m.query.String() {
		// With refuses values the query language cannot express and
		// ignores terms the query already has.
		return m, m.setStatus("the query already has, or cannot take, "+field+":"+value, true)
	}
	m.push("+" + field + ":" + value)
	m.focus = focusTable
	m, cmd := m.startQuery(nq)
	m.relayout()
	return m, cmd
}

// applyView makes a saved view's query current. Like a pivot it goes on
// the stack, so esc returns to the query and row the analyst left.
func (m Model) applyView(v View) (Model, tea.Cmd) {
	name := safe.Text(m.redactor().String(v.Name))
	q, err := feed.Parse(v.Query)
	if err != nil {
		return m, m.setStatus("view "+name+": "+err.Error(), true)
	}
	if q.String() == m.query.String() {
		return m, m.setStatus("already showing view "+name, false)
	}
	m.push("view " + name)
	m.focus = focusTable
	m, cmd := m.startQuery(q)
	m.relayout()
	return m, tea.Batch(cmd, m.setStatus("view "+name+" · esc returns", false))
}

// push puts the current query and row on the pivot stack under a crumb.
func (m *Model) push(crumb string) {
	if len(m.stack) == 0 {
		base := m.query.String()
		if base == "" {
			base = "everything"
		}
		m.crumbs = []string{base}
	}
	r, ok := m.table.selected()
	m.stack = append(m.stack, stackEntry{query: m.query, row: r, hasRow: ok})
	m.crumbs = append(m.crumbs, crumb)
	m.bar.crumbs = m.crumbs
}

// contextSpan is how far the context view reaches on each side of an event.
const contextSpan = 5 * time.Minute

// contextAround shows everything within ±5 minutes of the selected event,
// across all actors, with the cursor on the event; esc returns.
func (m Model) contextAround() (Model, tea.Cmd) {
	r, ok := m.table.selected()
	if !ok {
		return m, nil
	}
	nq := feed.Query{}.WithWindow(feed.Window{From: r.CreatedAt.Add(-contextSpan), To: r.CreatedAt.Add(contextSpan)})
	m.push("context ±5m of " + r.CreatedAt.In(m.loc).Format("15:04:05"))
	m.focus = focusTable
	m.pause() // the event stays under the cursor while live events arrive
	m, cmd := m.startQueryAt(nq, &r)
	m.relayout()
	return m, tea.Batch(cmd, m.setStatus("everything within 5 minutes of the event · esc returns", false))
}

// back leaves the detail pane, or pops the pivot stack back to the query
// and row the analyst left.
func (m Model) back() (Model, tea.Cmd) {
	if m.focus == focusDetail {
		m.focus = focusTable
		if !m.lay.DetailRight {
			m.detailOpen = false
		}
		m.relayout()
		return m, nil
	}
	if len(m.stack) == 0 {
		return m, nil
	}
	prev := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	m.crumbs = m.crumbs[:len(m.crumbs)-1]
	if len(m.stack) == 0 {
		m.crumbs = nil
	}
	m.bar.crumbs = m.crumbs
	var anchor *store.Row
	if prev.hasRow {
		anchor = &prev.row
		m.pause()
	}
	m, cmd := m.startQueryAt(prev.query, anchor)
	m.relayout()
	return m, cmd
}

// copyValue copies the selected pivot value (detail focus) or the
// activity id (table focus) through OSC 52.
func (m Model) copyValue() (Model, tea.Cmd) {
	r, ok := m.table.selected()
	if !ok {
		return m, nil
	}
	what, value := "activity id", r.ID
	if f, ok := m.detail.selectedField(); ok && m.focus == focusDetail {
		what, value = f.Label, f.Value
		if m.redact {
			what, value = f.Label+" (redacted)", redactPivot(m.red, f.Field, f.Value)
		}
	}
	return m, tea.Batch(tea.SetClipboard(value), m.setStatus("copied "+what, false))
}

// openDossier shows the dossier of the key selected in the detail pane or
// else of the first key the selected event mentions.
func (m Model) openDossier() (Model, tea.Cmd) {
	r, ok := m.table.selected()
	if !ok {
		return m, nil
	}
	keys := r.KeyMentions()
	if len(keys) == 0 {
		return m, m.setStatus("this event mentions no key", true)
	}
	id := keys[0].ID
	if f, ok := m.detail.selectedField(); ok && m.focus == focusDetail && f.Field == "key" {
		id = f.Value
	}
	seq := m.nextSeq()
	m.dossier.open(id, seq)
	m.overlay = overlayDossier
	return m, dossierCmd(m.readCtx, m.deps.Source, id, seq)
}

func (m Model) handleQueryKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	b := &m.bar
	switch {
	case key.Matches(msg, k.Cancel):
		b.close()
		m.overlay = overlayNone
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
		m.overlay = overlayNone
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
		b.suggestSeq = m.nextSeq()
		m.relayout()
		return m, suggestCmd(m.readCtx, m.deps.Source, suggestField(t.field), b.red.Unmask(t.partial), 20, b.suggestSeq)
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

func (m Model) handlePaletteKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	p := &m.palette
	switch {
	case key.Matches(msg, k.Cancel):
		m.overlay = overlayNone
		return m, nil
	case key.Matches(msg, k.Apply):
		it, ok := p.selectedItem()
		m.overlay = overlayNone
		if !ok {
			return m, nil
		}
		if it.act == actView {
			return m.applyView(it.view)
		}
		return m.do(it.act)
	case key.Matches(msg, k.Next):
		p.move(1)
	case key.Matches(msg, k.Prev):
		p.move(-1)
	default:
		p.input = p.input.Update(msg)
		p.refilter()
	}
	return m, nil
}

func (m Model) handleDossierKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	d := &m.dossier
	page := max(1, d.height)
	switch {
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Back):
		m.overlay = overlayNone
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Down):
		d.scrollBy(1)
	case key.Matches(msg, k.Up):
		d.scrollBy(-1)
	case key.Matches(msg, k.HalfDown):
		d.scrollBy(page / 2)
	case key.Matches(msg, k.HalfUp):
		d.scrollBy(-page / 2)
	case key.Matches(msg, k.PageDown):
		d.scrollBy(page)
	case key.Matches(msg, k.PageUp):
		d.scrollBy(-page)
	case key.Matches(msg, k.Top):
		d.scroll = 0
	case key.Matches(msg, k.Bottom):
		d.scrollBy(len(d.lines))
	}
	return m, nil
}

func (m Model) handleHelpKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Back), key.Matches(msg, k.Help):
		m.overlay = overlayNone
	case key.Matches(msg, k.Quit):
		return m.quit()
	}
	return m, nil
}

func (m Model) handlePaste(msg tea.PasteMsg) (Model, tea.Cmd) {
	switch m.overlay {
	case overlayQuery:
		m.bar.input = m.bar.input.Update(msg)
		m.bar.edited()
		m.relayout()
	case overlayPalette:
		m.palette.input = m.palette.input.Update(msg)
		m.palette.refilter()
	case overlayNote:
		m.note.input = m.note.input.Update(msg)
	}
	return m, nil
}

// wheelStep is how many rows one wheel notch moves.
const wheelStep = 3

func (m Model) handleWheel(msg tea.MouseWheelMsg) (Model, tea.Cmd) {
	var delta int
	switch msg.Button {
	case tea.MouseWheelDown:
		delta = wheelStep
	case tea.MouseWheelUp:
		delta = -wheelStep
	default:
		return m, nil
	}
	switch {
	case m.state != stateReady:
		return m, nil
	case m.overlay == overlayDossier:
		m.dossier.scrollBy(delta)
	case m.overlay == overlayFacets:
		m.facets.move(delta)
	case m.overlay != overlayNone:
	case m.lay.Detail.contains(msg.X, msg.Y):
		m.detail.scrollBy(delta)
	case m.lay.Table.contains(msg.X, msg.Y):
		if delta > 0 {
			m.pause()
		}
		m.table.move(delta)
		return m, m.afterMove()
	}
	return m, nil
}

func (m Model) handleClick(msg tea.MouseClickMsg) (Model, tea.Cmd) {
	if msg.Button != tea.MouseLeft || m.state != stateReady || m.overlay != overlayNone {
		return m, nil
	}
	switch {
	case m.lay.Table.contains(msg.X, msg.Y):
		m.focus = focusTable
		if i, ok := m.table.rowAt(msg.Y - m.lay.Table.Y); ok {
			if i != m.table.cursor {
				m.pause()
			}
			m.table.cursor = i
			m.table.ensureVisible()
		}
		m.relayout()
		return m, m.afterMove()
	case m.lay.Detail.contains(msg.X, msg.Y):
		m.focus = focusDetail
		m.detail.clickLine(msg.Y - m.lay.DetailInner.Y)
		m.relayout()
	}
	return m, nil
}

// emptyText explains an empty result: "no events" is never confused with
// "not fetched".
func (m Model) emptyText() string {
	win := m.header.window
	pct := int(m.header.covFraction * 100)
	switch {
	case m.header.covFraction < 0:
		return fmt.Sprintf("0 cached events in %s (measuring what the cache covers…)", win)
	case m.header.covFraction < 1 && m.header.syncing:
		return fmt.Sprintf("0 events in %s so far (cache covers %d%% of it; fetching…)", win, pct)
	case m.header.covFraction < 1:
		return fmt.Sprintf("0 events in %s (cache covers only %d%% of it)", win, pct)
	}
	return fmt.Sprintf("0 events in %s (cache covers 100%% of it)", win)
}
