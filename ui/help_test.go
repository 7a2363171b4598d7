package ui

import (
	"strings"
	"testing"

	"claudit/feed"

	"github.com/charmbracelet/x/ansi"
)

// At 80×24 the help fits the width, scrolls through everything it has,
// and lists every key the table answers, S and I among them.
func TestHelpFits80Columns(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 80, 24)
	h.key("?")
	if h.overlayName() != "help" {
		t.Fatalf("? opened %q", h.overlayName())
	}
	var seen strings.Builder
	for range 30 {
		screen := h.screen()
		for i, line := range strings.Split(screen, "\n") {
			if w := ansi.StringWidth(line); w > 80 {
				t.Fatalf("line %d is %d cells wide:\n%s", i, w, screen)
			}
		}
		seen.WriteString(screen)
		h.key("j")
	}
	all := seen.String()
	if !strings.Contains(all, "lines 1–") || !strings.Contains(all, "scroll") {
		t.Fatalf("a help taller than the terminal says nothing about scrolling:\n%s", all)
	}
	for _, c := range registry {
		if c.key == nil || c.label == "" || c.run == nil || c.id == actRetry || c.id == actPause {
			continue
		}
		b := c.key(&h.m.keys)
		if !b.Enabled() {
			continue
		}
		if !strings.Contains(all, b.Help().Desc) {
			t.Errorf("help never shows %q (%s)", b.Help().Desc, b.Help().Key)
		}
	}
	for _, want := range []string{"S   own API calls", "I names/ids", "closes"} {
		if !strings.Contains(all, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	// Scrolled to the end, k goes back to the top.
	for range 30 {
		h.key("k")
	}
	if !strings.Contains(h.screen(), "help · table") {
		t.Fatalf("k does not scroll back to the top:\n%s", h.screen())
	}
	h.key("?")
	if h.overlayName() != "none" {
		t.Fatalf("? again left %q open", h.overlayName())
	}
}

// The detail header says the summary once: the catalogue's description
// is left out when it is the summary already.
func TestDetailHeaderSaysTheSummaryOnce(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48)
	for i, r := range h.m.table.rows {
		info, ok := feed.Catalogue().Lookup(r.Type)
		if !ok || info.Summary == "" || r.Summary() != info.Summary {
			continue
		}
		h.m.table.cursor = i
		h.m.showSelected()
		if n := strings.Count(ansi.Strip(h.m.detail.View()), info.Summary); n != 1 {
			t.Fatalf("%s: the detail says %q %d times:\n%s", r.Type, info.Summary, n, ansi.Strip(h.m.detail.View()))
		}
		return
	}
	t.Fatal("no example row whose summary is the catalogue's description")
}
