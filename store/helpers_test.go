package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// testNow is the fixed clock of test stores.
var testNow = time.Date(2026, 9, 15, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "cache", "test.db"), WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// simActivities returns n simulated activities, newest first, ending at end.
func simActivities(t testing.TB, seed int64, n int, end time.Time) ([]feed.Activity, sim.Scenario) {
	t.Helper()
	srv := sim.New(sim.Config{Seed: seed, Events: n, End: end, Now: func() time.Time { return end.Add(time.Hour) }})
	return srv.Activities(), srv.Scenario()
}

// putPages ingests acts in pages of size, newest first, unfiltered, with no
// coverage.
func putPages(t testing.TB, s *Store, acts []feed.Activity, size int) feed.PutResult {
	t.Helper()
	var tot feed.PutResult
	for start := 0; start < len(acts); start += size {
		res, err := s.Put(context.Background(), feed.Batch{Activities: acts[start:min(len(acts), start+size)]})
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		tot.Inserted += res.Inserted
		tot.Duplicate += res.Duplicate
		tot.Anomalies += res.Anomalies
		tot.Late += res.Late
	}
	return tot
}
