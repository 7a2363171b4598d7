package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestComputeLayout(t *testing.T) {
	frames := layoutOpts{RightFrameW: 2, RightFrameH: 0, BelowFrameW: 0, BelowFrameH: 1}
	// want is the default columns' TableWant (206).
	want := frames
	want.TableWant = columnsWant(nil)
	with := func(o layoutOpts, open bool, extra int) layoutOpts {
		o.DetailOpen, o.QueryLines = open, extra
		return o
	}
	cases := []struct {
		name        string
		w, h        int
		opts        layoutOpts
		tooSmall    bool
		table       rect
		detail      rect
		inner       rect
		detailRight bool
		extra       int
	}{
		{name: "zero", w: 0, h: 0, tooSmall: true},
		{name: "negative", w: -5, h: -1, tooSmall: true},
		{name: "narrow by one", w: minWidth - 1, h: 40, tooSmall: true},
		{name: "short by one", w: 100, h: minHeight - 1, tooSmall: true},
		{name: "minimum", w: minWidth, h: minHeight, opts: frames,
			table: rect{0, 4, 60, 10}},
		{name: "80x24 closed", w: 80, h: 24, opts: frames,
			table: rect{0, 4, 80, 19}},
		{name: "80x24 open", w: 80, h: 24, opts: with(frames, true, 0),
			table: rect{0, 4, 80, 9}, detail: rect{0, 13, 80, 10}, inner: rect{0, 14, 80, 9}},
		{name: "80x24 open with error line", w: 80, h: 24, opts: with(frames, true, 1),
			table: rect{0, 5, 80, 9}, detail: rect{0, 14, 80, 9}, inner: rect{0, 15, 80, 8}, extra: 1},
		{name: "139 is still narrow", w: 139, h: 40, opts: frames,
			table: rect{0, 4, 139, 35}},
		{name: "140 is wide", w: 140, h: 40, opts: frames, detailRight: true,
			table: rect{0, 4, 88, 35}, detail: rect{88, 4, 52, 35}, inner: rect{90, 4, 50, 35}},
		{name: "160x48", w: 160, h: 48, opts: frames, detailRight: true,
			table: rect{0, 4, 100, 43}, detail: rect{100, 4, 60, 43}, inner: rect{102, 4, 58, 43}},
		// Past 160 the extra columns go to the table until no column is
		// cut (TableWant), then to the detail pane.
		{name: "140 wants", w: 140, h: 40, opts: want, detailRight: true,
			table: rect{0, 4, 88, 35}, detail: rect{88, 4, 52, 35}, inner: rect{90, 4, 50, 35}},
		{name: "160 wants", w: 160, h: 48, opts: want, detailRight: true,
			table: rect{0, 4, 100, 43}, detail: rect{100, 4, 60, 43}, inner: rect{102, 4, 58, 43}},
		{name: "200 to the table", w: 200, h: 48, opts: want, detailRight: true,
			table: rect{0, 4, 140, 43}, detail: rect{140, 4, 60, 43}, inner: rect{142, 4, 58, 43}},
		{name: "266 table complete", w: 266, h: 48, opts: want, detailRight: true,
			table: rect{0, 4, 206, 43}, detail: rect{206, 4, 60, 43}, inner: rect{208, 4, 58, 43}},
		{name: "300 then the detail", w: 300, h: 48, opts: want, detailRight: true,
			table: rect{0, 4, 206, 43}, detail: rect{206, 4, 94, 43}, inner: rect{208, 4, 92, 43}},
		{name: "200 without a want", w: 200, h: 48, opts: frames, detailRight: true,
			table: rect{0, 4, 140, 43}, detail: rect{140, 4, 60, 43}, inner: rect{142, 4, 58, 43}},
		{name: "query lines never squeeze the table", w: 80, h: 15, opts: with(frames, false, 50),
			table: rect{0, 10, 80, minTableHeight}, extra: 15 - 5 - minTableHeight},
		{name: "minimum open", w: minWidth, h: minHeight, opts: with(frames, true, 0),
			table: rect{0, 4, 60, 5}, detail: rect{0, 9, 60, 5}, inner: rect{0, 10, 60, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := computeLayout(c.w, c.h, c.opts)
			if l.TooSmall != c.tooSmall {
				t.Fatalf("TooSmall = %v", l.TooSmall)
			}
			if c.tooSmall {
				return
			}
			if l.Table != c.table || l.Detail != c.detail || l.DetailInner != c.inner || l.DetailRight != c.detailRight {
				t.Fatalf("table %v detail %v inner %v right %v", l.Table, l.Detail, l.DetailInner, l.DetailRight)
			}
			if l.QueryExtra.H != c.extra {
				t.Fatalf("extra lines %d, want %d", l.QueryExtra.H, c.extra)
			}
			checkLayoutInvariants(t, c.w, c.h, l)
		})
	}
}

