package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Find within the results, as less and lnav have it (ctrl+f, then n and
// N): a term that marks the rows holding it and that n and N jump between,
// across the whole result, without changing the query. The term matches
// as free text does in the query language (store.TextMatches over the
// loaded rows, store.FindSearch and FindCount beyond them), so the marks,
// the jumps and the count agree. n goes down the table (older), N up; both
// wrap at the ends with a status line saying so.

// findLimit bounds the find term in runes.
const findLimit = 256

// findCountCap bounds the first count of matches: past it the count shows
// as "≥ 1,000" until the exact count in the background ends.
const findCountCap = 1000

// findState is the find on screen.
type findState struct {
	term  string    // the real term ("" = no find); while redacting, masks typed are mapped back
	input lineInput // the prompt's text while the find dialog is open
	// ctx is the context of the find's reads, a child of the query's
	// reads: a new term or a new query cancels them.
	ctx    context.Context
	cancel context.CancelFunc
	// total is the number of matches in the result; capped says it is a
	// lower bound (the exact count then runs in the background).
	total              int
	totalKnown, capped bool
	// rank is the position (1-based, in the table's order) among the
	// matches of the row rankAt; 0 while unknown.
	rank   int
	rankAt store.Cursor
	// posAt, when not zero, is a match the window moved to and pos the
	// number of the query's rows above it: the table's position, once
	// the window around it is read (applyFindPos).
	posAt store.Cursor
	pos   int
}

// rankOf is the rank of the match at c, 0 if unknown.
func (f findState) rankOf(c store.Cursor) int {
	if f.rank > 0 && f.rankAt == c {
		return f.rank
	}
	return 0
}

// findDialog is the find prompt (ctrl+f); it draws in the query line.
type findDialog struct{}

func (findDialog) id() dialogID { return dialogFind }

func (findDialog) handleKey(m Model, msg tea.KeyPressMsg) (Model, tea.Cmd) {
	return editLine(m, msg, func(m *Model) *lineInput { return &m.find.input }, func(m Model) (Model, tea.Cmd) {
		return m.setFind(m.redactor().Unmask(m.find.input.Value()))
	})
}

func (findDialog) shortHelp(k KeyMap) []key.Binding { return []key.Binding{k.Apply, k.Cancel} }

func (findDialog) draw(_ Model, under func() string) string { return under() }

func (findDialog) drawBar(m Model) string {
	line := promptLine(m.styles, "find: ", m.find.input, m.redactor()) +
		m.styles.Query.Total.Render("   enter finds · empty clears · n/N next/previous")
	return fit(line, m.lay.Query.W)
}

func (findDialog) paste(m Model, msg tea.PasteMsg) Model {
	m.find.input = m.find.input.Update(msg)
	return m
}

// openFind opens the find prompt with the current term (masked while
// redacting).
func (m Model) openFind() (Model, tea.Cmd) {
	m.find.input = lineInput{limit: findLimit}
	m.find.input.SetValue(m.redactor().String(m.find.term))
	m.find.input.CursorEnd()
	m.openDialog(findDialog{})
	return m, nil
}

// setFind makes term the find (an empty or blank term clears it), marks
// the loaded rows that hold it, counts the matches and goes to the first
// one at or below the cursor.
func (m Model) setFind(term string) (Model, tea.Cmd) {
	if strings.TrimSpace(term) == "" {
		return m.clearFind()
	}
	m.find.term = term
	m.table.setFind(term)
	m.restartFind()
	count := m.findCount(m.flight.get(reqMatches), findCountCap)
	m, jump := m.findStep(true, true)
	return m, tea.Batch(count, jump)
}

// clearFind drops the find: no marks, no count, n and N say so.
func (m Model) clearFind() (Model, tea.Cmd) {
	had := m.find.term != ""
	m.find.term = ""
	m.table.setFind("")
	m.restartFind()
	if !had {
		return m, nil
	}
	return m, m.setStatus("find cleared", false)
}

// restartFind forgets the counts and the step in flight; a new query's
// reads (prepareReads) and a new term both start here. With a term it
// reserves the first count (findCount builds it).
func (m *Model) restartFind() {
	m.renewFindCtx()
	m.find.total, m.find.totalKnown, m.find.capped = 0, false, false
	m.find.rank, m.find.rankAt = 0, store.Cursor{}
	m.find.posAt = store.Cursor{}
	m.flight.stop(reqFindPos)
	m.flight.stop(reqFind)
	m.flight.stop(reqMatches)
	m.flight.stop(reqFindRank)
	if m.find.term != "" {
		m.flight.start(reqMatches)
	}
}

// renewFindCtx cancels the counts in flight and makes a context for the
// next ones.
func (m *Model) renewFindCtx() {
	if m.find.cancel != nil {
		m.find.cancel()
	}
	m.find.ctx, m.find.cancel = nil, nil
	if m.find.term != "" && m.readCtx != nil {
		m.find.ctx, m.find.cancel = context.WithCancel(m.readCtx)
	}
}

// recountFind counts the matches again after the cache changed (refresh),
// and the rank of the match the cursor is on (new rows may sit above it),
// the old numbers shown meanwhile. A step in flight goes on.
func (m *Model) recountFind() tea.Cmd {
	if m.find.term == "" {
		return nil
	}
	m.find.posAt = store.Cursor{} // counted before the cache changed
	m.renewFindCtx()
	cmds := []tea.Cmd{m.countMatches(findCountCap)}
	if !m.find.rankAt.IsZero() {
		cmds = append(cmds, m.findRankCmd(m.find.rankAt))
	}
	return tea.Batch(cmds...)
}

// findNext is n: the next match down the table.
func (m Model) findNext() (Model, tea.Cmd) { return m.findStep(true, false) }

// findPrev is N: the next match up the table.
func (m Model) findPrev() (Model, tea.Cmd) { return m.findStep(false, false) }

// findStep moves to the nearest match below (older) or above the cursor,
// the cursor's own row too when inclusive: within the loaded window when
// it holds one, else from the store, wrapping at the end of the result.
func (m Model) findStep(older, inclusive bool) (Model, tea.Cmd) {
	t := &m.table
	if m.find.term == "" {
		k := m.keys.Find.Help().Key
		return m, m.setStatus("nothing to find: "+k+" sets the text to find", true)
	}
	if !t.loaded || t.reloadSeq != 0 || m.flight.pending(reqFind) {
		// The window is about to move (a step or a reload in flight):
		// stepping from where it was would find the same match again.
		return m, nil
	}
	sel, ok := t.selected()
	if !ok {
		return m, m.setStatus("no match for "+m.findShown()+": the result is empty", true)
	}
	rank := m.find.rankOf(sel.Cursor())
	if inclusive && t.rows[t.cursor].match {
		return m.landOnMatch(t.cursor, rank, false, older)
	}
	switch {
	case rank > 0 && older:
		rank++
	case rank > 0:
		rank--
	}
	if i, ok := t.nearestMatch(t.cursor, older); ok {
		return m.landOnMatch(i, rank, false, older)
	}
	end := t.atOldest
	if !older {
		end = t.atNewest
	}
	var from store.Cursor
	switch {
	case !end && older:
		from = t.rows[len(t.rows)-1].Cursor()
	case !end:
		from = t.rows[0].Cursor()
	case t.atOldest && t.atNewest:
		// The window is the whole result: wrap within it.
		start := -1
		if !older {
			start = len(t.rows)
		}
		if i, ok := t.nearestMatch(start, older); ok {
			return m.landOnMatch(i, m.wrapRank(older), true, older)
		}
		return m, m.setStatus("no match for "+m.findShown(), true)
	}
	// The store reads the next match beyond the window; or, when this end
	// of the result is loaded (from is zero), the first from the other end.
	m.pause()
	r := m.flight.start(reqFind)
	return m, findCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, m.find.term, from, older, rank, r)
}

