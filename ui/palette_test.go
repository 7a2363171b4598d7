package ui

import (
	"strings"
	"testing"
)

// A saved view is a palette entry; choosing it applies its query and
// pushes the pivot stack, so esc returns to the previous query and row.
func TestPaletteViews(t *testing.T) {
	views := []View{
		{Name: "incident", Query: "since:24h type:@keys -is:self"},
		{Name: "admins", Query: "since:7d actor:alice.admin@example.com"},
	}
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 40, withDeps(func(d *Deps) { d.Views = views }))
	h.key("j")
	before, row := h.m.query.String(), h.selectedID()

	h.key(":")
	h.mustContain("view incident — since:24h type:@keys -is:self", "view admins — since:7d actor:alice.admin@example.com")
	h.typeText("incident")
	if it, ok := h.m.palette.selectedItem(); !ok || it.act != actView || it.view.Name != "incident" {
		t.Fatalf("typing the view name selects %+v", it)
	}
	h.key("enter")
	if h.overlayName() != "none" {
		t.Fatal("the palette stayed open")
	}
	if got, want := h.m.query.String(), "since:24h type:@keys -is:self"; got != want {
		t.Fatalf("query %q, want %q", got, want)
	}
	if len(h.m.stack) != 1 {
		t.Fatalf("stack depth %d", len(h.m.stack))
	}
	h.mustContain("view incident")
	// Only key lifecycle events, none of claudit's own calls.
	for _, r := range h.m.table.rows {
		if r.Self || !strings.Contains(r.Type, "key") {
			t.Fatalf("row %s (%s, self %v) does not match the view", r.ID, r.Type, r.Self)
		}
	}
	if len(h.m.table.rows) == 0 {
		t.Fatal("the view shows nothing")
	}

	h.key("esc")
	if h.m.query.String() != before || h.selectedID() != row || len(h.m.stack) != 0 {
		t.Fatalf("esc: query %q row %s stack %d, want %q %s 0", h.m.query.String(), h.selectedID(), len(h.m.stack), before, row)
	}
}

// A view whose query no longer parses says so instead of applying.
func TestPaletteViewBadQuery(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30, withDeps(func(d *Deps) {
		d.Views = []View{{Name: "broken", Query: "since:banana"}}
	}))
	before := h.m.query.String()
	h.key(":")
	h.typeText("broken")
	h.key("enter")
	if h.m.query.String() != before || !h.m.statusErr || !strings.Contains(h.m.statusText, "view broken: since:banana") {
		t.Fatalf("query %q status %q", h.m.query.String(), h.m.statusText)
	}
}

// View names and queries come from a file: control sequences in them never
// reach the terminal.
func TestPaletteViewSanitised(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30, withDeps(func(d *Deps) {
		d.Views = []View{{Name: "evil\x1b]0;pwned\x07", Query: "\"\x1b[2J\""}}
	}))
	h.key(":")
	if v := h.m.View().Content; strings.Contains(v, "\x1b]0;") || strings.Contains(v, "\x1b[2J") {
		t.Fatal("a control sequence from a view reached the screen")
	}
}
