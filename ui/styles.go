package ui

import (
	"hash/fnv"
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles holds every style the UI renders with. Components read semantic
// fields from it and never pick colours themselves.
type Styles struct {
	Header struct {
		Bar, Title, Sep, Dim, Good, Warn, Bad, Live lipgloss.Style
	}
	Query struct {
		Prompt, Text, Cursor, Error, Caret, Warn, WarnCaret, Completion, CompletionSel, Crumb, CrumbSep, Total lipgloss.Style
	}
	Hist struct {
		// Marker is the cursor on the selected row's cell, Cursor the
		// cursor the analyst moved ([ ], click).
		Bar, Marker, Cursor, Axis lipgloss.Style
	}
	Table struct {
		Header, Cell, Selected, SelectedBlurred, Self, Late, Mark, Time, Dim lipgloss.Style
		// Trip flags a tripwire; Indexing shades rows the feed may still
		// be indexing (the newest minute of a live view).
		Trip, Indexing lipgloss.Style
		// Match marks a row that holds the find term (ctrl+f) on its time
		// cell; MatchText is the term where a cell shows it.
		Match, MatchText lipgloss.Style
	}
	Detail struct {
		// Right and Below frame the pane beside or under the table; the
		// Focused variants replace them while the pane has focus.
		Right, RightFocused, Below, BelowFocused                              lipgloss.Style
		Title, Heading, Label, Value, Field, FieldSelected, Change, Dim, Flag lipgloss.Style
	}
	JSON struct {
		Key, String, Number, Bool, Null, Punct lipgloss.Style
	}
	Status struct {
		Bar, Info, Error, Badge, Position lipgloss.Style
	}
	Overlay struct {
		Box, Title, Item, ItemSelected, Match, Dim lipgloss.Style
	}
	Page struct {
		Title, Error, Hint lipgloss.Style
	}
	Help help.Styles

	// groups colours activity types by catalogue group.
	groups  map[string]lipgloss.Style
	palette []lipgloss.Style
}

// TypeStyle returns the style for an activity type of the given catalogue
// group; unknown groups get a stable colour derived from their name.
func (s *Styles) TypeStyle(group string) lipgloss.Style {
	if st, ok := s.groups[group]; ok {
		return st
	}
	if len(s.palette) == 0 {
		return lipgloss.NewStyle()
	}
	h := fnv.New32a()
	h.Write([]byte(group))
	return s.palette[int(h.Sum32()%uint32(len(s.palette)))]
}

// NewStyles builds the coloured styles for a dark or light background.
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	c := lipgloss.Color
	var (
		fg      = ld(c("#1F2328"), c("#E6EDF3"))
		dim     = ld(c("#6E7781"), c("#7D8590"))
		accent  = ld(c("#5A32A3"), c("#B392F0"))
		barBg   = ld(c("#E8E3F5"), c("#2D2540"))
		selBg   = ld(c("#D8CCF0"), c("#3E3260"))
		selBlur = ld(c("#E6E6E6"), c("#30363D"))
		green   = ld(c("#1A7F37"), c("#56D364"))
		yellow  = ld(c("#9A6700"), c("#E3B341"))
		red     = ld(c("#CF222E"), c("#FF7B72"))
		blue    = ld(c("#0550AE"), c("#79C0FF"))
		cyan    = ld(c("#1B7C83"), c("#56D4DD"))
		magenta = ld(c("#8250DF"), c("#D2A8FF"))
		orange  = ld(c("#BC4C00"), c("#FFA657"))
	)
	st := lipgloss.NewStyle
	var s Styles

	s.Header.Bar = st().Background(barBg).Foreground(fg)
	s.Header.Title = st().Background(barBg).Foreground(accent).Bold(true)
	s.Header.Sep = st().Background(barBg).Foreground(dim)
	s.Header.Dim = st().Background(barBg).Foreground(dim)
	s.Header.Good = st().Background(barBg).Foreground(green)
	s.Header.Warn = st().Background(barBg).Foreground(yellow)
	s.Header.Bad = st().Background(barBg).Foreground(red).Bold(true)
	s.Header.Live = st().Background(barBg).Foreground(red).Bold(true)

	s.Query.Prompt = st().Foreground(accent).Bold(true)
	s.Query.Text = st().Foreground(fg)
	s.Query.Cursor = st().Reverse(true)
	s.Query.Error = st().Foreground(red)
	s.Query.Caret = st().Foreground(red).Bold(true)
	s.Query.Warn = st().Foreground(yellow)
	s.Query.WarnCaret = st().Foreground(yellow).Bold(true)
	s.Query.Completion = st().Foreground(dim)
	s.Query.CompletionSel = st().Foreground(accent).Bold(true)
	s.Query.Crumb = st().Foreground(dim)
	s.Query.CrumbSep = st().Foreground(accent)
	s.Query.Total = st().Foreground(dim)

	s.Hist.Bar = st().Foreground(blue)
	s.Hist.Marker = st().Foreground(orange).Bold(true)
	s.Hist.Cursor = st().Foreground(orange).Bold(true).Reverse(true)
	s.Hist.Axis = st().Foreground(dim)

	s.Table.Header = st().Foreground(dim).Bold(true)
	s.Table.Cell = st().Foreground(fg)
	s.Table.Selected = st().Background(selBg).Foreground(fg).Bold(true)
	s.Table.SelectedBlurred = st().Background(selBlur).Foreground(fg)
	s.Table.Self = st().Foreground(dim).Faint(true)
	s.Table.Late = st().Foreground(yellow).Bold(true)
	s.Table.Mark = st().Foreground(orange).Bold(true)
	s.Table.Time = st().Foreground(dim)
	s.Table.Dim = st().Foreground(dim)
	s.Table.Trip = st().Foreground(red).Bold(true)
	s.Table.Indexing = st().Foreground(dim).Italic(true)
	s.Table.Match = st().Foreground(yellow).Bold(true)
	s.Table.MatchText = st().Background(yellow).Foreground(ld(c("#FFFFFF"), c("#0D1117")))

	s.Detail.Right = st().Border(lipgloss.NormalBorder(), false, false, false, true).BorderForeground(dim).PaddingLeft(1)
	s.Detail.RightFocused = s.Detail.Right.BorderForeground(accent)
	s.Detail.Below = st().Border(lipgloss.NormalBorder(), true, false, false, false).BorderForeground(dim)
	s.Detail.BelowFocused = s.Detail.Below.BorderForeground(accent)
	s.Detail.Title = st().Foreground(fg).Bold(true)
	s.Detail.Heading = st().Foreground(accent).Bold(true)
	s.Detail.Label = st().Foreground(dim)
	s.Detail.Value = st().Foreground(fg)
	s.Detail.Field = st().Foreground(fg)
	s.Detail.FieldSelected = st().Background(selBg).Foreground(fg).Bold(true)
	s.Detail.Change = st().Foreground(yellow)
	s.Detail.Dim = st().Foreground(dim)
	s.Detail.Flag = st().Foreground(orange).Bold(true)

	s.JSON.Key = st().Foreground(blue)
	s.JSON.String = st().Foreground(green)
	s.JSON.Number = st().Foreground(orange)
	s.JSON.Bool = st().Foreground(magenta)
	s.JSON.Null = st().Foreground(dim)
	s.JSON.Punct = st().Foreground(dim)

	s.Status.Bar = st().Foreground(dim)
	s.Status.Info = st().Foreground(green)
	s.Status.Error = st().Foreground(red).Bold(true)
	s.Status.Badge = st().Foreground(orange).Bold(true)
	s.Status.Position = st().Foreground(dim)

	s.Overlay.Box = st().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1)
	s.Overlay.Title = st().Foreground(accent).Bold(true)
	s.Overlay.Item = st().Foreground(fg)
	s.Overlay.ItemSelected = st().Background(selBg).Foreground(fg).Bold(true)
	s.Overlay.Match = st().Foreground(orange).Bold(true)
	s.Overlay.Dim = st().Foreground(dim)

	s.Page.Title = st().Foreground(accent).Bold(true)
	s.Page.Error = st().Foreground(red)
	s.Page.Hint = st().Foreground(dim)

	s.Help = help.DefaultStyles(isDark)

	colour := func(col color.Color) lipgloss.Style { return st().Foreground(col) }
	s.groups = map[string]lipgloss.Style{
		"api_keys":       colour(red).Bold(true),
		"admin_keys":     colour(red).Bold(true),
		"auth":           colour(yellow),
		"members":        colour(cyan),
		"groups":         colour(cyan),
		"scim":           colour(cyan),
		"roles":          colour(magenta),
		"org_settings":   colour(magenta),
		"compliance":     colour(dim),
		"exports":        colour(orange).Bold(true),
		"chats":          colour(blue),
		"projects":       colour(blue),
		"files":          colour(blue),
		"artifacts":      colour(blue),
		"claude_code":    colour(green),
		"platform":       colour(green),
		"integrations":   colour(green),
		"plugins_skills": colour(green),
		"billing":        colour(yellow),
		"other":          colour(fg),
	}
	s.palette = []lipgloss.Style{colour(blue), colour(cyan), colour(green), colour(magenta), colour(yellow), colour(orange)}
	return s
}

