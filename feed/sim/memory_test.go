package sim

import (
	"runtime"
	"testing"
)

// TestDemoWorldHeap bounds what the demo's organisation (300,000 events,
// as commands_sim.go configures it) keeps on the heap. Kept as encoded
// JSON, one slice per event, it held 185 MB; compact (the header and type
// rebuilt, actors interned, ids as two words) 56 MB.
func TestDemoWorldHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 300,000 events")
	}
	const limit = 80 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New(Config{Seed: 42, Events: 300_000, LiveRate: 20, Faults: Faults{LateFraction: 0.002}})
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d events hold %.1f MB (%d distinct actors)", len(s.evs), float64(held)/(1<<20), len(s.gen.actors))
	if held > limit {
		t.Errorf("the demo's %d events hold %.1f MB of heap, want at most %d MB", len(s.evs), float64(held)/(1<<20), limit>>20)
	}
	runtime.KeepAlive(s)
}
