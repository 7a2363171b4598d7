package ui

import (
	"context"
	"time"

	"claudit/feed"
	"claudit/store"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// appState is the root state machine.
type appState int

const (
	stateLoading appState = iota // first page of the query not read yet
	stateReady
	stateError // the cache could not be read: full error page with retry
)

// focus says which pane receives keys when no dialog is open.
type focus int

const (
	focusTable focus = iota
	focusDetail
)

// statusTTL is how long a status message stays on the status line.
const statusTTL = 4 * time.Second

// Model is the root model: a state machine plus a focus router over the
// components. It is a value; Update returns the next one.
type Model struct {
	deps Deps
	base context.Context
	// tick schedules status expiry and the live clock; tests replace it
	// (tea.Tick blocks).
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd

	state   appState
	loadErr error
	focus   focus
	dialogs dialogStack // the overlays; the top one gets the keys
	flight  inflight    // the last request of each kind; older results drop

	width, height int
	lay           layout
	styles        *Styles
	keys          KeyMap
	help          help.Model

	session  // the query on screen (results.go)
	liveTail // live tail state (live.go)

	find findState // the find within the results (find.go)

	// The children the root drives: the screen areas and, in overlays, the
	// state of the dialogs.
	header headerModel
	bar    queryBar
	hist   histModel
	table  tableModel
	detail detailModel
	overlays

	prefs  // what the analyst chose to see: time zone, redaction, detail pane
	status // the status line
}

// overlays are the children the dialogs show.
type overlays struct {
	dossier dossierModel
	palette paletteModel
	facets  facetsModel
	note    noteModel
}

// prefs are the analyst's display choices and the marked-event count.
type prefs struct {
	detailOpen bool
	loc        *time.Location // time.UTC or local
	local      *time.Location
	// red is the session's Redactor; redact says whether the screen and
	// exports use it.
	red    *feed.Redactor
	redact bool
	marked int // how many events the whole cache has marked (marks.go)
	// names is the directory's index (names.go); showIDs shows the ids
	// in the table instead (I).
	names   *store.Names
	showIDs bool
}

// status is the status line's message, which expires after statusTTL.
type status struct {
	statusText string
	statusErr  bool
	statusID   uint64
}

// New builds the program's root model. Nothing is read until Init's
// commands run.
func New(d Deps) Model { return newModel(context.Background(), d) }

func newModel(ctx context.Context, d Deps) Model {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.DefaultSince <= 0 {
		d.DefaultSince = 30 * 24 * time.Hour
	}
	if d.Local == nil {
		d.Local = time.Local
	}
	m := Model{
		deps:     d,
		base:     ctx,
		tick:     tea.Tick,
		keys:     DefaultKeyMap(),
		help:     help.New(),
		prefs:    prefs{local: d.Local, red: d.Redactor},
		liveTail: liveTail{hideSelf: true},
		session:  session{defaultSince: d.DefaultSince},
	}
	if m.red == nil {
		m.red = feed.NewRedactor(nil)
	}
	m.loc = m.local
	if d.UTC {
		m.loc = time.UTC
	}
	st := plainStyles()
	if !d.NoColor {
		st = NewStyles(true) // until the terminal says otherwise
	}
	// Components share one Styles by pointer: it is large, the model is
	// copied on every Update, and a Styles value is never changed in place
	// (a new background colour brings a new one).
	m.styles = &st
	m.header = headerModel{profile: d.Profile, keyLabel: d.KeyLabel, offline: d.Sync == nil, covFraction: -1}
	m.bar = newQueryBar(m.styles, "")
	m.hist = histModel{loc: m.loc}
	m.table = newTable(m.styles, m.loc, m.local)
	m.table.order = columnOrder(d.Columns)
	m.table.focused = true
	m.detail = newDetail(m.styles, m.loc)
	m.dossier = dossierModel{loc: m.loc}
	m.palette = newPalette(m.styles)
	m.facets = facetsModel{}
	m.note = newNote()
	m.applyStyles()
	m.setRedact(d.Redact)
	m.prepareQuery(d.Query, nil)
	m.flight.start(reqMarked)
	m.flight.start(reqNames)
	if km, err := m.keys.Rebind(d.KeyOverrides); err != nil {
		m.statusText, m.statusErr = "keys: "+err.Error()+" (default keys in use)", true
	} else {
		m.keys = km
	}
	m.syncKeys()
	return m
}

// Init asks for the background colour and reads the first screen and the
// number of marked events.
func (m Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.queryCmds(), m.markedCountCmd(), m.namesCmd())
}