// wrapRank is the rank of the first match after wrapping: 1 at the top,
// the count at the bottom (0, unknown, while the count is not exact).
func (m Model) wrapRank(older bool) int {
	switch {
	case older:
		return 1
	case m.find.totalKnown && !m.find.capped:
		return m.find.total
	}
	return 0
}

// wrapText is the status line of a wrapped find, as vim says it.
func wrapText(older bool) string {
	if older {
		return "search hit BOTTOM, continuing at TOP"
	}
	return "search hit TOP, continuing at BOTTOM"
}

// landOnMatch puts the cursor on the loaded match i, whose rank is rank (0:
// ask the store).
func (m Model) landOnMatch(i, rank int, wrapped, older bool) (Model, tea.Cmd) {
	t := &m.table
	if i > t.cursor {
		m.pause()
	}
	t.cursor = i
	t.ensureVisible()
	c := t.rows[i].Cursor()
	cmds := []tea.Cmd{m.afterMove()}
	if rank > 0 {
		m.flight.stop(reqFindRank)
		m.find.rank, m.find.rankAt = rank, c
	} else {
		cmds = append(cmds, m.findRankCmd(c))
	}
	if wrapped {
		cmds = append(cmds, m.setStatus(wrapText(older), false))
	}
	return m, tea.Batch(cmds...)
}

