package ui

import (
	"fmt"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	tea "charm.land/bubbletea/v2"
)

// windowPresets are the windows of the number keys 1…6.
func windowPresets() []time.Duration {
	return []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
}

// handleKey routes a key to the dialog on top, else through the command
// registry. While a dialog is open only ctrl+c is global.
func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if msg.String() == "ctrl+c" { // always, whatever quit is bound to (Rebind refuses it elsewhere)
		return m.quit()
	}
	if d := m.dialogs.top(); d != nil {
		return d.handleKey(m, msg)
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
		switch n, ok := listStep(a, d.height); {
		case a == actUp || a == actDown:
			d.selectBy(n)
		case ok:
			d.scrollBy(n)
		}
		return m, nil
	}
	t := &m.table
	switch a {
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
		n, ok := listStep(a, t.bodyHeight())
		if !ok {
			return m, nil
		}
		if n > 0 {
			m.pause()
		}
		t.move(n)
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
	// dossier, when set, is the key dossier the pivot left (dossier.go):
	// esc opens it again.
	dossier *dossierModel
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
	q, err := parseQuery(v.Query, m.names)
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
// and row the analyst left, or else clears the find.
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
		return m.clearFind() // the table's esc, with no pivot to undo
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
	if prev.dossier != nil {
		m.reopenDossier(prev.dossier)
	}
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
	return m.showDossier(id)
}

// showDossier opens the dossier of the key id (K, and :key in the palette).
func (m Model) showDossier(id string) (Model, tea.Cmd) {
	dr := m.flight.start(reqDossier)
	m.dossier.open(id)
	m.openDialog(dossierDialog{})
	return m, dossierCmd(m.readCtx, m.deps.Source, id, dr)
}

// wheelStep is how many rows one wheel notch moves.
const wheelStep = 3

func (m Model) handlePaste(msg tea.PasteMsg) (Model, tea.Cmd) {
	if d, ok := m.dialogs.top().(paster); ok {
		return d.paste(m, msg), nil
	}
	return m, nil
}

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
	case len(m.dialogs) > 0:
		if d, ok := m.dialogs.top().(scroller); ok {
			return d.wheel(m, delta), nil
		}
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
	if msg.Button != tea.MouseLeft || m.state != stateReady || len(m.dialogs) > 0 {
		return m, nil
	}
	switch {
	case m.lay.Hist.contains(msg.X, msg.Y):
		return m.histClick(msg.X - m.lay.Hist.X)
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

// emptyText explains an empty result, then names the values asked for
// that the cache lacks (nearMissText): "no events" is never confused with
// "not fetched".
func (m Model) emptyText() string { return m.coverageText() + m.nearMissText() }

// coverageText is the empty result and how much of its window the cache
// covers.
func (m Model) coverageText() string {
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
