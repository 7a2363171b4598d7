package ocsf

import (
	"testing"
	"time"

	"claudit/feed/sim"
)

// BenchmarkOCSF converts a simulated dataset (the feed's real mix of types
// and actors) event by event with one reused Encoder, as the printer does.
func BenchmarkOCSF(b *testing.B) {
	acts := sim.New(sim.Config{Events: 10000}).Activities()
	logged := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var e Encoder
	buf := make([]byte, 0, 64<<10)
	var bytes int64
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		buf = e.Append(buf[:0], acts[n%len(acts)], logged)
		bytes += int64(len(buf))
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.SetBytes(bytes / int64(max(n, 1)))
}
