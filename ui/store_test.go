package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
)

// The real cache is a Source.
var _ Source = (*store.Store)(nil)

// TestWithRealStore drives the program against a real cache holding the
// example pages plus synthetic rows: paging both ways, a pivot and the
// coverage header agree with what the store says.
func TestWithRealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"), store.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var acts []feed.Activity
	for _, r := range exampleRows(t) {
		acts = append(acts, r.Activity)
	}
	const n = 400 // more than windowMax: the walk trims the window
	for i := range n {
		acts = append(acts, synthRow(i, n).Activity)
	}
	window := feed.Range{From: testNow.Add(-30 * 24 * time.Hour), To: testNow}
	if _, err := st.Put(ctx, feed.Batch{Activities: acts, Covered: window}); err != nil {
		t.Fatal(err)
	}
	h := newHarnessSource(t, st, 160, 48, withQuery("since:24h"))
	if h.m.state != stateReady || h.m.total != n+10 {
		t.Fatalf("state %v total %d (want %d)", h.m.state, h.m.total, n+10)
	}
	h.mustContain("cache 100% of last 24h", printer.Thousands(n+10)+" events")
	// Walk to the oldest row and back by keyset pages.
	var ids []string
	for range n + 10 {
		ids = append(ids, h.selectedID())
		h.key("j")
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Fatalf("row %d: %s shown twice", i, id)
		}
		seen[id] = true
	}
	h.key("g")
	if h.selectedID() != ids[0] {
		t.Fatal("g")
	}
	h.key("G")
	if h.selectedID() != ids[len(ids)-1] {
		t.Fatalf("G selected %s, want %s", h.selectedID(), ids[len(ids)-1])
	}
	// Pivot on alice's ip from her api_key_created row.
	h.key("g")
	for !strings.HasPrefix(h.selectedID(), "activity_01EXAMPLEFEED00000000118") {
		h.key("j")
	}
	h.key("enter")
	for h.m.detail.fields[h.m.detail.sel].Label != "ip" {
		h.key("j")
	}
	h.key("enter")
	want := 0
	for _, a := range acts {
		if a.Actor.IPAddress == "192.0.2.10" && !a.CreatedAt.Before(testNow.Add(-24*time.Hour)) {
			want++
		}
	}
	if len(h.m.table.rows) != want || h.m.total != want {
		t.Fatalf("ip pivot: %d rows, total %d, want %d", len(h.m.table.rows), h.m.total, want)
	}
	for _, r := range h.m.table.rows {
		if r.Actor.IPAddress != "192.0.2.10" {
			t.Fatalf("row %s from %s", r.ID, r.Actor.IPAddress)
		}
	}
	h.key("esc")
	if h.m.total != n+10 {
		t.Fatal("esc restores the query")
	}
}

// newHarnessSource is newHarness over any Source.
func newHarnessSource(t *testing.T, src Source, w, hgt int, opts ...harnessOpt) *harness {
	t.Helper()
	opts = append([]harnessOpt{withDeps(func(d *Deps) { d.Source = src })}, opts...)
	return newHarness(t, nil, w, hgt, opts...)
}
