package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every binding of the program, grouped by area. The root model
// owns one (built by DefaultKeyMap) and disables bindings that make no
// sense in the current state, which also hides them from help.
type KeyMap struct {
	// Global.
	Quit, Help, Palette, Query, Back, Retry    key.Binding
	Window, ToggleUTC, Follow, Redact, Freeze  key.Binding
	Copy, CopyJSON, Mark, Note, Dossier, Focus key.Binding
	Context, Facets, Export                    key.Binding

	// Live tail: enabled only while it runs.
	Pause, SelfToggle key.Binding

	// Table and detail navigation.
	Up, Down, Top, Bottom, HalfDown, HalfUp, PageDown, PageUp key.Binding
	Open, Pivot                                               key.Binding

	// Query bar and palette.
	Apply, Cancel, Complete, HistoryPrev, HistoryNext, Next, Prev key.Binding
}

// DefaultKeyMap returns the bindings described in DESIGN.md ("The screen"):
// vim/lnav/k9s habits.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Quit:      b([]string{"q", "ctrl+c"}, "q", "quit"),
		Help:      b([]string{"?"}, "?", "help"),
		Palette:   b([]string{":"}, ":", "command"),
		Query:     b([]string{"/"}, "/", "query"),
		Back:      b([]string{"esc"}, "esc", "back"),
		Retry:     b([]string{"r"}, "r", "retry"),
		Window:    b([]string{"1", "2", "3", "4", "5", "6"}, "1…6", "15m 1h 6h 24h 7d 30d"),
		ToggleUTC: b([]string{"t"}, "t", "UTC/local"),
		Follow:    b([]string{"f"}, "f", "live"),
		Redact:    b([]string{"R"}, "R", "redact"),
		Freeze:    b([]string{"F"}, "F", "freeze window"),
		Copy:      b([]string{"y"}, "y", "copy value"),
		CopyJSON:  b([]string{"Y"}, "Y", "copy JSON"),
		Mark:      b([]string{"m"}, "m", "mark"),
		Note:      b([]string{"M"}, "M", "note"),
		Dossier:   b([]string{"K"}, "K", "key dossier"),
		Focus:     b([]string{"tab"}, "tab", "table/detail"),
		Context:   b([]string{"c"}, "c", "±5m context"),
		Facets:    b([]string{"s"}, "s", "top values"),
		Export:    b([]string{"ctrl+s"}, "ctrl+s", "export evidence"),

		Pause:      b([]string{"space"}, "space", "pause/resume"),
		SelfToggle: b([]string{"S"}, "S", "own API calls"),

		Up:       b([]string{"k", "up"}, "↑/k", "up"),
		Down:     b([]string{"j", "down"}, "↓/j", "down"),
		Top:      b([]string{"g", "home"}, "g", "top"),
		Bottom:   b([]string{"G", "end"}, "G", "bottom"),
		HalfDown: b([]string{"ctrl+d"}, "ctrl+d", "half page down"),
		HalfUp:   b([]string{"ctrl+u"}, "ctrl+u", "half page up"),
		PageDown: b([]string{"pgdown", "space"}, "pgdn", "page down"),
		PageUp:   b([]string{"pgup"}, "pgup", "page up"),
		Open:     b([]string{"enter"}, "enter", "detail"),
		Pivot:    b([]string{"enter"}, "enter", "narrow to value"),

		Apply:       b([]string{"enter"}, "enter", "apply"),
		Cancel:      b([]string{"esc"}, "esc", "cancel"),
		Complete:    b([]string{"tab"}, "tab", "complete"),
		HistoryPrev: b([]string{"up"}, "↑", "older query"),
		HistoryNext: b([]string{"down"}, "↓", "newer query"),
		Next:        b([]string{"down", "ctrl+n"}, "↓", "next"),
		Prev:        b([]string{"up", "ctrl+p"}, "↑", "previous"),
	}
}

// helpKeys adapts the KeyMap to help.KeyMap for one focus, so the help
// line and the full help follow what the user is looking at.
type helpKeys struct {
	km    KeyMap
	focus focus
}

// ShortHelp is the one-line help of the status bar.
func (h helpKeys) ShortHelp() []key.Binding {
	k := h.km
	switch h.focus {
	case focusQuery:
		return []key.Binding{k.Apply, k.Cancel, k.Complete, k.HistoryPrev}
	case focusPalette:
		return []key.Binding{k.Apply, k.Cancel, k.Next}
	case focusDossier:
		return []key.Binding{k.Back, k.Down, k.Up, k.Quit}
	case focusFacets:
		return []key.Binding{k.Apply, k.Back, k.Down, k.Up, k.Quit}
	case focusNote:
		return []key.Binding{k.Apply, k.Cancel}
	case focusHelp:
		return []key.Binding{k.Back, k.Help, k.Quit}
	case focusDetail:
		return []key.Binding{k.Help, k.Pivot, k.Back, k.Focus, k.Copy, k.Dossier, k.Quit}
	case focusError:
		return []key.Binding{k.Retry, k.Quit}
	}
	return []key.Binding{k.Help, k.Query, k.Open, k.Dossier, k.Follow, k.Copy, k.Mark, k.Palette, k.Quit}
}

// FullHelp is the `?` overlay, in columns.
func (h helpKeys) FullHelp() [][]key.Binding {
	k := h.km
	switch h.focus {
	case focusQuery:
		return [][]key.Binding{{k.Apply, k.Cancel, k.Complete}, {k.HistoryPrev, k.HistoryNext}}
	case focusPalette:
		return [][]key.Binding{{k.Apply, k.Cancel}, {k.Next, k.Prev}}
	case focusDossier, focusHelp, focusFacets:
		return [][]key.Binding{{k.Down, k.Up, k.HalfDown, k.HalfUp, k.Top, k.Bottom}, {k.Apply, k.Back, k.Quit}}
	case focusNote:
		return [][]key.Binding{{k.Apply, k.Cancel}}
	case focusError:
		return [][]key.Binding{{k.Retry, k.Quit}}
	}
	nav := []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp}
	act := []key.Binding{k.Open, k.Focus, k.Back, k.Context, k.Dossier, k.Facets, k.Copy, k.CopyJSON}
	if h.focus == focusDetail {
		act = []key.Binding{k.Pivot, k.Focus, k.Back, k.Context, k.Dossier, k.Facets, k.Copy, k.CopyJSON}
	}
	evidence := []key.Binding{k.Mark, k.Note, k.Export, k.Redact}
	view := []key.Binding{k.Query, k.Window, k.ToggleUTC, k.Follow, k.Pause, k.SelfToggle, k.Freeze, k.Retry}
	app := []key.Binding{k.Palette, k.Help, k.Quit}
	return [][]key.Binding{nav, act, evidence, view, app}
}
