package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"claudit/store"
	"claudit/ui/printer"

	tea "charm.land/bubbletea/v2"
)

func synthSource(n int) *fakeSource {
	f := newFakeFunc(n, func(i int) store.Row { return synthRow(i, n) })
	f.key = func(i int) store.Cursor { return synthCursor(i, n) }
	return f
}

func TestFirstRenderBeforeSize(t *testing.T) {
	m := New(Deps{Source: newFakeRows(nil)})
	v := m.View()
	if v.Content == "" || !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion || v.WindowTitle == "" {
		t.Fatalf("first frame: %+v", v)
	}
	// Keys and results before any size must not panic either.
	var tm tea.Model = m
	tm, _ = tm.Update(keyMsg("j"))
	tm, _ = tm.Update(keyMsg("G"))
	tm, _ = tm.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	_ = tm.View()
}

func TestTooSmall(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 59, 30)
	h.mustContain("terminal too small", "59×30")
	h.send(tea.WindowSizeMsg{Width: 80, Height: 14})
	h.mustContain("terminal too small")
	h.send(tea.WindowSizeMsg{Width: 60, Height: 15})
	h.mustContain("TIME (UTC)", "events")
	if lines := strings.Count(h.m.View().Content, "\n") + 1; lines != 15 {
		t.Fatalf("60×15 renders %d lines", lines)
	}
}

// Every frame is exactly the terminal size, whatever the state.
func TestFrameSize(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 80, 24)
	check := func(what string) {
		t.Helper()
		lines := strings.Split(h.screen(), "\n")
		if len(lines) != h.m.height {
			t.Fatalf("%s: %d lines, want %d\n%s", what, len(lines), h.m.height, h.screen())
		}
		for i, l := range lines {
			if w := len([]rune(l)); w > h.m.width {
				t.Fatalf("%s: line %d is %d wide: %q", what, i, w, l)
			}
		}
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}, {139, 40}, {140, 40}, {60, 15}} {
		h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		check(fmt.Sprint(size, " table"))
		h.key("enter")
		check(fmt.Sprint(size, " detail"))
		h.key("?")
		check(fmt.Sprint(size, " help"))
		h.key("esc", "K")
		check(fmt.Sprint(size, " dossier"))
		h.key("esc", ":")
		check(fmt.Sprint(size, " palette"))
		h.key("esc", "/")
		h.typeText(" since:banana")
		check(fmt.Sprint(size, " query error"))
		h.key("esc", "esc")
	}
}

// Walking the whole result row by row visits every row once, in order,
// while the table never holds more than windowMax rows.
func TestVirtualTableWalk(t *testing.T) {
	const n = 1000
	src := synthSource(n)
	h := newHarness(t, src, 100, 30, withQuery(""))
	if h.m.total != n || h.m.capped {
		t.Fatalf("total %d capped %v", h.m.total, h.m.capped)
	}
	for i := 0; i < n; i++ {
		if got, want := h.selectedID(), src.at(i).ID; got != want {
			t.Fatalf("row %d: selected %s, want %s", i, got, want)
		}
		if p := h.m.table.position(); p != i {
			t.Fatalf("row %d: position %d", i, p)
		}
		if len(h.m.table.rows) > windowMax {
			t.Fatalf("window holds %d rows", len(h.m.table.rows))
		}
		h.key("j")
	}
	if !h.m.table.atOldest || h.selectedID() != src.at(n-1).ID {
		t.Fatal("j past the end must stay on the oldest row")
	}
	h.mustContain(fmt.Sprintf("%s/%s", printer.Thousands(n), printer.Thousands(n)))
	for i := n - 1; i >= 0; i-- {
		if got, want := h.selectedID(), src.at(i).ID; got != want {
			t.Fatalf("back at row %d: selected %s, want %s", i, got, want)
		}
		h.key("k")
	}
	// Each keyset page was fetched once per direction: O(window) reads.
	if s := src.callCount("Search"); s > 2*n/pageSize+4 {
		t.Fatalf("%d searches for a %d-row walk", s, n)
	}
}

