package ui

import (
	"sync"
	"testing"
	"time"

	"claudit/store"
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
