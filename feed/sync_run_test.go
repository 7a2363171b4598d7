package feed_test

import (
	"context"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// Sync's summary names the run it recorded in the sink's log: its id, the
// window and the start time BeginRun got, so a caller need not look the
// run up again.
func TestSyncSummaryNamesItsRun(t *testing.T) {
	ctx := context.Background()
	_, srv := loopbackSim(t, sim.Config{Seed: 1, Events: 300, RateLimit: -1})
	st := openCache(t)
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(500))
	from, to := simEnd.Add(-2*24*time.Hour), simEnd.Add(time.Minute)
	for i := range 2 {
		sum, err := sy.Sync(ctx, absWindow(from, to), 0)
		if err != nil {
			t.Fatal(err)
		}
		runs, err := st.Runs(ctx, 1)
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs: %v, %v", runs, err)
		}
		r := runs[0]
		if sum.RunID == 0 || sum.RunID != r.ID {
			t.Fatalf("sync %d: summary run id %d, the log's newest run is %d", i, sum.RunID, r.ID)
		}
		if !sum.Window.From.Equal(r.Info.Window.From) || !sum.Window.To.Equal(r.Info.Window.To) || !sum.Started.Equal(r.Info.Started) {
			t.Fatalf("sync %d: summary window %v started %v, recorded %v started %v", i, sum.Window, sum.Started, r.Info.Window, r.Info.Started)
		}
		if !sum.Window.From.Equal(from) {
			t.Fatalf("sync %d: window starts %v, want %v", i, sum.Window.From, from)
		}
	}
}
