package feed_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// BenchmarkSyncBackfill syncs 200,000 events from the simulator over
// loopback into a fresh cache, end to end: HTTP, decode, ingest, coverage.
func BenchmarkSyncBackfill(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 200,000-event dataset")
	}
	const n = 200_000
	s, srv := loopbackSim(b, sim.Config{Seed: 21, Events: n, RateLimit: -1})
	from, to := simEnd.Add(-31*24*time.Hour), simEnd.Add(time.Minute)
	var events, requests int
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		before := s.Requests()
		sy := feed.NewSyncer(loopbackClient(b, srv, sim.AdminKey), st)
		b.StartTimer()
		start := time.Now()
		sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
		elapsed += time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		events += sum.Inserted
		requests += s.Requests() - before
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
}