// Every size from the minimum up gives a layout that tiles the screen.
func TestComputeLayoutInvariants(t *testing.T) {
	for w := minWidth; w <= 220; w += 7 {
		for h := minHeight; h <= 70; h += 5 {
			for _, open := range []bool{false, true} {
				for _, extra := range []int{0, 1, 3} {
					o := layoutOpts{DetailOpen: open, QueryLines: extra, RightFrameW: 2, BelowFrameH: 1, TableWant: columnsWant(nil)}
					t.Run(fmt.Sprintf("%dx%d/%v/%d", w, h, open, extra), func(t *testing.T) {
						checkLayoutInvariants(t, w, h, computeLayout(w, h, o))
					})
				}
			}
		}
	}
}

func checkLayoutInvariants(t *testing.T, w, h int, l layout) {
	t.Helper()
	all := map[string]rect{"header": l.Header, "query": l.Query, "extra": l.QueryExtra, "hist": l.Hist,
		"body": l.Body, "table": l.Table, "detail": l.Detail, "inner": l.DetailInner, "status": l.Status}
	for name, r := range all {
		if r.W < 0 || r.H < 0 || r.X < 0 || r.Y < 0 || r.X+r.W > w || r.Y+r.H > h {
			t.Fatalf("%s %v outside %dx%d", name, r, w, h)
		}
	}
	// Stacked rows: header, query, extra, hist, body, status fill the height.
	if got := l.Header.H + l.Query.H + l.QueryExtra.H + l.Hist.H + l.Body.H + l.Status.H; got != h {
		t.Fatalf("rows add up to %d, not %d", got, h)
	}
	if l.Status.Y != h-1 || l.Body.Y+l.Body.H != l.Status.Y {
		t.Fatalf("status %v body %v", l.Status, l.Body)
	}
	if l.Table.H < minTableHeight {
		t.Fatalf("table only %d high", l.Table.H)
	}
	// Table and detail tile the body.
	if l.Table.W*l.Table.H+l.Detail.W*l.Detail.H != l.Body.W*l.Body.H {
		t.Fatalf("table %v + detail %v do not tile body %v", l.Table, l.Detail, l.Body)
	}
	if l.Detail.W > 0 && l.Detail.H > 0 {
		if l.DetailInner.X < l.Detail.X || l.DetailInner.Y < l.Detail.Y ||
			l.DetailInner.X+l.DetailInner.W > l.Detail.X+l.Detail.W || l.DetailInner.Y+l.DetailInner.H > l.Detail.Y+l.Detail.H {
			t.Fatalf("inner %v outside detail %v", l.DetailInner, l.Detail)
		}
	}
}

func TestLayoutColumns(t *testing.T) {
	for _, c := range []struct {
		w    int
		want []colKind
	}{
		{0, nil},
		{30, []colKind{colFlags, colTime}},
		{60, []colKind{colFlags, colTime, colType, colActor}},
		{80, []colKind{colFlags, colTime, colType, colActor, colTarget}},
		{100, []colKind{colFlags, colTime, colType, colActor, colTarget, colIP}},
		{160, []colKind{colFlags, colTime, colType, colActor, colTarget, colOrg, colIP}},
	} {
		cols := layoutColumns(c.w, nil)
		var kinds []colKind
		used := 0
		for i, col := range cols {
			kinds = append(kinds, col.kind)
			used += col.width
			if i > 0 {
				used++
			}
		}
		if fmt.Sprint(kinds) != fmt.Sprint(c.want) {
			t.Fatalf("width %d: columns %v, want %v", c.w, kinds, c.want)
		}
		if used > c.w || len(cols) > 0 && used != c.w && c.w >= 80 {
			t.Fatalf("width %d: columns use %d cells", c.w, used)
		}
	}
}

