package ui

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"claudit/store"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// forbiddenRune reports runes that must never reach the terminal from
// event text: C0 (except the newline between lines), DEL, C1, bidi
// controls, zero-width and invisible format characters.
func forbiddenRune(r rune) bool {
	switch {
	case r == '\n':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e,
		r >= 0x2060 && r <= 0x2069, r == 0xfeff, r == 0x2028, r == 0x2029:
		return true
	}
	return r == utf8.RuneError
}

// checkFrame fails if a frame could inject anything. With zero styles
// (plain) no escape sequence at all may appear; with colours every escape
// must be an SGR colour sequence and the stripped text must be clean.
func checkFrame(t *testing.T, what, frame string, plain bool) {
	t.Helper()
	text := frame
	if !plain {
		for i := 0; i < len(frame); i++ {
			if frame[i] != 0x1b {
				continue
			}
			j := i + 1
			if j >= len(frame) || frame[j] != '[' {
				t.Fatalf("%s: non-CSI escape at byte %d: %q", what, i, frame[i:min(len(frame), i+12)])
			}
			for j++; j < len(frame) && (frame[j] >= '0' && frame[j] <= '9' || frame[j] == ';' || frame[j] == ':'); j++ {
			}
			if j >= len(frame) || frame[j] != 'm' {
				t.Fatalf("%s: non-SGR sequence at byte %d: %q", what, i, frame[i:min(len(frame), j+1)])
			}
			i = j
		}
		text = ansi.Strip(frame)
	}
	for i, r := range text {
		if forbiddenRune(r) {
			t.Fatalf("%s: forbidden rune %U at byte %d: %q", what, r, i, text[max(0, i-20):min(len(text), i+20)])
		}
	}
}

// scrollDetail checks every page of the detail pane of the selected row:
// the first pages as whole frames, the rest (a 64 KiB value wraps to
// hundreds of pages) as the pane's own output, which the frame embeds.
func scrollDetail(t *testing.T, h *harness, what string, plain bool) {
	t.Helper()
	h.m.detail.scroll = 0
	for page := 0; ; page++ {
		if page < 3 {
			checkFrame(t, what, h.m.View().Content, plain)
		} else {
			checkFrame(t, what, h.m.detail.View(), plain)
		}
		if h.m.detail.scroll+h.m.detail.height >= len(h.m.detail.lines) || page > 2000 {
			return
		}
		h.m.detail.scrollBy(max(1, h.m.detail.height))
	}
}

func TestInjection(t *testing.T) {
	rows := hostileRows(t)
	for _, mode := range []struct {
		plain bool
		size  [2]int
	}{{false, [2]int{160, 48}}, {false, [2]int{80, 24}}, {true, [2]int{80, 24}}} {
		plain, size := mode.plain, mode.size
		src := newFakeRows(rows)
		src.dossiers = map[string]store.Dossier{}
		for _, r := range rows {
			for _, k := range r.KeyMentions() {
				src.dossiers[k.ID] = store.Dossier{
					KeyID: k.ID, KeyKind: k.ID, Name: k.ID,
					Lifecycle:  []store.LifecycleEvent{{Row: r, Action: r.Type, Change: r.Updates()}},
					ByType:     []store.FacetCount{{Value: r.Type, Count: 1}},
					IPs:        []store.FacetCount{{Value: r.Actor.IPAddress, Count: 1}},
					UserAgents: []store.FacetCount{{Value: r.Actor.UserAgent, Count: 1}},
				}
			}
		}
		src.suggest = map[string][]string{"actor": {"m" + hostileStrings()[1]}}
		h := newHarness(t, src, size[0], size[1], withQuery(""))
		if plain {
			st := Styles{}
			h.m.styles = &st
			h.m.applyStyles()
		}
		if len(h.m.table.rows) != len(rows) {
			t.Fatalf("%d rows on screen", len(h.m.table.rows))
		}
		h.key("enter") // open the pane (below when narrow)
		for i := range rows {
			h.m.table.cursor = i
			h.m.table.ensureVisible()
			h.m.afterMove()
			scrollDetail(t, h, rows[i].ID, plain)
		}
		// The escapes are shown, not dropped.
		h.m.table.cursor = 0
		h.m.afterMove()
		h.m.detail.scroll = 0
		if s := h.screen(); !strings.Contains(s, `\x1b[31m`) {
			t.Fatalf("the payload should be visible escaped:\n%s", s)
		}
		// Pivot on every field of a hostile row: the query bar and the
		// breadcrumbs render the values.
		for f := 0; f < len(h.m.detail.fields); f++ {
			h.m.focus = focusDetail
			h.m.relayout()
			h.m.table.cursor = 0
			h.m.afterMove()
			h.m.detail.sel = f
			h.key("enter")
			checkFrame(t, "pivot", h.m.View().Content, plain)
		}
		// Dossier of a hostile key.
		h.key("esc", "esc", "esc", "esc", "esc", "esc", "esc", "esc")
		h.m.focus = focusTable
		h.key("K")
		for range 40 {
			checkFrame(t, "dossier", h.m.View().Content, plain)
			h.key("pgdown")
		}
		h.key("esc")
		// Pasted and completed hostile text in the query bar.
		h.key("/")
		h.send(tea.PasteMsg{Content: hostileStrings()[1] + " actor:m"})
		checkFrame(t, "query paste", h.m.View().Content, plain)
		h.key("tab")
		checkFrame(t, "query completion", h.m.View().Content, plain)
		h.key("esc", ":")
		h.send(tea.PasteMsg{Content: "\x1b]0;title\x07\u202e"})
		checkFrame(t, "palette paste", h.m.View().Content, plain)
		h.key("esc")
		// Hostile text in the status line and the error page.
		h.send(markMsg{req: h.m.flight.start(reqMark), err: errors.New("disk \x1b]52;c;aGk=\x07 \u009b")})
		checkFrame(t, "status", h.m.View().Content, plain)
		bad := newFakeRows(rows)
		bad.searchErr = errors.New("\x1b[2J\u202eboom")
		e := newHarness(t, bad, size[0], size[1], withDeps(func(d *Deps) { d.Profile = "p\x1b[31m" }))
		checkFrame(t, "error page", e.m.View().Content, false)
		if title := e.m.View().WindowTitle; strings.ContainsRune(title, 0x1b) {
			t.Fatalf("window title %q", title)
		}
	}
}
