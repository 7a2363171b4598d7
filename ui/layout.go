package ui

// Minimum terminal size; below it the program shows "terminal too small".
const (
	minWidth  = 60
	minHeight = 15
	// wideWidth is where the detail pane moves beside the table.
	wideWidth = 140
	// The detail pane beside the table takes 3/8 of the width up to
	// wideDetailMax (its share at 160 columns). Wider terminals give their
	// extra columns to the table until no column is cut
	// (layoutOpts.TableWant), and only then to the detail pane.
	wideDetailMax = 160 * 3 / 8
	// histHeight is the sparkline plus its axis line.
	histHeight = 2
	// minTableHeight keeps the table header and a few rows on screen.
	minTableHeight = 4
)

// rect is a screen rectangle in cells.
type rect struct{ X, Y, W, H int }

// contains reports whether the cell (x, y) lies inside r.
func (r rect) contains(x, y int) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// layoutOpts are the inputs of computeLayout besides the terminal size.
type layoutOpts struct {
	DetailOpen bool // the analyst opened the detail pane (always open when wide)
	QueryLines int  // lines under the query bar: error caret, completions, breadcrumbs
	// TableWant is the table width at which no column is cut
	// (columnsWant); past it the detail pane beside the table grows. 0:
	// the table takes everything beside the pane.
	TableWant int
	// Frame sizes of the detail pane's style beside (Right*) or under
	// (Below*) the table, from GetHorizontalFrameSize/GetVerticalFrameSize.
	RightFrameW, RightFrameH int
	BelowFrameW, BelowFrameH int
}

// layout is where everything goes. Outer rectangles include the frames;
// DetailInner is what the detail content may fill.
type layout struct {
	TooSmall    bool
	Header      rect
	Query       rect
	QueryExtra  rect
	Hist        rect
	Body        rect // table + detail together: where overlays go
	Table       rect // includes the table's header row
	Detail      rect
	DetailInner rect
	DetailRight bool
	Status      rect
}

// computeLayout places every area for a w×h terminal. It is pure: the same
// inputs always give the same rectangles, and no size is ever negative.
func computeLayout(w, h int, o layoutOpts) layout {
	w, h = max(0, w), max(0, h)
	var l layout
	if w < minWidth || h < minHeight {
		l.TooSmall = true
		return l
	}
	y := 0
	l.Header = rect{0, y, w, 1}
	y++
	l.Query = rect{0, y, w, 1}
	y++
	// Extra query lines never squeeze the table below its minimum.
	fixed := 1 + 1 + histHeight + 1
	extra := min(max(0, o.QueryLines), max(0, h-fixed-minTableHeight))
	l.QueryExtra = rect{0, y, w, extra}
	y += extra
	l.Hist = rect{0, y, w, histHeight}
	y += histHeight
	l.Status = rect{0, h - 1, w, 1}
	bodyH := max(0, h-1-y)
	l.Body = rect{0, y, w, bodyH}

	switch {
	case w >= wideWidth:
		l.DetailRight = true
		want := o.TableWant
		if want <= 0 {
			want = w
		}
		dw := max(min(w*3/8, wideDetailMax), w-want)
		tw := max(0, w-dw)
		l.Table = rect{0, y, tw, bodyH}
		l.Detail = rect{tw, y, dw, bodyH}
		l.DetailInner = rect{
			X: tw + o.RightFrameW, Y: y,
			W: max(0, dw-o.RightFrameW), H: max(0, bodyH-o.RightFrameH),
		}
	case o.DetailOpen:
		th := max(minTableHeight, bodyH/2)
		dh := max(0, bodyH-th)
		l.Table = rect{0, y, w, th}
		l.Detail = rect{0, y + th, w, dh}
		l.DetailInner = rect{
			X: 0, Y: y + th + o.BelowFrameH,
			W: max(0, w-o.BelowFrameW), H: max(0, dh-o.BelowFrameH),
		}
	default:
		l.Table = rect{0, y, w, bodyH}
	}
	return l
}
