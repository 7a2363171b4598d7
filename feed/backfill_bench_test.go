package feed_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// BenchmarkSyncBackfillLatency is the issue 13 target: a 200,000-event
// backfill from the simulator over loopback with 300 ms added to every
// request and its real 600/min budget (on the real clock), sequential
// (--parallel 1) beside parallel (the default 8) in the same run. Use
// -benchtime=1x: each op spends 40 of the minute's 600 requests.
//
// The ingest sub-benchmark is the ceiling on this machine in the same
// run: the same events written to a fresh cache by Store.Put, in pages of
// 5,000 newest first, with no network at all. The parallel sync reports
// its rate as a share of that (of-ingest-%).
func BenchmarkSyncBackfillLatency(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 200,000-event dataset")
	}
	const n = 200_000
	s := sim.New(sim.Config{Seed: 21, Events: n, SelfEventDelay: -1, Faults: sim.Faults{Latency: 300 * time.Millisecond}})
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	var ingest float64
	b.Run("ingest", func(b *testing.B) {
		ingest = benchIngest(b, s.Activities())
		b.ReportMetric(ingest, "events/s")
	})
	for _, parallel := range []int{1, feed.DefaultParallel} {
		b.Run(fmt.Sprintf("parallel=%d", parallel), func(b *testing.B) {
			var events, requests int
			var elapsed, cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				before := s.Requests()
				sy := feed.NewSyncer(loopbackClient(b, srv, sim.AdminKey), st, feed.WithParallel(parallel))
				now := time.Now()
				from, to := now.Add(-31*24*time.Hour), now.Add(-time.Minute)
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime()
				sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
				elapsed += time.Since(start)
				cpu += cpuTime() - cpu0
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if sum.Retries > 0 {
					b.Fatalf("%d retries: the backfill ran into the budget", sum.Retries)
				}
				events += sum.Inserted
				requests += s.Requests() - before
				st.Close()
				b.StartTimer()
			}
			rate := float64(events) / elapsed.Seconds()
			b.ReportMetric(rate, "events/s")
			if ingest > 0 {
				b.ReportMetric(100*rate/ingest, "of-ingest-%")
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
			// The process's CPU time (simulator included): on two shared
			// cores a run whose CPU seconds approach its wall time is bound
			// by the machine, not by the latency.
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// benchIngest writes acts (newest first) to fresh caches in pages of
// 5,000 inside a recorded run (putAll), b.N times, and returns the events
// per second.
func benchIngest(b *testing.B, acts []feed.Activity) float64 {
	var elapsed time.Duration
	var events int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "ingest.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := putAll(context.Background(), st, acts); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		events += len(acts)
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	return float64(events) / elapsed.Seconds()
}

// putAll writes acts with Store.Put in pages of 5,000, inside a recorded
// run as a sync's pages are: EndRun's compaction of the free-text index
// is part of the cost the sync is compared with.
func putAll(ctx context.Context, st *store.Store, acts []feed.Activity) error {
	id, err := st.BeginRun(ctx, feed.RunInfo{Kind: "window"})
	if err != nil {
		return err
	}
	for lo := 0; lo < len(acts); lo += 5000 {
		if _, err := st.Put(ctx, feed.Batch{Activities: acts[lo:min(len(acts), lo+5000)]}); err != nil {
			return err
		}
	}
	return st.EndRun(ctx, id, feed.RunSummary{Events: len(acts), Inserted: len(acts)})
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
