package ui

import (
	"claudit/feed"
	"claudit/ui/safe"

	"charm.land/bubbles/v2/key"
)

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
	actView // apply a saved view (paletteItem.view)
)

// paletteItem is one palette entry.
type paletteItem struct {
	act   action
	title string
	keys  string
	view  View // for actView
}

// paletteItems lists every saved view, then every action the palette
// offers with the key that also triggers it. Disabled bindings drop their
// entry. A view's query is shown through red (nil: as written).
func paletteItems(k KeyMap, views []View, red *feed.Redactor) []paletteItem {
	var out []paletteItem
	if k.Query.Enabled() {
		for _, v := range views {
			out = append(out, paletteItem{act: actView, title: viewTitle(v, red), view: v})
		}
	}
	// keyOf is the key shown beside an entry: the binding's i-th key for
	// the window presets, else its help label.
	keyOf := func(b key.Binding, i int) string {
		if i >= 0 {
			if ks := b.Keys(); i < len(ks) {
				return ks[i]
			}
			return ""
		}
		return b.Help().Key
	}
	all := []struct {
		a     action
		title string
		b     key.Binding
		i     int // window preset index; -1 elsewhere; -2: no key
	}{
		{actQuery, "edit query", k.Query, -1},
		{actWindow15m, "window: last 15 minutes", k.Window, 0},
		{actWindow1h, "window: last hour", k.Window, 1},
		{actWindow6h, "window: last 6 hours", k.Window, 2},
		{actWindow24h, "window: last 24 hours", k.Window, 3},
		{actWindow7d, "window: last 7 days", k.Window, 4},
		{actWindow30d, "window: last 30 days", k.Window, 5},
		{actBack, "back: undo the last pivot", k.Back, -1},
		{actOpen, "open detail pane", k.Open, -1},
		{actFocus, "switch focus table/detail", k.Focus, -1},
		{actContext, "context: everything ±5 minutes around the event", k.Context, -1},
		{actDossier, "key dossier of the selected event", k.Dossier, -1},
		{actFacets, "top actors, types, IPs and keys (facets)", k.Facets, -1},
		{actCopy, "copy selected value", k.Copy, -1},
		{actCopyJSON, "copy raw JSON", k.CopyJSON, -1},
		{actMark, "mark / unmark event", k.Mark, -1},
		{actNote, "note on the event (marks it)", k.Note, -1},
		{actTimelineMarkdown, "timeline: write the marked events as Markdown", k.Palette, -2},
		{actTimelineCSV, "timeline: write the marked events as CSV", k.Palette, -2},
		{actExport, "export evidence bundle (marked events, else the query)", k.Export, -1},
		{actFollow, "live tail: follow new events", k.Follow, -1},
		{actPause, "live tail: pause / resume", k.Pause, -1},
		{actSelfToggle, "show / hide claudit's own API calls", k.SelfToggle, -1},
		{actFreeze, "freeze the window into absolute bounds", k.Freeze, -1},
		{actToggleUTC, "toggle UTC / local time", k.ToggleUTC, -1},
		{actRedact, "redact personal data (screen share)", k.Redact, -1},
		{actTop, "go to newest", k.Top, -1},
		{actBottom, "go to oldest", k.Bottom, -1},
		{actRetry, "retry", k.Retry, -1},
		{actHelp, "help", k.Help, -1},
		{actQuit, "quit", k.Quit, -1},
	}
	for _, e := range all {
		if !e.b.Enabled() {
			continue
		}
		keys := ""
		if e.i != -2 {
			keys = keyOf(e.b, e.i)
		}
		out = append(out, paletteItem{act: e.a, title: e.title, keys: keys})
	}
	return out
}

// viewTitle is a view's palette entry. The name and query come from the
// analyst's config file, and are sanitised like any text from outside.
func viewTitle(v View, red *feed.Redactor) string {
	return "view " + safe.Text(red.String(v.Name)) + " — " + safe.Text(red.String(v.Query))
}