// findMsg is the match a find step read from the store.
type findMsg struct {
	req            req
	row            store.Row
	found, wrapped bool
	older          bool
	rank           int // the match's rank when the step knew it, else 0
	err            error
}

// findCmd reads the first match of q that holds text strictly beyond from
// (below with older, else above) and, when there is none (or from is
// zero), the first one from the other end: the find wraps. rank is the
// match's rank if it is found without wrapping.
func findCmd(ctx context.Context, src Source, q feed.Query, now time.Time, text string, from store.Cursor, older bool, rank int, r req) tea.Cmd {
	return func() tea.Msg {
		dir := store.Newer
		if older {
			dir = store.Older
		}
		msg := findMsg{req: r, older: older, rank: rank}
		if !from.IsZero() {
			rows, err := src.FindSearch(ctx, q, now, text, from, dir, 1)
			if err != nil || len(rows) > 0 {
				msg.err, msg.found = err, len(rows) > 0
				if msg.found {
					msg.row = rows[0]
				}
				return msg
			}
		}
		rows, err := src.FindSearch(ctx, q, now, text, store.Cursor{}, dir, 1)
		msg.err, msg.found, msg.wrapped, msg.rank = err, len(rows) > 0, true, 0
		if msg.found {
			msg.row = rows[0]
		}
		return msg
	}
}

// handleFind goes to the match a find step read, reading the window
// around it when it is not loaded.
func (m Model) handleFind(msg findMsg) (Model, tea.Cmd) {
	if !m.flight.is(msg.req) {
		return m, nil
	}
	m.flight.stop(reqFind)
	switch {
	case msg.err != nil:
		return m, m.setStatus("find: "+msg.err.Error(), true)
	case !msg.found:
		return m, m.setStatus("no match for "+m.findShown(), true)
	}
	rank := msg.rank
	if msg.wrapped {
		rank = m.wrapRank(msg.older)
	}
	t := &m.table
	if i := slices.IndexFunc(t.rows, func(r tableRow) bool { return r.ID == msg.row.ID }); i >= 0 {
		return m.landOnMatch(i, rank, msg.wrapped, msg.older)
	}
	c := msg.row.Cursor()
	var cmds []tea.Cmd
	if rank > 0 {
		m.find.rank, m.find.rankAt = rank, c
	} else {
		cmds = append(cmds, m.findRankCmd(c))
	}
	if msg.wrapped {
		cmds = append(cmds, m.setStatus(wrapText(msg.older), false))
	}
	// The window moves to the match, as the context view does: the match
	// mid-screen (setWindow keeps the cursor's screen row) with what came
	// just after it above.
	t.cursor = max(0, min(len(t.rows)-1, t.offset+t.bodyHeight()/2))
	t.reloadSeq = m.nextSeq()
	cmds = append(cmds, anchorCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, msg.row, pageSize/2, pageSize, t.reloadSeq),
		m.findPosCmd(c))
	return m, tea.Batch(cmds...)
}

// findCountMsg is a count of a find: the matches (reqMatches), the
// matches above the one at (reqFindRank), or the query's rows above the
// match at (reqFindPos).
type findCountMsg struct {
	req    req
	at     store.Cursor
	n      int
	capped bool
	err    error
}

// findCountCmd counts the rows of q that hold text (all of q's rows for
// "") strictly above at when it is not zero, up to limit (<= 0: all).
func findCountCmd(ctx context.Context, src Source, q feed.Query, now time.Time, text string, at store.Cursor, limit int, r req) tea.Cmd {
	return func() tea.Msg {
		n, capped, err := src.FindCount(ctx, q, now, text, at, limit)
		return findCountMsg{req: r, at: at, n: n, capped: capped, err: err}
	}
}

// findPosCmd counts the query's rows above the match at c (a find of
// nothing is the query itself), so the position stays known where the
// window moves.
func (m *Model) findPosCmd(c store.Cursor) tea.Cmd {
	m.find.posAt = store.Cursor{}
	return findCountCmd(m.readCtx, m.deps.Source, m.eff, m.queryNow, "", c, 0, m.flight.start(reqFindPos))
}

// applyFindPos gives the window its position once both the window around
// the match and the count of rows above it are in, whichever came first.
func (m *Model) applyFindPos() {
	t := &m.table
	if m.find.posAt.IsZero() || t.reloadSeq != 0 {
		return
	}
	if i := slices.IndexFunc(t.rows, func(r tableRow) bool { return r.Cursor() == m.find.posAt }); i >= 0 && t.base < 0 {
		t.base = m.find.pos - i
	}
	m.find.posAt = store.Cursor{}
}

// countMatches counts the matches (limit <= 0: all of them) under a new
// reqMatches; nil without a find.
func (m *Model) countMatches(limit int) tea.Cmd {
	if m.find.term == "" {
		return nil
	}
	return m.findCount(m.flight.start(reqMatches), limit)
}

// findCount is the count of the matches under r (reserved already); nil
// without a find or a request.
func (m Model) findCount(r req, limit int) tea.Cmd {
	if m.find.term == "" || m.find.ctx == nil || r.id == 0 {
		return nil
	}
	return findCountCmd(m.find.ctx, m.deps.Source, m.eff, m.queryNow, m.find.term, store.Cursor{}, limit, r)
}

// findRankCmd counts the matches above the match at c, under a new
// reqFindRank.
func (m *Model) findRankCmd(c store.Cursor) tea.Cmd {
	if m.find.term == "" || m.find.ctx == nil {
		return nil
	}
	if m.find.rankAt != c {
		m.find.rank, m.find.rankAt = 0, c // a recount keeps the old rank meanwhile
	}
	return findCountCmd(m.find.ctx, m.deps.Source, m.eff, m.queryNow, m.find.term, c, 0, m.flight.start(reqFindRank))
}

// handleFindResult applies the find's results; it reports false for any
// other message.
func (m Model) handleFindResult(msg tea.Msg) (Model, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case findMsg:
		m, cmd := m.handleFind(msg)
		return m, cmd, true
	case findCountMsg:
		if !m.flight.is(msg.req) {
			return m, nil, true
		}
		m.flight.stop(msg.req.kind)
		if msg.err != nil {
			if errors.Is(msg.err, context.Canceled) {
				return m, nil, true
			}
			return m, m.setStatus("find count: "+msg.err.Error(), true), true
		}
		switch msg.req.kind {
		case reqFindPos:
			m.find.posAt, m.find.pos = msg.at, msg.n
			m.applyFindPos()
		case reqFindRank:
			m.find.rank, m.find.rankAt = msg.n+1, msg.at
		default:
			m.find.total, m.find.capped, m.find.totalKnown = msg.n, msg.capped, true
			if msg.capped {
				return m, m.countMatches(0), true
			}
		}
		return m, nil, true
	}
	return m, nil, false
}

