package printer

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// Theme is the colours the printers paint with. The caller builds it (the
// CLI from the explorer's styles, so both show the same colours); a nil
// *Theme prints plain text.
type Theme struct {
	// Header paints the table header and the dossier's headings; Time the
	// table's time column; Dim the dossier's notes; Label and Change the
	// dossier's labels and before → after changes; Bar the progress bar.
	Header, Time, Dim, Label, Change, Bar lipgloss.Style
	// Type is the style of an activity type's catalogue group (nil: the
	// type column is not painted).
	Type func(group string) lipgloss.Style
}

// Painter applies a colour/attribute-only style by concatenation.
// Style.Render measures and re-parses its input on every call, which at one
// call per table cell and JSON token dominates a frame; a Painter renders a
// placeholder once and reuses the escape sequences around it. Only styles
// without width, padding, margins or borders may be Painters.
type Painter struct{ pre, post string }

// NewPainter returns the Painter of st.
func NewPainter(st lipgloss.Style) Painter {
	const mark = "x" // SGR sequences never contain an 'x'
	out := st.Render(mark)
	i := strings.Index(out, mark)
	if i < 0 {
		return Painter{}
	}
	return Painter{pre: out[:i], post: out[i+len(mark):]}
}

// Paint wraps s, which must be one line of safe text.
func (p Painter) Paint(s string) string {
	if p.pre == "" && p.post == "" || s == "" {
		return s
	}
	return p.pre + s + p.post
}
