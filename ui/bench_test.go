package ui

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"

	"github.com/charmbracelet/x/ansi"
)

// benchRows is the size of the synthetic cache the benchmarks browse. The
// fake serves it by keyset from a generator, so a screen costs O(window)
// like the real store; the lead swaps in a real 1M-event store later.
const benchRows = 1_000_000

var (
	benchOnce sync.Once
	benchSrc  *fakeSource
)

func benchSource() *fakeSource {
	benchOnce.Do(func() {
		benchSrc = newFakeFunc(benchRows, func(i int) store.Row { return synthRow(i, benchRows) })
		benchSrc.key = func(i int) store.Cursor { return synthCursor(i, benchRows) }
	})
	return benchSrc
}

// BenchmarkKeystroke is one cursor move at 160×48: Update (with any
// prefetch it triggers, run inline) plus View.
func BenchmarkKeystroke(b *testing.B) {
	if testing.Short() {
		b.Skip("browses a 1,000,000-row cache")
	}
	h := newHarness(b, benchSource(), 160, 48, withQuery(""))
	benchKeystrokes(b, h)
}

// benchKeystrokes times b.N cursor moves (Update with any prefetch it
// triggers, run inline, plus View), walking down and back up every 2,000
// rows so both prefetch directions are exercised.
func benchKeystrokes(b *testing.B, h *harness) {
	down, up := keyMsg("j"), keyMsg("k")
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if i/2000%2 == 0 {
			h.send(down)
		} else {
			h.send(up)
		}
		_ = h.m.View()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/keystroke")
	b.ReportMetric(float64(len(h.m.table.rows)), "rows-in-memory")
}

// BenchmarkFirstScreen builds the model, reads the first screen's data
// (page, count, histogram, coverage) and renders it at 160×48.
func BenchmarkFirstScreen(b *testing.B) {
	if testing.Short() {
		b.Skip("browses a 1,000,000-row cache")
	}
	src := benchSource()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		h := newHarness(b, src, 160, 48, withQuery(""))
		if len(h.m.table.rows) == 0 {
			b.Fatal("no rows")
		}
		_ = h.m.View()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/screen")
}

// benchNames is a directory for the synthetic feed: every actor, target
// key and the org of synthRow named, among 10,000 users and 200 groups.
func benchNames() *store.Names {
	var es []store.Entity
	for i := range 10_000 {
		es = append(es, store.Entity{Kind: store.KindUser, ID: fmt.Sprintf("user_01SYNTH%016d", i),
			Name: fmt.Sprintf("User Number %d", i), Email: fmt.Sprintf("user%d@example.com", i), Role: "user"})
	}
	for i := range 200 {
		es = append(es, store.Entity{Kind: store.KindGroup, ID: fmt.Sprintf("rbac_group_01SYNTH%08d", i), Name: fmt.Sprintf("Group %d", i)})
	}
	for i := range 11 {
		id := fmt.Sprintf("apikey_01TARGET%014d", i)
		es = append(es, store.Entity{Kind: store.KindKey, ID: id, Name: fmt.Sprintf("Target key %d", i),
			Key: &feed.ComplianceKey{ID: id, Active: true, CreatedByID: "user_01SYNTH0000000000000001"}})
	}
	for i := range 5 {
		es = append(es, store.Entity{Kind: store.KindKey, ID: fmt.Sprintf("apikey_01SYNTH%014d", i), Name: fmt.Sprintf("SIEM pull %d", i)})
	}
	es = append(es, store.Entity{Kind: store.KindOrg, ID: "11111111-2222-4333-8444-000000000001",
		Aliases: []string{"org_01SYNTHORG00000000000001"}, Name: "Research"})
	return store.NewNames(es)
}

// BenchmarkKeystrokeNames is BenchmarkKeystroke with the directory's names
// in the table and the detail pane.
func BenchmarkKeystrokeNames(b *testing.B) {
	if testing.Short() {
		b.Skip("browses a 1,000,000-row cache")
	}
	src := newFakeFunc(benchRows, func(i int) store.Row { return synthRow(i, benchRows) })
	src.key = func(i int) store.Cursor { return synthCursor(i, benchRows) }
	src.names = benchNames()
	h := newHarness(b, src, 160, 48, withQuery(""))
	if !strings.Contains(ansi.Strip(h.m.table.View()), "User Number") {
		b.Fatal("no names in the table")
	}
	benchKeystrokes(b, h)
}
