package ui

import (
	"strings"

	"claudit/ui/printer"

	"charm.land/lipgloss/v2"
)

// painter is printer.Painter under the name the explorer's components
// use: a colour/attribute-only style applied by concatenation.
type painter struct{ p printer.Painter }

func newPainter(st lipgloss.Style) painter { return painter{printer.NewPainter(st)} }

// paint wraps s, which must be one line of safe text.
func (p painter) paint(s string) string { return p.p.Paint(s) }

// framer draws a pane's frame (border and padding) by example: lipgloss
// renders the frame around one placeholder line, and every content line
// reuses the pieces. Rendering the whole pane through Style.Render would
// re-wrap and re-measure every line on every frame.
type framer struct {
	top, bottom []string
	pre, post   string
	ok          bool
}

func newFramer(st lipgloss.Style, w int) framer {
	inner := w - st.GetHorizontalFrameSize()
	if inner <= 0 {
		return framer{}
	}
	ph := strings.Repeat("x", inner)
	lines := strings.Split(st.Width(w).Render(ph), "\n")
	for i, l := range lines {
		if j := strings.Index(l, ph); j >= 0 {
			return framer{top: lines[:i], bottom: lines[i+1:], pre: l[:j], post: l[j+len(ph):], ok: true}
		}
	}
	return framer{}
}

// frame wraps content lines, each exactly the inner width; the result is
// the pane's full height when content has height-frame lines.
func (f framer) frame(content string) string {
	lines := strings.Split(content, "\n")
	out := make([]string, 0, len(f.top)+len(lines)+len(f.bottom))
	out = append(out, f.top...)
	for _, l := range lines {
		out = append(out, f.pre+l+f.post)
	}
	return strings.Join(append(out, f.bottom...), "\n")
}