func TestJumpKeys(t *testing.T) {
	const n = 5000
	src := synthSource(n)
	h := newHarness(t, src, 100, 30, withQuery(""))
	body := h.m.table.bodyHeight()
	h.key("ctrl+d")
	if p := h.m.table.position(); p != body/2 {
		t.Fatalf("ctrl+d: position %d, want %d", p, body/2)
	}
	h.key("pgdown")
	if p := h.m.table.position(); p != body/2+body {
		t.Fatalf("pgdown: position %d", p)
	}
	h.key("pgup", "ctrl+u")
	if p := h.m.table.position(); p != 0 {
		t.Fatalf("back up: position %d", p)
	}
	h.key("G")
	if got := h.selectedID(); got != src.at(n-1).ID {
		t.Fatalf("G selected %s, want the oldest %s", got, src.at(n-1).ID)
	}
	if p := h.m.table.position(); p != n-1 {
		t.Fatalf("G: position %d", p)
	}
	h.key("k")
	if got := h.selectedID(); got != src.at(n-2).ID {
		t.Fatalf("k after G: %s", got)
	}
	h.key("g")
	if got := h.selectedID(); got != src.at(0).ID || !h.m.table.atNewest {
		t.Fatalf("g selected %s", got)
	}
	h.key("end")
	h.key("home")
	if h.m.table.position() != 0 {
		t.Fatal("home/end")
	}
}

func TestMouse(t *testing.T) {
	src := synthSource(500)
	h := newHarness(t, src, 100, 30, withQuery(""))
	h.send(tea.MouseWheelMsg{X: 5, Y: h.m.lay.Table.Y + 3, Button: tea.MouseWheelDown})
	if p := h.m.table.position(); p != wheelStep {
		t.Fatalf("wheel: position %d", p)
	}
	// Click the fifth visible row.
	h.send(tea.MouseClickMsg{X: 5, Y: h.m.lay.Table.Y + 5, Button: tea.MouseLeft})
	if got, want := h.selectedID(), src.at(h.m.table.offset+4).ID; got != want {
		t.Fatalf("click selected %s, want %s", got, want)
	}
	// Narrow: enter opens the pane below; a click there focuses it.
	h.key("enter")
	if h.m.focus != focusDetail || !h.m.detailVisible() {
		t.Fatal("enter must open and focus the detail pane")
	}
	h.send(tea.MouseClickMsg{X: 5, Y: h.m.lay.Table.Y + 1, Button: tea.MouseLeft})
	if h.m.focus != focusTable {
		t.Fatal("click on the table focuses it")
	}
	h.send(tea.MouseClickMsg{X: 5, Y: h.m.lay.DetailInner.Y + 1, Button: tea.MouseLeft})
	if h.m.focus != focusDetail {
		t.Fatal("click on the detail focuses it")
	}
	before := h.m.detail.scroll
	h.send(tea.MouseWheelMsg{X: 5, Y: h.m.lay.DetailInner.Y + 1, Button: tea.MouseWheelDown})
	if h.m.detail.scroll != before+wheelStep {
		t.Fatalf("wheel in detail: scroll %d → %d", before, h.m.detail.scroll)
	}
}

// Past the first count's cap the exact count follows (counts_test.go).
func TestCountCapped(t *testing.T) {
	h := newHarness(t, synthSource(150_000), 100, 30, withQuery(""))
	h.mustContain("150,000 events", "1/150,000")
}

func TestSelfAndLateMarked(t *testing.T) {
	h := newHarness(t, newFakeRows(selfRows(t)), 160, 48)
	if strings.Contains(h.screen(), "compliance_api_acc") {
		t.Fatalf("claudit's own call shown by default:\n%s", h.screen())
	}
	h.mustContain("1 own hidden")
	h.key("S", "g") // shows them, in any mode; the newest row is one
	lines := strings.Split(h.screen(), "\n")
	var self, late bool
	for _, l := range lines {
		self = self || strings.Contains(l, " S  09-15 14:02:31") && strings.Contains(l, "compliance_api_acc")
		late = late || strings.Contains(l, "  L 09-15 13:57:05")
	}
	if !self || !late {
		t.Fatalf("self %v late %v:\n%s", self, late, h.screen())
	}
	h.mustContain("S claudit's own API call")
}