// plainStyles are the NO_COLOR styles: no colour at all, but selection and
// headings stay visible through reverse video and bold.
func plainStyles() Styles {
	st := lipgloss.NewStyle
	var s Styles
	s.Header.Title = st().Bold(true)
	s.Header.Bad = st().Bold(true)
	s.Header.Live = st().Bold(true)
	s.Query.Prompt = st().Bold(true)
	s.Query.Cursor = st().Reverse(true)
	s.Query.Caret = st().Bold(true)
	s.Query.WarnCaret = st().Bold(true)
	s.Query.CompletionSel = st().Reverse(true)
	s.Hist.Marker = st().Bold(true)
	s.Hist.Cursor = st().Reverse(true)
	s.Table.Header = st().Bold(true)
	s.Table.Selected = st().Reverse(true)
	s.Table.SelectedBlurred = st().Underline(true)
	s.Table.Mark = st().Bold(true)
	s.Table.Late = st().Bold(true)
	s.Table.Trip = st().Bold(true)
	s.Table.Indexing = st().Italic(true)
	s.Table.Match = st().Bold(true)
	s.Table.MatchText = st().Reverse(true)
	s.Detail.Right = st().Border(lipgloss.NormalBorder(), false, false, false, true).PaddingLeft(1)
	s.Detail.RightFocused = st().Border(lipgloss.ThickBorder(), false, false, false, true).PaddingLeft(1)
	s.Detail.Below = st().Border(lipgloss.NormalBorder(), true, false, false, false)
	s.Detail.BelowFocused = st().Border(lipgloss.ThickBorder(), true, false, false, false)
	s.Detail.Title = st().Bold(true)
	s.Detail.Heading = st().Bold(true)
	s.Detail.FieldSelected = st().Reverse(true)
	s.Detail.Flag = st().Bold(true)
	s.Status.Error = st().Bold(true)
	s.Status.Badge = st().Bold(true)
	s.Overlay.Box = st().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	s.Overlay.Title = st().Bold(true)
	s.Overlay.ItemSelected = st().Reverse(true)
	s.Overlay.Match = st().Underline(true)
	s.Page.Title = st().Bold(true)
	s.Help = help.Styles{
		Ellipsis: st(), ShortKey: st().Bold(true), ShortDesc: st(), ShortSeparator: st(),
		FullKey: st().Bold(true), FullDesc: st(), FullSeparator: st(),
	}
	return s
}
