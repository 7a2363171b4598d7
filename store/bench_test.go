package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// benchEvents is the size of the shared benchmark cache.
const benchEvents = 1_000_000

// benchCache is the 1M-event cache built once per test binary run and
// shared by the read benchmarks.
type benchCache struct {
	once     sync.Once
	dir      string
	path     string
	scenario sim.Scenario
	acts     []feed.Activity
	ingest   time.Duration
	// tail is the time the last tailEvents of the build took: the rate
	// once the cache is big.
	tail time.Duration
	// endRun is the time EndRun took (it compacts the indexes).
	endRun time.Duration
	err    error
}

// tailEvents is the stretch at the end of the 1M build whose rate is
// reported on its own.
const tailEvents = 200_000

var shared benchCache

func (c *benchCache) get(b *testing.B) *benchCache {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a 1,000,000-event cache; skipped with -short")
	}
	c.once.Do(func() {
		c.dir, c.err = os.MkdirTemp("", "claudit-bench-")
		if c.err != nil {
			return
		}
		c.path = filepath.Join(c.dir, "bench.db")
		srv := sim.New(sim.Config{Seed: 42, Events: benchEvents, End: testNow, Now: func() time.Time { return testNow.Add(time.Hour) }})
		c.acts, c.scenario = srv.Activities(), srv.Scenario()
		var s *Store
		s, c.err = Open(context.Background(), c.path)
		if c.err != nil {
			return
		}
		defer s.Close()
		// As the Syncer does: one run, its pages, the run's end (which
		// compacts the indexes).
		ctx := context.Background()
		start := time.Now()
		var run int64
		if run, c.err = s.BeginRun(ctx, feed.RunInfo{Kind: "window", Started: start}); c.err != nil {
			return
		}
		var tailStart time.Time
		for i := 0; i < len(c.acts) && c.err == nil; i += 5000 {
			if i == len(c.acts)-tailEvents {
				tailStart = time.Now()
			}
			_, c.err = s.Put(ctx, feed.Batch{Activities: c.acts[i:min(len(c.acts), i+5000)]})
		}
		c.tail = time.Since(tailStart)
		if c.err == nil {
			endStart := time.Now()
			c.err = s.EndRun(ctx, run, feed.RunSummary{Events: len(c.acts)})
			c.endRun = time.Since(endStart)
		}
		c.ingest = time.Since(start)
	})
	if c.err != nil {
		b.Fatal(c.err)
	}
	return c
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// BenchmarkIngest measures sustained ingest while a cache grows, in pages of
// 5000 as the Syncer writes them. b.N is in events.
func BenchmarkIngest(b *testing.B) {
	if testing.Short() {
		b.Skip("skipped with -short")
	}
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	srv := sim.New(sim.Config{Seed: 7, Events: n, End: testNow, Now: func() time.Time { return testNow.Add(time.Hour) }})
	acts := srv.Activities()
	b.ResetTimer()
	total := 0
	var elapsed time.Duration
	var bytesPerEvent float64
	for b.Loop() {
		b.StopTimer()
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "ingest.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for i := 0; i < len(acts); i += 5000 {
			if _, err := s.Put(context.Background(), feed.Batch{Activities: acts[i:min(len(acts), i+5000)]}); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
		total += len(acts)
		b.StopTimer()
		st, err := s.Stats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		bytesPerEvent = float64(st.Bytes) / float64(st.Events)
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
	b.ReportMetric(bytesPerEvent, "bytes/event")
}

func openShared(b *testing.B) (*Store, *benchCache) {
	c := shared.get(b)
	s, err := Open(context.Background(), c.path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, c
}

// BenchmarkBuild1M reports the ingest rate and disk footprint of the shared
// 1,000,000-event cache (built once per run, in one sync run): events/s
// over the whole build (the run's end included), tail-events/s over its
// last 200,000 events, endrun-ms for the run's end alone.
func BenchmarkBuild1M(b *testing.B) {
	s, c := openShared(b)
	for b.Loop() {
	}
	st, err := s.Stats(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var raw int64
	for _, a := range c.acts {
		raw += int64(len(a.Raw))
	}
	b.ReportMetric(float64(len(c.acts))/c.ingest.Seconds(), "events/s")
	b.ReportMetric(tailEvents/c.tail.Seconds(), "tail-events/s")
	b.ReportMetric(float64(c.endRun.Milliseconds()), "endrun-ms")
	b.ReportMetric(float64(st.Bytes)/float64(st.Events), "bytes/event")
	b.ReportMetric(float64(raw)/float64(len(c.acts)), "raw-bytes/event")
}

func benchQuery(b *testing.B, s *Store, qs string, fn func(q feed.Query) error) {
	q, err := feed.Parse(qs)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := fn(q); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(n), "ms/op")
}

// BenchmarkSearchFirstPage measures the first 200 rows of typical queries.
func BenchmarkSearchFirstPage(b *testing.B) {
	s, c := openShared(b)
	sc := c.scenario
	for name, qs := range map[string]string{
		"all":        "",
		"time":       "since:24h",
		"actor":      "actor:" + sc.Users[0],
		"key":        "key:" + sc.LeakedKeyID,
		"typeglob":   "type:*api_key*",
		"preset":     "type:@keys since:30d",
		"org":        "org:" + sc.Org2ID,
		"exclude":    "-type:@noise since:7d",
		"ip":         "ip:" + sc.AttackerIP,
		"actor+type": "actor:" + sc.Users[1] + " type:@auth",
	} {
		b.Run(name, func(b *testing.B) {
			benchQuery(b, s, qs, func(q feed.Query) error {
				rows, err := s.Search(context.Background(), q, testNow, Cursor{}, Older, 200)
				if err == nil && len(rows) == 0 {
					err = fmt.Errorf("%s: no rows", qs)
				}
				return err
			})
		})
	}
}

// BenchmarkFreeText measures a free-text (substring) search's first page
// of 200 rows on the 1M cache (ms/op), from common needles to a piece of
// one key id that few events mention and one that none does. It reports
// the cache's size per event with its free-text index, and load-ms: the
// first free-text query of a process reading the distinct values into
// memory, which every sub-benchmark then finds loaded.
func BenchmarkFreeText(b *testing.B) {
	s, c := openShared(b)
	sc := c.scenario
	st, err := s.Stats(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	loadStart := time.Now()
	if _, _, err := s.needleTokens(context.Background(), "warm up"); err != nil {
		b.Fatal(err)
	}
	load := time.Since(loadStart)
	for name, qs := range map[string]string{
		"word":     "firefox",
		"phrase":   `"Mac OS X"`,
		"rare":     "terraform",
		"ip":       `"` + sc.AttackerIP + `"`,
		"idpiece":  `"` + sc.LeakedKeyID[7:17] + `"`,
		"common":   `"example"`,
		"absent":   `"zq-no-such-value"`,
		"negation": `-"mozilla" since:7d`,
	} {
		b.Run(name, func(b *testing.B) {
			benchQuery(b, s, qs, func(q feed.Query) error {
				_, err := s.Search(context.Background(), q, testNow, Cursor{}, Older, 200)
				return err
			})
			b.ReportMetric(float64(st.Bytes)/float64(st.Events), "bytes/event")
			b.ReportMetric(float64(load.Microseconds())/1000, "load-ms")
		})
	}
}

// BenchmarkDossier measures the key dossier of the scenario's keys.
func BenchmarkDossier(b *testing.B) {
	s, c := openShared(b)
	for name, key := range map[string]string{"leaked": c.scenario.LeakedKeyID, "admin": c.scenario.AdminKeyID, "console": c.scenario.RevokedConsoleKeyID} {
		b.Run(name, func(b *testing.B) {
			benchQuery(b, s, "", func(feed.Query) error {
				_, err := s.Dossier(context.Background(), key)
				return err
			})
		})
	}
}

// BenchmarkHistogram measures a 30-day, 120-bucket histogram.
func BenchmarkHistogram(b *testing.B) {
	s, _ := openShared(b)
	for name, qs := range map[string]string{"all": "", "keys": "type:@keys", "exclude": "-type:@noise"} {
		b.Run(name, func(b *testing.B) {
			benchQuery(b, s, qs, func(q feed.Query) error {
				_, err := s.Histogram(context.Background(), q, testNow, testNow.Add(-30*24*time.Hour), testNow, 120)
				return err
			})
		})
	}
}

// BenchmarkFacets measures the facets of broad queries (read over their
// newest facetRows results).
func BenchmarkFacets(b *testing.B) {
	s, _ := openShared(b)
	for name, qs := range map[string]string{"all": "", "week": "since:7d", "keys": "type:@keys"} {
		b.Run(name, func(b *testing.B) {
			benchQuery(b, s, qs, func(q feed.Query) error {
				f, err := s.Facets(context.Background(), q, testNow, 10)
				if err == nil && len(f.Types) == 0 {
					err = fmt.Errorf("%s: no facets", qs)
				}
				return err
			})
		})
	}
}

// BenchmarkCount measures a capped count (the header's "N events").
func BenchmarkCount(b *testing.B) {
	s, _ := openShared(b)
	benchQuery(b, s, "since:7d", func(q feed.Query) error {
		_, _, err := s.Count(context.Background(), q, testNow, 100000)
		return err
	})
}
