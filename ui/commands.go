package ui

import (
	"claudit/ui/printer"
	"time"

	"claudit/feed"
	"claudit/ui/safe"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// The command registry: every action the analyst can take is one row of
// registry. Its default keys (DefaultKeyMap), its config name (Rebind,
// BindableActions), when it is enabled (syncKeys, which also hides it from
// help and the palette), its palette entry and what it does (dispatch) are
// all read from that row, as lazygit's types.Binding and k9s's KeyActions
// do. Overlays match keys through the same KeyMap, never literal strings.

// action identifies a command.
type action int

const (
	actNone action = iota
	actQuit
	actHelp
	actPalette
	actQuery
	actBack
	actRetry
	actWindow15m
	actWindow1h
	actWindow6h
	actWindow24h
	actWindow7d
	actWindow30d
	actToggleUTC
	actFollow
	actRedact
	actCopy
	actCopyJSON
	actMark
	actDossier
	actFocus
	actUp
	actDown
	actTop
	actBottom
	actHalfDown
	actHalfUp
	actPageDown
	actPageUp
	actOpen
	actPivot
	actPause
	actSelfToggle
	actFreeze
	actNote
	actContext
	actFacets
	actExport
	actFind
	actFindNext
	actFindPrev
	actTimelineMarkdown
	actTimelineCSV
	actApply
	actCancel
	actComplete
	actCompletePrev
	actHistoryPrev
	actHistoryNext
	actNext
	actPrev
	actView // apply a saved view (paletteItem.view)
	actIDs  // the table shows names or ids
	actHistPrev
	actHistNext
	actZoom
)

// command is one row of the registry.
type command struct {
	id action
	// name is the config file's [keys] name (BindableActions); "" when the
	// config cannot rebind it (the keys that edit text, palette-only rows,
	// the window presets after the first, which share its binding).
	name string
	// title is the palette entry; "" keeps the command out of the palette.
	title string
	// key is the binding that triggers the command (nil: palette only).
	// nth ≥ 0 says only the binding's nth key does (the window presets).
	key func(*KeyMap) *key.Binding
	nth int
	// keys, label and desc are the binding's defaults, given on the one row
	// that owns the binding.
	keys        []string
	label, desc string
	// enabled says when the command means something (nil: always). A
	// disabled binding matches no key and shows in neither help nor palette.
	enabled func(*Model) bool
	// run does it; nil for the keys overlays read themselves (apply,
	// cancel, complete, history, next/prev), which the root never
	// dispatches.
	run func(Model) (Model, tea.Cmd)
}

// registry is the command table, built once: its rows hold no state (run
// and enabled take the model), and key dispatch reads it on every key.
var registry []command

func init() { registry = buildCommands() }

// commands is the registry, in palette order; dispatch tries rows in this
// order too (live tail's pause comes before page down: both have space).
func buildCommands() []command {
	ready := func(m *Model) bool { return m.state == stateReady }
	hasRow := func(m *Model) bool { _, ok := m.table.selected(); return ready(m) && ok }
	window := func(i int, title string) command {
		c := command{id: actWindow15m + action(i), title: title, key: func(k *KeyMap) *key.Binding { return &k.Window }, nth: i,
			run: func(m Model) (Model, tea.Cmd) { return m.setWindow(windowPresets()[i]) }}
		if i == 0 {
			c.name, c.keys, c.label, c.desc = "window", []string{"1", "2", "3", "4", "5", "6"}, "1…6", "15m 1h 6h 24h 7d 30d"
		}
		return c
	}
	nav := func(id action, name, title string, f func(*KeyMap) *key.Binding, keys []string, label, desc string) command {
		return command{id: id, name: name, title: title, key: f, nth: -1, keys: keys, label: label, desc: desc, enabled: ready,
			run: func(m Model) (Model, tea.Cmd) { return m.navigate(id) }}
	}
	// input is a key the query bar, the palette and the note editor read.
	input := func(id action, f func(*KeyMap) *key.Binding, keys []string, label, desc string) command {
		return command{id: id, key: f, nth: -1, keys: keys, label: label, desc: desc}
	}
	return []command{
		{id: actQuery, name: "query", title: "edit query", key: func(k *KeyMap) *key.Binding { return &k.Query }, nth: -1,
			keys: []string{"/"}, label: "/", desc: "query", enabled: ready, run: Model.openQuery},
		{id: actFind, name: "find", title: "find: highlight text in the results (n/N jump)", key: func(k *KeyMap) *key.Binding { return &k.Find }, nth: -1,
			keys: []string{"ctrl+f"}, label: "ctrl+f", desc: "find", enabled: ready, run: Model.openFind},
		{id: actFindNext, name: "find_next", key: func(k *KeyMap) *key.Binding { return &k.FindNext }, nth: -1,
			keys: []string{"n"}, label: "n", desc: "next match", enabled: ready, run: Model.findNext},
		{id: actFindPrev, name: "find_prev", key: func(k *KeyMap) *key.Binding { return &k.FindPrev }, nth: -1,
			keys: []string{"N"}, label: "N", desc: "previous match", enabled: ready, run: Model.findPrev},
		window(0, "window: last 15 minutes"),
		window(1, "window: last hour"),
		window(2, "window: last 6 hours"),
		window(3, "window: last 24 hours"),
		window(4, "window: last 7 days"),
		window(5, "window: last 30 days"),
		{id: actBack, name: "back", title: "back: undo the last pivot", key: func(k *KeyMap) *key.Binding { return &k.Back }, nth: -1,
			keys: []string{"esc"}, label: "esc", desc: "back",
			enabled: func(m *Model) bool {
				return len(m.stack) > 0 || m.focus == focusDetail || len(m.dialogs) > 0 || m.find.term != ""
			},
			run: Model.back},
		{id: actOpen, name: "open", title: "open detail pane", key: func(k *KeyMap) *key.Binding { return &k.Open }, nth: -1,
			keys: []string{"enter"}, label: "enter", desc: "detail",
			enabled: func(m *Model) bool { return hasRow(m) && m.focus == focusTable }, run: Model.openDetail},
		{id: actFocus, name: "focus", title: "switch focus table/detail", key: func(k *KeyMap) *key.Binding { return &k.Focus }, nth: -1,
			keys: []string{"tab"}, label: "tab", desc: "table/detail", enabled: hasRow, run: Model.switchFocus},
		{id: actContext, name: "context", title: "context: everything ±5 minutes around the event", key: func(k *KeyMap) *key.Binding { return &k.Context }, nth: -1,
			keys: []string{"c"}, label: "c", desc: "±5m context", enabled: hasRow, run: Model.contextAround},
		{id: actDossier, name: "dossier", title: "key dossier of the selected event", key: func(k *KeyMap) *key.Binding { return &k.Dossier }, nth: -1,
			keys: []string{"K"}, label: "K", desc: "key dossier",
			enabled: func(m *Model) bool { return ready(m) && m.table.selectedHasKey() }, run: Model.openDossier},
		{id: actFacets, name: "facets", title: "top actors, types, IPs and keys (facets)", key: func(k *KeyMap) *key.Binding { return &k.Facets }, nth: -1,
			keys: []string{"s"}, label: "s", desc: "top values", enabled: ready, run: Model.openFacets},
		{id: actCopy, name: "copy", title: "copy selected value", key: func(k *KeyMap) *key.Binding { return &k.Copy }, nth: -1,
			keys: []string{"y"}, label: "y", desc: "copy value", enabled: hasRow, run: Model.copyValue},
		{id: actCopyJSON, name: "copy_json", title: "copy raw JSON", key: func(k *KeyMap) *key.Binding { return &k.CopyJSON }, nth: -1,
			keys: []string{"Y"}, label: "Y", desc: "copy JSON", enabled: hasRow, run: Model.copyJSON},
		{id: actMark, name: "mark", title: "mark / unmark event", key: func(k *KeyMap) *key.Binding { return &k.Mark }, nth: -1,
			keys: []string{"m"}, label: "m", desc: "mark", enabled: hasRow, run: Model.toggleMark},
		{id: actNote, name: "note", title: "note on the event (marks it)", key: func(k *KeyMap) *key.Binding { return &k.Note }, nth: -1,
			keys: []string{"M"}, label: "M", desc: "note", enabled: hasRow, run: Model.openNote},
		{id: actTimelineMarkdown, title: "timeline: write the marked events as Markdown", enabled: ready,
			run: func(m Model) (Model, tea.Cmd) { return m.timeline(printer.FormatMarkdown) }},
		{id: actTimelineCSV, title: "timeline: write the marked events as CSV", enabled: ready,
			run: func(m Model) (Model, tea.Cmd) { return m.timeline(printer.FormatCSV) }},
		{id: actExport, name: "export", title: "export evidence bundle (marked events, else the query)", key: func(k *KeyMap) *key.Binding { return &k.Export }, nth: -1,
			keys: []string{"ctrl+s"}, label: "ctrl+s", desc: "export evidence",
			enabled: func(m *Model) bool { return ready(m) && m.deps.Export != nil }, run: Model.export},
		{id: actFollow, name: "follow", title: "live tail: follow new events", key: func(k *KeyMap) *key.Binding { return &k.Follow }, nth: -1,
			keys: []string{"f"}, label: "f", desc: "live", enabled: ready, run: Model.toggleLive},
		{id: actPause, name: "pause", title: "live tail: pause / resume", key: func(k *KeyMap) *key.Binding { return &k.Pause }, nth: -1,
			keys: []string{"space"}, label: "space", desc: "pause/resume",
			enabled: func(m *Model) bool { return ready(m) && m.live }, run: Model.togglePause},
		{id: actSelfToggle, name: "self", title: "show / hide claudit's own API calls", key: func(k *KeyMap) *key.Binding { return &k.SelfToggle }, nth: -1,
			keys: []string{"S"}, label: "S", desc: "own API calls", enabled: ready, run: Model.toggleSelf},
		{id: actFreeze, name: "freeze", title: "freeze the window into absolute bounds", key: func(k *KeyMap) *key.Binding { return &k.Freeze }, nth: -1,
			keys: []string{"F"}, label: "F", desc: "freeze window",
			enabled: func(m *Model) bool { return ready(m) && m.query.Window.From.IsZero() && m.query.Window.To.IsZero() },
			run:     Model.freeze},
		{id: actToggleUTC, name: "utc", title: "toggle UTC / local time", key: func(k *KeyMap) *key.Binding { return &k.ToggleUTC }, nth: -1,
			keys: []string{"t"}, label: "t", desc: "UTC/local", run: Model.toggleUTC},
		{id: actRedact, name: "redact", title: "redact personal data (screen share)", key: func(k *KeyMap) *key.Binding { return &k.Redact }, nth: -1,
			keys: []string{"R"}, label: "R", desc: "redact", enabled: ready, run: Model.toggleRedact},
		{id: actIDs, name: "ids", title: "table: names from the directory / ids", key: func(k *KeyMap) *key.Binding { return &k.IDs }, nth: -1,
			keys: []string{"I"}, label: "I", desc: "names/ids", enabled: ready, run: Model.toggleIDs},
		{id: actHistPrev, name: "hist_prev", title: "histogram: cursor to the older bucket", key: func(k *KeyMap) *key.Binding { return &k.HistPrev }, nth: -1,
			keys: []string{"["}, label: "[", desc: "older bucket", enabled: (*Model).histUsable,
			run: func(m Model) (Model, tea.Cmd) { return m.histStep(-1) }},
		{id: actHistNext, name: "hist_next", title: "histogram: cursor to the newer bucket", key: func(k *KeyMap) *key.Binding { return &k.HistNext }, nth: -1,
			keys: []string{"]"}, label: "]", desc: "newer bucket", enabled: (*Model).histUsable,
			run: func(m Model) (Model, tea.Cmd) { return m.histStep(1) }},
		{id: actZoom, name: "zoom", title: "zoom into bucket", key: func(k *KeyMap) *key.Binding { return &k.Zoom }, nth: -1,
			keys: []string{"z"}, label: "z", desc: "zoom into bucket", enabled: (*Model).histUsable, run: Model.zoom},
		nav(actTop, "top", "go to newest", func(k *KeyMap) *key.Binding { return &k.Top }, []string{"g", "home"}, "g", "top"),
		nav(actBottom, "bottom", "go to oldest", func(k *KeyMap) *key.Binding { return &k.Bottom }, []string{"G", "end"}, "G", "bottom"),
		{id: actRetry, name: "retry", title: "retry", key: func(k *KeyMap) *key.Binding { return &k.Retry }, nth: -1,
			keys: []string{"r"}, label: "r", desc: "retry", enabled: func(m *Model) bool { return m.state == stateError }, run: Model.retry},
		{id: actHelp, name: "help", title: "help", key: func(k *KeyMap) *key.Binding { return &k.Help }, nth: -1,
			keys: []string{"?"}, label: "?", desc: "help", enabled: ready, run: Model.openHelp},
		{id: actQuit, name: "quit", title: "quit", key: func(k *KeyMap) *key.Binding { return &k.Quit }, nth: -1,
			keys: []string{"q", "ctrl+c"}, label: "q", desc: "quit", run: Model.quit},
		{id: actPalette, name: "palette", key: func(k *KeyMap) *key.Binding { return &k.Palette }, nth: -1,
			keys: []string{":"}, label: ":", desc: "command", enabled: ready, run: Model.openPalette},

		nav(actUp, "up", "", func(k *KeyMap) *key.Binding { return &k.Up }, []string{"k", "up"}, "↑/k", "up"),
		nav(actDown, "down", "", func(k *KeyMap) *key.Binding { return &k.Down }, []string{"j", "down"}, "↓/j", "down"),
		nav(actHalfDown, "half_down", "", func(k *KeyMap) *key.Binding { return &k.HalfDown }, []string{"ctrl+d"}, "ctrl+d", "half page down"),
		nav(actHalfUp, "half_up", "", func(k *KeyMap) *key.Binding { return &k.HalfUp }, []string{"ctrl+u"}, "ctrl+u", "half page up"),
		nav(actPageDown, "page_down", "", func(k *KeyMap) *key.Binding { return &k.PageDown }, []string{"pgdown", "space"}, "pgdn", "page down"),
		nav(actPageUp, "page_up", "", func(k *KeyMap) *key.Binding { return &k.PageUp }, []string{"pgup"}, "pgup", "page up"),
		{id: actPivot, name: "pivot", key: func(k *KeyMap) *key.Binding { return &k.Pivot }, nth: -1,
			keys: []string{"enter"}, label: "enter", desc: "narrow to value",
			enabled: func(m *Model) bool { return ready(m) && m.focus == focusDetail && len(m.detail.fields) > 0 },
			run:     Model.pivot},

		input(actApply, func(k *KeyMap) *key.Binding { return &k.Apply }, []string{"enter"}, "enter", "apply"),
		input(actCancel, func(k *KeyMap) *key.Binding { return &k.Cancel }, []string{"esc"}, "esc", "cancel"),
		input(actComplete, func(k *KeyMap) *key.Binding { return &k.Complete }, []string{"tab"}, "tab", "complete"),
		input(actCompletePrev, func(k *KeyMap) *key.Binding { return &k.CompletePrev }, []string{"shift+tab"}, "shift+tab", "previous completion"),
		input(actHistoryPrev, func(k *KeyMap) *key.Binding { return &k.HistoryPrev }, []string{"up"}, "↑", "older query"),
		input(actHistoryNext, func(k *KeyMap) *key.Binding { return &k.HistoryNext }, []string{"down"}, "↓", "newer query"),
		input(actNext, func(k *KeyMap) *key.Binding { return &k.Next }, []string{"down", "ctrl+n"}, "↓", "next"),
		input(actPrev, func(k *KeyMap) *key.Binding { return &k.Prev }, []string{"up", "ctrl+p"}, "↑", "previous"),
	}
}

// commandFor is the registry row of a.
func commandFor(a action) (command, bool) {
	for _, c := range registry {
		if c.id == a {
			return c, true
		}
	}
	return command{}, false
}

// commandForKey is the command an enabled binding maps msg to.
func (m Model) commandForKey(msg tea.KeyPressMsg) (command, bool) {
	k := m.keys
	for _, c := range registry {
		if c.key == nil || c.run == nil {
			continue
		}
		b := c.key(&k)
		if !key.Matches(msg, *b) {
			continue
		}
		if c.nth >= 0 {
			if ks := b.Keys(); c.nth >= len(ks) || ks[c.nth] != msg.String() {
				continue
			}
		}
		return c, true
	}
	return command{}, false
}

// do runs the command a; keys and the palette both end here.
func (m Model) do(a action) (Model, tea.Cmd) {
	c, ok := commandFor(a)
	if !ok || c.run == nil {
		return m, nil
	}
	return c.run(m)
}

// syncKeys enables exactly the bindings that mean something now, so key
// matching, help and the palette agree with the screen.
func (m *Model) syncKeys() {
	for _, c := range registry {
		if c.key == nil || c.keys == nil {
			continue
		}
		c.key(&m.keys).SetEnabled(c.enabled == nil || c.enabled(m))
	}
}

// paletteItem is one palette entry.
type paletteItem struct {
	act   action
	title string
	keys  string
	view  View // for actView
	// alias names a palette alias (palette.go): its entry in the command
	// list, or, with value, one argument to run it with.
	alias string
	value string
}

// paletteItems lists every saved view, then every command with a title and
// the key that also triggers it. Disabled commands drop their entry. A
// view's query is shown through red (nil: as written).
func (m *Model) paletteItems(red *feed.Redactor) []paletteItem {
	var out []paletteItem
	k := &m.keys
	if k.Query.Enabled() {
		for _, v := range m.deps.Views {
			out = append(out, paletteItem{act: actView, title: viewTitle(v, red), view: v})
		}
	}
	for _, c := range registry {
		if c.title == "" {
			continue
		}
		keys := ""
		if c.key == nil {
			if c.enabled != nil && !c.enabled(m) {
				continue
			}
		} else {
			b := c.key(k)
			if !b.Enabled() {
				continue
			}
			keys = b.Help().Key
			if c.nth >= 0 {
				keys = ""
				if ks := b.Keys(); c.nth < len(ks) {
					keys = ks[c.nth]
				}
			}
		}
		out = append(out, paletteItem{act: c.id, title: c.title, keys: keys})
	}
	return out
}

// viewTitle is a view's palette entry. The name and query come from the
// analyst's config file, and are sanitised like any text from outside.
func viewTitle(v View, red *feed.Redactor) string {
	return "view " + safe.Text(red.String(v.Name)) + " — " + safe.Text(red.String(v.Query))
}

// The run funcs of the registry that are not methods elsewhere.

func (m Model) openHelp() (Model, tea.Cmd) {
	m.openDialog(helpDialog{})
	return m, nil
}

func (m Model) openPalette() (Model, tea.Cmd) {
	views := make([]string, len(m.deps.Views))
	for i, v := range m.deps.Views {
		views[i] = v.Name
	}
	m.palette.open(m.paletteItems(m.redactor()), views, m.redactor())
	m.openDialog(paletteDialog{})
	return m, nil
}

func (m Model) openQuery() (Model, tea.Cmd) {
	m.bar.open()
	m.openDialog(queryDialog{})
	m.relayout()
	return m, nil
}

func (m Model) retry() (Model, tea.Cmd) {
	if m.state == stateError {
		return m.startQuery(m.query)
	}
	return m, nil
}

func (m Model) setWindow(d time.Duration) (Model, tea.Cmd) {
	m, cmd := m.startQuery(m.query.WithWindow(feed.Window{Since: d}))
	return m, tea.Batch(cmd, m.setStatus("window: last "+shortDuration(d), false))
}

func (m Model) toggleUTC() (Model, tea.Cmd) {
	if m.loc == time.UTC {
		m.setLocation(m.local)
		return m, m.setStatus("times in local time", false)
	}
	m.setLocation(time.UTC)
	return m, m.setStatus("times in UTC", false)
}

func (m Model) toggleRedact() (Model, tea.Cmd) {
	m.setRedact(!m.redact)
	if m.redact {
		return m, m.setStatus("redacting: e-mails, IPs, user agents and ids are masked on screen and in exports", false)
	}
	return m, m.setStatus("redaction off", false)
}

func (m Model) copyJSON() (Model, tea.Cmd) {
	r, ok := m.table.selected()
	if !ok {
		return m, nil
	}
	if m.redact {
		return m, tea.Batch(tea.SetClipboard(string(m.red.JSON(r.Raw))), m.setStatus("copied raw JSON (redacted)", false))
	}
	return m, tea.Batch(tea.SetClipboard(string(r.Raw)), m.setStatus("copied raw JSON", false))
}

func (m Model) toggleMark() (Model, tea.Cmd) {
	r, ok := m.table.selected()
	if !ok {
		return m, nil
	}
	return m, markCmd(m.base, m.deps.Source, r.ID, !r.Marked, "", m.flight.start(reqMark))
}

func (m Model) switchFocus() (Model, tea.Cmd) {
	if m.focus == focusDetail {
		m.focus = focusTable
	} else {
		m.focus, m.detailOpen = focusDetail, true
	}
	m.relayout()
	return m, nil
}

// openDetail is enter on the table (and, from the palette with the detail
// focused, a pivot).
func (m Model) openDetail() (Model, tea.Cmd) {
	if m.focus == focusDetail {
		return m.pivot()
	}
	m.focus, m.detailOpen = focusDetail, true
	m.relayout()
	return m, nil
}