// Extra width goes first to the columns that are cut: at 200 columns the
// longest common type and a full e-mail fit, and every column reaches its
// preferred width once the table is as wide as it wants.
func TestLayoutColumnsWide(t *testing.T) {
	width := func(cols []column, k colKind) int {
		for _, c := range cols {
			if c.kind == k {
				return c.width
			}
		}
		return 0
	}
	l := computeLayout(200, 48, layoutOpts{RightFrameW: 2, TableWant: columnsWant(nil)})
	cols := layoutColumns(l.Table.W, nil)
	if w := width(cols, colType); w < len("platform_api_key_updated") {
		t.Fatalf("type column %d wide at 200", w)
	}
	if w := width(cols, colActor); w < len("mallory.ivanova@example.com") {
		t.Fatalf("actor column %d wide at 200", w)
	}
	// Type and actor grow before target, target before the rest.
	cols = layoutColumns(100, nil)
	if width(cols, colType) <= 16 || width(cols, colActor) <= 14 || width(cols, colTarget) != 12 || width(cols, colIP) != 13 {
		t.Fatalf("at 100: %+v", cols)
	}
	cols = layoutColumns(columnsWant(nil), nil)
	for i, s := range columnSpecs() {
		if w := width(cols, s.kind); w != s.full {
			t.Fatalf("column %d at TableWant: %d, want %d", i, w, s.full)
		}
	}
	if got := columnsWant(columnOrder([]string{"time", "ip"})); got != 4+1+21+1+15 {
		t.Fatalf("want of flags, time, ip: %d", got)
	}
}

func TestLayoutColumnsChosen(t *testing.T) {
	for _, c := range []struct {
		names []string
		w     int
		want  []colKind
	}{
		// The analyst's order is the display order and the priority.
		{[]string{"ip", "actor", "time"}, 100, []colKind{colFlags, colIP, colActor, colTime}},
		{[]string{"org", "time", "target"}, 60, []colKind{colFlags, colOrg, colTime}},
		{[]string{"time"}, 80, []colKind{colFlags, colTime}},
		// Unknown and repeated names are skipped; none left is the default.
		{[]string{"type", "nope", "type"}, 80, []colKind{colFlags, colType}},
		{[]string{"nope"}, 80, []colKind{colFlags, colTime, colType, colActor, colTarget}},
	} {
		cols := layoutColumns(c.w, columnOrder(c.names))
		var kinds []colKind
		used := 0
		for i, col := range cols {
			kinds = append(kinds, col.kind)
			used += col.width
			if i > 0 {
				used++
			}
		}
		if fmt.Sprint(kinds) != fmt.Sprint(c.want) {
			t.Fatalf("%v at %d: columns %v, want %v", c.names, c.w, kinds, c.want)
		}
		if used > c.w {
			t.Fatalf("%v at %d: columns use %d cells", c.names, c.w, used)
		}
		// A free-text column takes what the preferences leave.
		if slices.Contains(kinds, colActor) && used != c.w {
			t.Fatalf("%v at %d: %d cells unused", c.names, c.w, c.w-used)
		}
	}
}

func TestCheckColumns(t *testing.T) {
	if err := CheckColumns(ColumnNames()); err != nil {
		t.Fatal(err)
	}
	for names, want := range map[string]string{
		"":          "no columns listed",
		"time,when": `unknown column "when"`,
		"flags":     "the flags column is always shown",
		"type,type": `column "type" is listed twice`,
		"TIME":      `unknown column "TIME"`,
	} {
		var list []string
		if names != "" {
			list = strings.Split(names, ",")
		}
		if err := CheckColumns(list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", names, err, want)
		}
	}
}