func TestStaleResultsDropped(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
	oldSeq := h.m.table.reloadSeq // 0: settled
	oldCtx := h.m.queryCtx
	h.key("2") // since:1h: a new query
	if oldCtx.Err() == nil {
		t.Fatal("a new query must cancel the previous query's context")
	}
	want := h.selectedID()
	stale := pageMsg{seq: oldSeq + 1, kind: fetchReload, rows: []store.Row{synthRow(0, 1)}, asked: pageSize}
	h.send(stale)
	h.send(countMsg{req: req{kind: reqCount, id: 1}, n: 999})
	h.send(histMsg{req: req{kind: reqHist, id: 2}, h: store.Histogram{Buckets: []int{1}}})
	if h.selectedID() != want || h.m.total == 999 {
		t.Fatal("a result of an earlier request was applied")
	}
}

func TestWindowKeys(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30, withQuery("type:@keys"))
	for k, want := range map[string]string{"1": "since:15m", "2": "since:1h", "3": "since:6h", "4": "since:24h", "5": "since:7d", "6": "since:30d"} {
		h.key(k)
		if got := h.m.query.String(); got != want+" type:@keys" {
			t.Fatalf("key %s: query %q", k, got)
		}
	}
	h.key("1") // 15m before 15:00 holds none of the examples (newest 14:02)
	if len(h.m.table.rows) != 0 {
		t.Fatalf("since:15m shows %d rows", len(h.m.table.rows))
	}
	h.mustContain("0 events in last 15m (cache covers 100% of it)")
}

func TestQueryBar(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
	h.key("/")
	if h.overlayName() != "query" {
		t.Fatal("/ opens the query bar")
	}
	h.key("ctrl+u")
	h.typeText("actor:alice.admin@example.com since:banana")
	h.mustContain("^ since:banana")
	// The caret sits under the bad token: prompt + "actor:… " before it.
	var caretCol, tokenCol int
	for _, l := range strings.Split(h.screen(), "\n") {
		if i := strings.Index(l, "since:banana"); i >= 0 && tokenCol == 0 {
			tokenCol = len([]rune(l[:i]))
		}
		if i := strings.Index(l, "^"); i >= 0 {
			caretCol = len([]rune(l[:i]))
		}
	}
	if caretCol != tokenCol || caretCol == 0 {
		t.Fatalf("caret at column %d, token at %d:\n%s", caretCol, tokenCol, h.screen())
	}
	h.key("enter") // refused: still editing
	if h.overlayName() != "query" {
		t.Fatal("enter with a parse error must keep the bar open")
	}
	for range len("banana") {
		h.key("backspace")
	}
	h.typeText("24h")
	h.key("enter")
	if h.overlayName() != "none" || h.m.query.String() != "since:24h actor:alice.admin@example.com" {
		t.Fatalf("applied %q", h.m.query.String())
	}
	for _, r := range h.m.table.rows {
		if r.Actor.EmailAddress != "alice.admin@example.com" {
			t.Fatalf("row %s by %s", r.ID, r.Actor.EmailAddress)
		}
	}
	if len(h.m.table.rows) != 2 {
		t.Fatalf("%d rows for alice", len(h.m.table.rows))
	}
	// esc cancels an edit; history brings back older queries.
	h.key("/", "ctrl+u")
	h.typeText("since:1h")
	h.key("esc")
	if h.m.query.String() != "since:24h actor:alice.admin@example.com" {
		t.Fatal("esc must not apply")
	}
	h.key("/", "ctrl+u")
	h.typeText("since:7d")
	h.key("enter", "/", "up")
	if v := h.m.bar.input.Value(); v != "since:7d" {
		t.Fatalf("history up: %q", v)
	}
	h.key("up")
	if v := h.m.bar.input.Value(); v != "since:24h actor:alice.admin@example.com" {
		t.Fatalf("history up twice: %q", v)
	}
	h.key("down", "down")
	if v := h.m.bar.input.Value(); v != "since:7d" {
		t.Fatalf("history down to the draft: %q", v)
	}
}