// nextSeq is a fresh id for the table's page requests.
func (m *Model) nextSeq() uint64 { return m.flight.newID() }

// Update routes a message and then re-derives which bindings are enabled.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := m.update(msg)
	m.syncKeys()
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		oldHist := m.hist.width
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		if m.hist.width != oldHist && m.hist.width > 0 {
			m.flight.start(reqHist)
			return m, m.histCmd()
		}
		return m, nil
	case tea.BackgroundColorMsg:
		if !m.deps.NoColor {
			st := NewStyles(msg.IsDark())
			m.styles = &st
			m.applyStyles()
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		return m.handlePaste(msg)
	case tea.MouseWheelMsg:
		return m.handleWheel(msg)
	case tea.MouseClickMsg:
		return m.handleClick(msg)
	case statusExpiredMsg:
		if msg.id == m.statusID {
			m.statusText, m.statusErr = "", false
		}
		return m, nil
	}
	if m, cmd, ok := m.handleFindResult(msg); ok {
		return m, cmd
	}
	return m.handleResult(msg)
}

// setStatus shows a message on the status line until its TTL ends.
func (m *Model) setStatus(text string, isErr bool) tea.Cmd {
	m.statusID++
	m.statusText, m.statusErr = text, isErr
	id := m.statusID
	return m.tick(statusTTL, func(time.Time) tea.Msg { return statusExpiredMsg{id: id} })
}

// relayout recomputes the layout and resizes every component.
func (m *Model) relayout() {
	st := m.styles.Detail
	m.lay = computeLayout(m.width, m.height, layoutOpts{
		DetailOpen:  m.detailOpen,
		QueryLines:  m.bar.extraLines(),
		TableWant:   columnsWant(m.table.order),
		RightFrameW: st.Right.GetHorizontalFrameSize(),
		RightFrameH: st.Right.GetVerticalFrameSize(),
		BelowFrameW: st.Below.GetHorizontalFrameSize(),
		BelowFrameH: st.Below.GetVerticalFrameSize(),
	})
	l := m.lay
	m.header.width = l.Header.W
	m.bar.SetWidth(l.Query.W)
	m.hist.SetWidth(l.Hist.W)
	m.table.SetSize(l.Table.W, l.Table.H)
	m.detail.SetSize(l.DetailInner.W, l.DetailInner.H)
	m.dossier.SetSize(l.Body.W, l.Body.H)
	m.facets.SetSize(l.Body.W, l.Body.H)
	m.palette.SetSize(l.Body.W, l.Body.H)
	m.help.SetWidth(max(0, l.Body.W-4))
	if m.focus == focusDetail && !m.detailVisible() {
		m.focus = focusTable
	}
	m.table.focused = m.focus == focusTable
	m.detail.focused = m.focus == focusDetail
}

func (m Model) detailVisible() bool { return m.lay.Detail.W > 0 && m.lay.Detail.H > 0 }

// applyStyles hands the current styles to every component.
func (m *Model) applyStyles() {
	st := m.styles
	m.help.Styles = st.Help
	m.header.styles = st
	m.bar.styles = st
	m.hist.styles = st
	m.table.setStyles(st)
	m.palette.styles = st
	m.detail.styles = st
	m.detail.rebuild()
	m.dossier.styles = st
	m.dossier.rebuild()
	m.facets.styles = st
	m.note.styles = st
	m.relayout()
}

// setRedact switches screen-share mode: every component masks personal
// data with the session's Redactor, and exports pass it on.
func (m *Model) setRedact(on bool) {
	m.redact = on
	var red *feed.Redactor
	if on {
		red = m.red
	}
	m.table.setRedactor(red)
	m.detail.red, m.dossier.red, m.facets.red, m.bar.red, m.note.red = red, red, red, red, red
	m.detail.rebuild()
	m.dossier.rebuild()
}

// setLocation switches every time display between UTC and local time.
func (m *Model) setLocation(loc *time.Location) {
	m.loc = loc
	m.table.setLocation(loc)
	m.hist.loc = loc
	m.detail.loc, m.dossier.loc = loc, loc
	m.detail.rebuild()
	m.dossier.rebuild()
	from, to := m.window()
	m.header.window = describeWindow(m.query, from, to, m.defaultSince, loc)
}
