package ui

import "charm.land/bubbles/v2/key"

// action is something the analyst can do, by key or from the palette.
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
	actPause
	actSelfToggle
	actFreeze
	actNote
	actContext
	actFacets
	actExport
	actTimelineMarkdown
	actTimelineCSV
)

// paletteItem is one palette entry.
type paletteItem struct {
	act   action
	title string
	keys  string
}

// paletteItems lists every action the palette offers, with the binding
// that also triggers it. Disabled bindings drop their entry.
func paletteItems(k KeyMap) []paletteItem {
	entry := func(a action, title string, b key.Binding, keys string) (paletteItem, bool) {
		if !b.Enabled() {
			return paletteItem{}, false
		}
		return paletteItem{act: a, title: title, keys: keys}, true
	}
	all := []struct {
		a     action
		title string
		b     key.Binding
		keys  string
	}{
		{actQuery, "edit query", k.Query, "/"},
		{actWindow15m, "window: last 15 minutes", k.Window, "1"},
		{actWindow1h, "window: last hour", k.Window, "2"},
		{actWindow6h, "window: last 6 hours", k.Window, "3"},
		{actWindow24h, "window: last 24 hours", k.Window, "4"},
		{actWindow7d, "window: last 7 days", k.Window, "5"},
		{actWindow30d, "window: last 30 days", k.Window, "6"},
		{actBack, "back: undo the last pivot", k.Back, "esc"},
		{actOpen, "open detail pane", k.Open, "enter"},
		{actFocus, "switch focus table/detail", k.Focus, "tab"},
		{actContext, "context: everything ±5 minutes around the event", k.Context, "c"},
		{actDossier, "key dossier of the selected event", k.Dossier, "K"},
		{actFacets, "top actors, types, IPs and keys (facets)", k.Facets, "s"},
		{actCopy, "copy selected value", k.Copy, "y"},
		{actCopyJSON, "copy raw JSON", k.CopyJSON, "Y"},
		{actMark, "mark / unmark event", k.Mark, "m"},
		{actNote, "note on the event (marks it)", k.Note, "M"},
		{actTimelineMarkdown, "timeline: write the marked events as Markdown", k.Palette, ""},
		{actTimelineCSV, "timeline: write the marked events as CSV", k.Palette, ""},
		{actExport, "export evidence bundle (marked events, else the query)", k.Export, "ctrl+s"},
		{actFollow, "live tail: follow new events", k.Follow, "f"},
		{actPause, "live tail: pause / resume", k.Pause, "space"},
		{actSelfToggle, "live tail: show / hide claudit's own API calls", k.SelfToggle, "S"},
		{actFreeze, "freeze the window into absolute bounds", k.Freeze, "F"},
		{actToggleUTC, "toggle UTC / local time", k.ToggleUTC, "t"},
		{actRedact, "redact personal data (screen share)", k.Redact, "R"},
		{actTop, "go to newest", k.Top, "g"},
		{actBottom, "go to oldest", k.Bottom, "G"},
		{actRetry, "retry", k.Retry, "r"},
		{actHelp, "help", k.Help, "?"},
		{actQuit, "quit", k.Quit, "q"},
	}
	var out []paletteItem
	for _, e := range all {
		if it, ok := entry(e.a, e.title, e.b, e.keys); ok {
			out = append(out, it)
		}
	}
	return out
}