func TestCompletion(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	src.suggest = map[string][]string{"actor": {"alice.admin@example.com", "bob.dev@example.com"}}
	h := newHarness(t, src, 100, 30)
	edit := func(text string) {
		h.key("/", "ctrl+u")
		h.typeText(text)
		h.key("tab")
	}
	edit("ac")
	if v := h.m.bar.input.Value(); v != "actor:" {
		t.Fatalf("field completion: %q", v)
	}
	h.key("esc")
	edit("type:scoped_api_key_u")
	if v := h.m.bar.input.Value(); v != "type:scoped_api_key_updated " {
		t.Fatalf("type completion: %q", v)
	}
	h.key("esc")
	edit("-type:@ke")
	if v := h.m.bar.input.Value(); v != "-type:@keys " {
		t.Fatalf("preset completion: %q", v)
	}
	h.key("esc")
	edit("type:scoped_api_key_")
	if v := h.m.bar.input.Value(); v != "type:scoped_api_key_" || len(h.m.bar.completions) < 2 {
		t.Fatalf("ambiguous: %q %v", h.m.bar.input.Value(), h.m.bar.completions)
	}
	h.mustContain("type:scoped_api_key_deleted")
	h.key("tab")
	first := h.m.bar.input.Value()
	h.key("tab")
	if second := h.m.bar.input.Value(); first == second || !strings.HasPrefix(second, "type:scoped_api_key_") {
		t.Fatalf("tab cycles: %q then %q", first, second)
	}
	h.key("esc")
	edit("actor:b")
	if v := h.m.bar.input.Value(); v != "actor:bob.dev@example.com " {
		t.Fatalf("cache completion: %q", v)
	}
	if src.callCount("Suggest") != 1 {
		t.Fatal("actor values come from Source.Suggest")
	}
}

func TestPivotAndBack(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48)
	h.key("j", "j") // api_key_created by alice
	h.key("enter")
	if h.m.focus != focusDetail {
		t.Fatal("enter focuses the detail pane")
	}
	// Select the ip field.
	for i, f := range h.m.detail.fields {
		if f.Label == "ip" {
			for range i {
				h.key("j")
			}
			break
		}
	}
	f, _ := h.m.detail.selectedField()
	if f.Label != "ip" || f.Value != "192.0.2.10" {
		t.Fatalf("selected %+v", f)
	}
	h.key("enter")
	if got := h.m.query.String(); got != "since:24h ip:192.0.2.10" {
		t.Fatalf("pivot query %q", got)
	}
	if h.m.focus != focusTable || len(h.m.table.rows) != 2 {
		t.Fatalf("pivot: focus %v, %d rows", h.m.focus, len(h.m.table.rows))
	}
	h.mustContain("esc ← since:24h › +ip:192.0.2.10")
	// Pivot again, on the key.
	h.key("enter")
	for h.m.detail.fields[h.m.detail.sel].Label != "key" {
		h.key("j")
	}
	h.key("enter")
	if len(h.m.stack) != 2 || !strings.Contains(h.m.query.String(), "key:apikey_") {
		t.Fatalf("second pivot: %q, stack %d", h.m.query.String(), len(h.m.stack))
	}
	h.key("esc")
	if got := h.m.query.String(); got != "since:24h ip:192.0.2.10" {
		t.Fatalf("esc: %q", got)
	}
	h.key("esc")
	if got := h.m.query.String(); got != "since:24h" || len(h.m.bar.crumbs) != 0 {
		t.Fatalf("esc twice: %q", got)
	}
	if strings.Contains(h.screen(), "esc ←") {
		t.Fatal("breadcrumbs stay after the stack emptied")
	}
}

