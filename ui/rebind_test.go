package ui

import (
	"maps"
	"slices"
	"testing"

	"claudit/store"
)

// reboundKeys gives every bindable action keys none of the defaults use.
func reboundKeys() map[string][]string {
	return map[string][]string{
		"find": {"ctrl+g"}, "find_next": {"o"}, "find_prev": {"O"},
		"quit": {"Q"}, "help": {"f1"}, "palette": {"f2"}, "query": {"f3"}, "back": {"backspace"},
		"retry": {"f4"}, "window": {"!", "@", "#", "$", "%", "^"}, "utc": {"u"}, "follow": {"L"},
		"pause": {"p"}, "self": {"A"}, "freeze": {"Z"}, "redact": {"X"}, "copy": {"w"}, "copy_json": {"W"},
		"mark": {"b"}, "note": {"B"}, "export": {"ctrl+e"}, "dossier": {"D"}, "focus": {"v"},
		"context": {"x"}, "facets": {"a"}, "up": {"i"}, "down": {"n"}, "top": {"h"}, "bottom": {"H"},
		"half_down": {"ctrl+f"}, "half_up": {"ctrl+b"}, "page_down": {"ctrl+l"}, "page_up": {"ctrl+o"},
		"open": {"e"}, "pivot": {"E"}, "ids": {"N"}, "hist_prev": {"<"}, "hist_next": {">"}, "zoom": {"+"},
	}
}

// With every action rebound, each overlay answers the new keys only: the
// defaults they replaced do nothing (q in help does not quit, ? does not
// close it), and the new ones do.
func TestRebindEveryActionDrivesEveryOverlay(t *testing.T) {
	over := reboundKeys()
	if got, want := slices.Sorted(maps.Keys(over)), slices.Sorted(slices.Values(BindableActions())); !slices.Equal(got, want) {
		t.Fatalf("the test rebinds %v, the bindable actions are %v", got, want)
	}
	rows := exampleRows(t)
	src := newFakeRows(rows)
	src.facets = store.Facets{IPs: []store.FacetCount{{Value: "198.51.100.77", Count: 7}, {Value: "203.0.113.9", Count: 2}}}
	src.dossiers = map[string]store.Dossier{"adminkey_01EXAMPLE000000000000007": {KeyID: "adminkey_01EXAMPLE000000000000007"}}
	h := newHarness(t, src, 160, 48, withDeps(func(d *Deps) { d.KeyOverrides = over }))
	if h.m.statusErr {
		t.Fatalf("status error %q", h.m.statusText)
	}
	noop := func(keys ...string) {
		t.Helper()
		before, cursor, q := h.overlayName(), h.m.table.cursor, h.m.query.String()
		h.key(keys...)
		if h.quit || h.overlayName() != before || h.m.table.cursor != cursor || h.m.query.String() != q {
			t.Fatalf("old keys %v acted: quit %v, overlay %s → %s, cursor %d → %d, query %q → %q",
				keys, h.quit, before, h.overlayName(), cursor, h.m.table.cursor, q, h.m.query.String())
		}
	}
	wantOverlay := func(name string) {
		t.Helper()
		if got := h.overlayName(); got != name {
			t.Fatalf("overlay %s, want %s\n%s", got, name, h.screen())
		}
	}

	// Table: the old navigation and action keys are dead.
	noop("j", "k", "G", "g", "ctrl+d", "pgdown", "?", ":", "/", "s", "c", "K", "M", "3", "enter", "tab", "[", "]", "z")
	h.key("n", "n", "n") // platform_api_key_updated by an admin key
	if h.m.table.cursor != 3 {
		t.Fatalf("n moves down: cursor %d", h.m.table.cursor)
	}
	h.key("i")
	if h.m.table.cursor != 2 {
		t.Fatalf("i moves up: cursor %d", h.m.table.cursor)
	}
	h.key("n")

	// Help: f1 opens and closes it; q and ? do nothing inside; the hint
	// names the keys that close it.
	h.key("f1")
	wantOverlay("help")
	h.mustContain("esc or f1 closes", "Q quit")
	noop("q", "?")
	h.key("f1")
	wantOverlay("none")
	h.key("f1", "backspace")
	wantOverlay("none")

	// Dossier: D opens it; q does not quit, backspace closes.
	h.key("D")
	wantOverlay("dossier")
	noop("q", "K", "j")
	h.key("backspace")
	wantOverlay("none")

	// Facets: a opens; q does nothing; n moves; backspace closes.
	h.key("a")
	wantOverlay("facets")
	noop("q", "s")
	sel := h.m.facets.sel
	h.key("j")
	if h.m.facets.sel != sel {
		t.Fatal("j moves the facet selection after down = [\"n\"]")
	}
	h.key("n")
	if h.m.facets.sel != sel+1 {
		t.Fatal("n does not move the facet selection")
	}
	h.key("backspace")
	wantOverlay("none")

	// Palette: f2 opens it and lists the new keys; enter runs the entry.
	h.key("f2")
	wantOverlay("palette")
	h.typeText("toggle utc")
	if it, _ := h.m.palette.selectedItem(); it.keys != "u" {
		t.Fatalf("palette shows key %q for the UTC toggle", it.keys)
	}
	loc := h.m.loc
	h.key("enter")
	wantOverlay("none")
	if h.m.loc == loc {
		t.Fatal("the palette entry did not run")
	}

	// Note: B opens the editor, M does not; enter saves.
	h.key("M")
	wantOverlay("none")
	h.key("B")
	wantOverlay("note")
	h.typeText("q?") // plain text in the editor
	h.key("enter")
	wantOverlay("none")
	if id := h.selectedID(); src.notes[id] != "q?" {
		t.Fatalf("note %q", src.notes[id])
	}

	// Mark: b toggles, m does not.
	marks := len(src.marks)
	h.key("n", "m")
	if len(src.marks) != marks {
		t.Fatal("m still marks")
	}
	h.key("b")
	if len(src.marks) != marks+1 {
		t.Fatal("b does not mark")
	}

	// Context: x shows ±5 minutes, backspace returns.
	q := h.m.query.String()
	h.key("x")
	if len(h.m.stack) != 1 {
		t.Fatal("x did not open the context view")
	}
	noop("esc")
	h.key("backspace")
	if len(h.m.stack) != 0 || h.m.query.String() != q {
		t.Fatalf("backspace did not return: stack %d query %q", len(h.m.stack), h.m.query.String())
	}

	// Window presets: # is the third.
	h.key("#")
	if got := h.m.query.Window.Since.String(); got != "6h0m0s" {
		t.Fatalf("# set since %s, want 6h", got)
	}

	// Detail pane: e opens it, v switches focus, E pivots.
	h.key("e")
	if h.m.focus != focusDetail {
		t.Fatal("e does not open the detail pane")
	}
	h.key("v")
	if h.m.focus != focusTable {
		t.Fatal("v does not switch focus")
	}
	h.key("v", "E")
	if len(h.m.stack) != 1 {
		t.Fatal("E does not pivot")
	}

	// Query bar: f3 opens it; inside, q and ? are text; esc cancels.
	h.key("f3")
	wantOverlay("query")
	h.key("esc")
	wantOverlay("none")

	// q does not quit; Q does.
	noop("q")
	h.key("Q")
	if !h.quit {
		t.Fatal("Q does not quit")
	}
}
