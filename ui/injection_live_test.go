package ui

import (
	"context"
	"errors"
	"testing"

	"claudit/feed"
	"claudit/store"

	tea "charm.land/bubbletea/v2"
)

// The views added for live tail, marks, facets and redaction neutralise
// hostile event text like the rest.
func TestInjectionNewViews(t *testing.T) {
	rows := hostileRows(t)
	src := newFakeRows(rows)
	h := hostile(t, src)
	for _, r := range rows {
		src.facets.Actors = append(src.facets.Actors, store.FacetCount{Value: r.Actor.EmailAddress, Count: 1})
		src.facets.IPs = append(src.facets.IPs, store.FacetCount{Value: r.Actor.IPAddress, Count: 1})
		src.facets.Keys = append(src.facets.Keys, store.FacetCount{Value: r.Type, Count: 1})
	}
	// Redacted table and detail of every row (first page of the pane).
	h.key("R", "enter")
	for i := range rows {
		h.m.table.cursor = i
		h.m.table.ensureVisible()
		h.m.afterMove()
		checkFrame(t, "redacted "+rows[i].ID, h.m.View().Content, false)
	}
	h.key("esc", "s")
	checkFrame(t, "redacted facets", h.m.View().Content, false)
	h.key("esc", "R", "s")
	for range len(src.facets.Actors) + len(src.facets.IPs) {
		checkFrame(t, "facets", h.m.View().Content, false)
		h.key("j")
	}
	h.key("esc", "M")
	h.send(tea.PasteMsg{Content: hostileStrings()[1] + "\u202e"})
	checkFrame(t, "note editor", h.m.View().Content, false)
	h.key("enter")
	checkFrame(t, "noted row", h.m.View().Content, false)
	// A hostile error from the tail, in the header and the status line.
	ft := h.tail
	h.key("f")
	ft.emit(feed.Progress{Phase: "tail", Err: errors.New("bad \x1b]52;c;aGk=\x07 gateway\u009b")})
	h.releaseWaits()
	checkFrame(t, "tail error", h.m.View().Content, false)
	ft.emit(feed.Progress{Phase: fatalPhase, Err: errors.New("\x1b[2Jgone")})
	h.releaseWaits()
	checkFrame(t, "tail stopped", h.m.View().Content, false)
	h.key("ctrl+s")
	checkFrame(t, "export error", h.m.View().Content, false)
}

// hostileHarness is a live-capable harness over hostile rows.
type hostileHarness struct {
	*harness
	tail *fakeTail
}

func hostile(t *testing.T, src *fakeSource) hostileHarness {
	ft := newFakeTail(t)
	h := newHarness(t, src, 80, 24, withQuery(""), parkWaits(), withDeps(func(d *Deps) {
		d.Tail = ft.run
		d.Export = func(context.Context, feed.Query, string, *feed.Redactor) (string, error) {
			return "", errors.New("\x1b]0;pwned\x07")
		}
	}))
	return hostileHarness{harness: h, tail: ft}
}