func TestCopyAndStatusTTL(t *testing.T) {
	rows := exampleRows(t)
	h := newHarness(t, newFakeRows(rows), 160, 48)
	h.key("y")
	if len(h.clipboard) != 1 || h.clipboard[0] != rows[0].ID {
		t.Fatalf("y copied %q", h.clipboard)
	}
	h.mustContain("copied activity id")
	h.key("Y")
	if string(rows[0].Raw) != h.clipboard[1] {
		t.Fatal("Y must copy the raw JSON verbatim")
	}
	h.key("tab", "j", "j") // detail: third field (ip)
	h.key("y")
	f, _ := h.m.detail.selectedField()
	if h.clipboard[2] != f.Value {
		t.Fatalf("y in detail copied %q, want %q", h.clipboard[2], f.Value)
	}
	h.mustContain("copied " + f.Label)
	h.fireTicks()
	if h.m.statusText != "" || strings.Contains(h.screen(), "copied") {
		t.Fatal("the status message outlived its TTL")
	}
}

func TestMark(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	h := newHarness(t, src, 160, 48)
	h.key("j", "m")
	if !h.m.table.rows[1].Marked || !src.marks[h.m.table.rows[1].ID] {
		t.Fatal("m must mark the row in the cache and on screen")
	}
	h.mustContain("★    09-15 14:01:58", "★ marked")
	h.key("m")
	if h.m.table.rows[1].Marked {
		t.Fatal("m again unmarks")
	}
}

func TestTimeZoneToggle(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
	h.mustContain("TIME (UTC)", "09-15 14:02:31 +00:00")
	h.m.local = time.FixedZone("test", 2*3600)
	h.key("t")
	h.mustContain("TIME (local)", "09-15 16:02:31 +02:00")
	h.key("t")
	h.mustContain("TIME (UTC)", "09-15 14:02:31 +00:00")
}

func TestErrorPageAndRetry(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	src.searchErr = errors.New("database is locked \x1b[31m")
	h := newHarness(t, src, 100, 30)
	if h.m.state != stateError {
		t.Fatal("want the error page")
	}
	h.mustContain("The cache could not be read", `database is locked \x1b[31m`, "r retry")
	h.key("j") // meaningless here
	src.searchErr = nil
	h.key("r")
	if h.m.state != stateReady || len(h.m.table.rows) != 10 {
		t.Fatalf("retry: state %v rows %d", h.m.state, len(h.m.table.rows))
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
		ctx := h.m.queryCtx
		h.key(k)
		if !h.quit || ctx.Err() == nil {
			t.Fatalf("%s: quit %v, reads cancelled %v", k, h.quit, ctx.Err())
		}
	}
	// In the query bar q is text, ctrl+c still quits.
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
	h.key("/", "q")
	if h.quit {
		t.Fatal("q typed in the query bar quit")
	}
	h.key("ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c in the query bar")
	}
}

func TestBackgroundColour(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
	dark := h.m.View().Content
	h.send(tea.BackgroundColorMsg{Color: whiteColour{}})
	light := h.m.View().Content
	if dark == light {
		t.Fatal("a light background must change the styles")
	}
	h2 := newHarness(t, newFakeRows(exampleRows(t)), 100, 30, withDeps(func(d *Deps) { d.NoColor = true }))
	before := h2.m.View().Content
	h2.send(tea.BackgroundColorMsg{Color: whiteColour{}})
	if h2.m.View().Content != before {
		t.Fatal("NO_COLOR must ignore the background colour")
	}
	if strings.Contains(before, "\x1b[38;") || strings.Contains(before, "\x1b[48;") {
		t.Fatal("NO_COLOR output carries colours")
	}
}

type whiteColour struct{}

func (whiteColour) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }
