package ui

import (
	"claudit/ui/printer"
	"fmt"
	"strings"

	"claudit/feed"
	"claudit/ui/safe"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// View renders the whole screen. Only the root returns a tea.View; terminal
// modes are declared on every frame, in every state.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "claudit"
	if m.deps.Profile != "" {
		v.WindowTitle += " · " + safe.Text(m.deps.Profile)
	}
	return v
}

func (m Model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return "claudit: loading…"
	}
	if m.lay.TooSmall {
		msg := fmt.Sprintf("terminal too small: %d×%d, need at least %d×%d", w, h, minWidth, minHeight)
		return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, ansi.Wordwrap(msg, w, " "))
	}
	switch m.state {
	case stateLoading:
		body := lipgloss.Place(w, h-2, lipgloss.Center, lipgloss.Center, m.styles.Page.Hint.Render("reading the cache…"))
		return m.header.View() + "\n" + body + "\n" + m.statusView()
	case stateError:
		return m.header.View() + "\n" + m.errorPage(w, h-2) + "\n" + m.statusView()
	}
	m.bar.total = m.totalText(true)
	m.table.emptyText = m.emptyText()
	m.header.now = m.now
	bar := m.bar.View()
	if d, ok := m.dialogs.top().(barDrawer); ok {
		bar = d.drawBar(m)
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.header.View(), bar)
	extra := m.bar.extraView()
	lines = append(lines, extra[:min(len(extra), m.lay.QueryExtra.H)]...)
	lines = append(lines, m.hist.View(), m.bodyView(), m.statusView())
	return strings.Join(lines, "\n")
}

func (m Model) errorPage(w, h int) string {
	st := m.styles.Page
	text := st.Title.Render("The cache could not be read") + "\n\n" +
		st.Error.Render(ansi.Wordwrap(safe.Text(m.redactor().String(m.loadErr.Error())), max(20, w-8), " ")) + "\n\n" +
		st.Hint.Render(m.keys.Retry.Help().Key+" retry · "+m.keys.Quit.Help().Key+" quit")
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, m.styles.Overlay.Box.Render(text))
}

// bodyView renders the table, the detail pane and any overlay into the
// body rectangle.
func (m Model) bodyView() string {
	if d := m.dialogs.top(); d != nil {
		return d.draw(m, m.paneView)
	}
	return m.paneView()
}

// paneView renders the table and the detail pane into the body rectangle.
func (m Model) paneView() string {
	l := m.lay
	body := m.table.View()
	if m.detailVisible() {
		st := m.styles.Detail.Below
		if l.DetailRight {
			st = m.styles.Detail.Right
		}
		if m.focus == focusDetail {
			st = m.styles.Detail.BelowFocused
			if l.DetailRight {
				st = m.styles.Detail.RightFocused
			}
		}
		var pane string
		if f := newFramer(st, l.Detail.W); f.ok {
			pane = f.frame(m.detail.View())
		} else {
			pane = st.Width(l.Detail.W).Height(l.Detail.H).Render(m.detail.View())
		}
		if l.DetailRight {
			body = joinColumns(body, pane)
		} else {
			body = body + "\n" + pane
		}
	}
	return body
}

// joinColumns puts two blocks side by side. Both are exactly as wide as
// their rectangles on every line, so plain concatenation is enough (and
// much cheaper than measuring every line again).
func joinColumns(left, right string) string {
	l, r := strings.Split(left, "\n"), strings.Split(right, "\n")
	n := max(len(l), len(r))
	out := make([]string, n)
	for i := range n {
		if i < len(l) {
			out[i] = l[i]
		}
		if i < len(r) {
			out[i] += r[i]
		}
	}
	return strings.Join(out, "\n")
}

// helpLines is the ? overlay's text, one line per element, laid out for
// the body's width: the key groups side by side as far as they fit, then
// on further rows; the legend wrapped.
func (m Model) helpLines() []string {
	st := m.styles
	inner := max(1, m.lay.Body.W-st.Overlay.Box.GetHorizontalFrameSize())
	names := map[focus]string{focusTable: "table", focusDetail: "detail pane"}
	title := st.Overlay.Title.Render("help · " + names[m.focus])
	var trips []string
	for _, tw := range feed.Tripwires() {
		trips = append(trips, tw.Name)
	}
	legend := "flags: ★ marked · ! tripwire · S claudit's own API call · L late arrival · " +
		"italic: newest minute, may still be indexing\n" +
		"tripwires: " + strings.Join(trips, ", ") + "\n" +
		"query: since:24h actor:alice@example.com key:apikey_… type:@keys -type:*_viewed ip:… is:marked \"text\""
	var rows, row []string
	width := 0
	const gap = "   "
	for _, g := range fullHelp(m.keys, m.focus) {
		col := m.help.FullHelpView([][]key.Binding{g})
		if col == "" {
			continue
		}
		w := lipgloss.Width(col)
		if len(row) > 0 && width+len(gap)+w > inner {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, width = nil, 0
		}
		if len(row) > 0 {
			row = append(row, gap)
			width += len(gap)
		}
		row, width = append(row, col), width+w
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	text := title + "\n\n" + strings.Join(rows, "\n\n") + "\n\n" +
		st.Overlay.Dim.Render(ansi.Wrap(legend, inner, " ")) + "\n\n" +
		st.Overlay.Dim.Render(m.keys.Cancel.Help().Key+" or "+m.keys.Help.Help().Key+" closes")
	return strings.Split(text, "\n")
}

// helpPage is how many lines of help the body shows at once.
func (m Model) helpPage() int {
	return max(1, m.lay.Body.H-m.styles.Overlay.Box.GetVerticalFrameSize())
}

// helpView draws the help from line off; when it does not fit, the last
// line says where it is and how to scroll.
func (m Model) helpView(off int) string {
	l := m.lay
	lines, page := m.helpLines(), m.helpPage()
	if len(lines) > page {
		off = max(0, min(off, len(lines)-page+1))
		end := min(len(lines), off+page-1)
		scroll := m.keys.Down.Help().Key + "/" + m.keys.Up.Help().Key
		lines = append(lines[off:end:end], m.styles.Overlay.Dim.Render(
			fmt.Sprintf("lines %d–%d of %d · %s scroll", off+1, end, len(m.helpLines()), scroll)))
	}
	box := m.styles.Overlay.Box.MaxWidth(l.Body.W).Render(strings.Join(lines, "\n"))
	out := lipgloss.Place(l.Body.W, l.Body.H, lipgloss.Center, lipgloss.Center, box)
	outLines := strings.Split(out, "\n")
	return strings.Join(outLines[:min(len(outLines), l.Body.H)], "\n")
}

// statusView is the bottom line: a status message or the short help on the
// left, position and badges on the right.
func (m Model) statusView() string {
	st := m.styles.Status
	var right []string
	if m.redact {
		right = append(right, st.Badge.Render("REDACT"))
	}
	switch {
	case m.live && !m.follow:
		right = append(right, st.Badge.Render("PAUSED"))
	case m.follow:
		right = append(right, st.Badge.Render("FOLLOW"))
	}
	if m.newRows > 0 {
		right = append(right, st.Badge.Render(newBadge(m.newRows)))
	}
	if m.hidesSelf() && m.selfHidden > 0 {
		right = append(right, st.Position.Render(fmt.Sprintf("%s own hidden", printer.Thousands(m.selfHidden))))
	}
	if m.marked > 0 {
		right = append(right, st.Position.Render("★"+printer.Thousands(m.marked)))
	}
	if f := m.findBadge(); f != "" {
		right = append(right, f)
	}
	if m.state == stateReady && len(m.table.rows) > 0 {
		pos := "?"
		if p := m.table.position(); p >= 0 {
			pos = printer.Thousands(p + 1)
		}
		right = append(right, st.Position.Render(fmt.Sprintf("%s/%s", pos, m.totalText(false))))
	}
	r := strings.Join(right, " ")
	avail := max(0, m.width-ansi.StringWidth(r)-1)
	var left string
	switch {
	case m.statusText != "":
		s := st.Info
		if m.statusErr {
			s = st.Error
		}
		left = s.Render(safe.Text(m.redactor().String(m.statusText)))
	default:
		hm := m.help
		hm.SetWidth(avail)
		left = hm.ShortHelpView(m.shortHelp())
	}
	return fit(fit(left, avail)+" "+r, m.width)
}
