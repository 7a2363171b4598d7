package ui

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// The store benchmarks run the explorer on a real cache of 1,000,000
// simulator events, built once per test binary run and removed by TestMain.
const storeBenchEvents = 1_000_000

var storeBench struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if storeBench.dir != "" {
		os.RemoveAll(storeBench.dir)
	}
	os.Exit(code)
}

// benchStore opens the shared 1M-event cache, building it on first use.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	storeBench.once.Do(func() {
		storeBench.dir, storeBench.err = os.MkdirTemp("", "claudit-ui-bench-")
		if storeBench.err != nil {
			return
		}
		storeBench.path = filepath.Join(storeBench.dir, "bench.db")
		storeBench.err = buildBenchCache(storeBench.path)
	})
	if storeBench.err != nil {
		b.Fatal(storeBench.err)
	}
	st, err := store.Open(context.Background(), storeBench.path, store.WithNow(func() time.Time { return testNow }))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func buildBenchCache(path string) error {
	ctx := context.Background()
	end := testNow.Add(-time.Minute)
	acts := sim.New(sim.Config{Seed: 7, Events: storeBenchEvents, End: end, Now: func() time.Time { return testNow }}).Activities()
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	// Oldest page first, as a backfill walks, each page proving its range.
	const page = 5000
	window := feed.Range{From: end.Add(-31 * 24 * time.Hour), To: testNow}
	for i := len(acts); i > 0; i -= page {
		if _, err := st.Put(ctx, feed.Batch{Activities: acts[max(0, i-page):i], Covered: window}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkKeystrokeStore is BenchmarkKeystroke on the real 1M-event cache:
// one cursor move at 160×48, Update (with the keyset prefetches it
// triggers, run inline) plus View.
func BenchmarkKeystrokeStore(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-event cache")
	}
	st := benchStore(b)
	h := newHarness(b, nil, 160, 48, withDeps(func(d *Deps) { d.Source = st }), withQuery(""))
	benchKeystrokes(b, h)
}

// BenchmarkFirstScreenStore opens the 1M-event cache, reads the first
// screen's data (page, capped count, histogram, coverage) and renders it
// at 160×48.
func BenchmarkFirstScreenStore(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-event cache")
	}
	benchStore(b) // build the cache outside the timer
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		st, err := store.Open(context.Background(), storeBench.path, store.WithNow(func() time.Time { return testNow }))
		if err != nil {
			b.Fatal(err)
		}
		h := newHarness(b, nil, 160, 48, withDeps(func(d *Deps) { d.Source = st }), withQuery(""))
		if len(h.m.table.rows) == 0 {
			b.Fatal("no rows")
		}
		_ = h.m.View()
		st.Close()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/screen")
}