// findShown is the term for the status line: quoted, sanitised, masked
// while redacting.
func (m Model) findShown() string {
	return fmt.Sprintf("%q", maskWords(m.redactor(), m.find.term))
}

// findBadge is the status line's part for the find: "find "x": match 3
// of 41" on a match whose rank is known, else the number of matches.
func (m Model) findBadge() string {
	if m.find.term == "" || m.state != stateReady {
		return ""
	}
	term := []rune(maskWords(m.redactor(), m.find.term))
	if len(term) > 20 {
		term = append(term[:19], '…')
	}
	head := "find " + safe.Text(fmt.Sprintf("%q", string(term))) + ": "
	var count string
	switch {
	case !m.find.totalKnown:
		count = "counting…"
	case m.find.capped:
		count = "≥ " + printer.Thousands(m.find.total)
	default:
		count = printer.Thousands(m.find.total)
	}
	st := m.styles.Status.Position
	if !m.find.totalKnown {
		return st.Render(head + "counting…")
	}
	if m.find.total == 0 && !m.find.capped {
		return st.Render(head + "no matches")
	}
	// A match reached by n or N has its rank, or is being ranked; one the
	// cursor was moved onto otherwise shows the count alone.
	if r, ok := m.table.selectedRow(); ok && r.match {
		if n := m.find.rankOf(r.Cursor()); n > 0 {
			return st.Render(head + "match " + printer.Thousands(n) + " of " + count)
		}
		if m.find.rankAt == r.Cursor() && m.flight.pending(reqFindRank) {
			return st.Render(head + "match … of " + count)
		}
	}
	noun := " matches"
	if m.find.total == 1 && !m.find.capped {
		noun = " match"
	}
	return st.Render(head + count + noun)
}

// The table's side: which loaded rows hold the term, and the term shown
// where a cell holds it.

// setFind marks the loaded rows holding term ("" clears the marks).
func (t *tableModel) setFind(term string) {
	t.find = term
	for i := range t.rows {
		t.rows[i].match = t.matches(t.rows[i].Row)
	}
}

// matches reports whether r holds the find term.
func (t tableModel) matches(r store.Row) bool {
	return t.find != "" && store.TextMatches(r.Raw, t.find)
}

// nearestMatch is the first marked row strictly below (older) or above
// row i of the window.
func (t tableModel) nearestMatch(i int, older bool) (int, bool) {
	step := 1
	if !older {
		step = -1
	}
	for j := i + step; j >= 0 && j < len(t.rows); j += step {
		if t.rows[j].match {
			return j, true
		}
	}
	return 0, false
}

// paintMatch paints a cell of a marked row with p, the term (as the cell
// shows it: masked while redacting) in the MatchText style wherever the
// cell holds it, case-insensitively.
func (t tableModel) paintMatch(cell string, p painter) string {
	needle := t.find
	if t.red != nil {
		needle = t.red.String(needle)
	}
	nd := []rune(strings.Map(unicode.ToLower, safe.Text(needle)))
	if len(nd) == 0 {
		return p.paint(cell)
	}
	rs := []rune(cell)
	low := make([]rune, len(rs))
	for i, r := range rs {
		low[i] = unicode.ToLower(r)
	}
	var b strings.Builder
	last := 0
	for i := 0; i+len(nd) <= len(low); {
		if !slices.Equal(low[i:i+len(nd)], nd) {
			i++
			continue
		}
		if i > last {
			b.WriteString(p.paint(string(rs[last:i])))
		}
		b.WriteString(t.paint.matchText.paint(string(rs[i : i+len(nd)])))
		i += len(nd)
		last = i
	}
	if last == 0 {
		return p.paint(cell)
	}
	if last < len(rs) {
		b.WriteString(p.paint(string(rs[last:])))
	}
	return b.String()
}
