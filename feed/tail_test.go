package feed_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// Row 7 and the live-tail budget: events indexed up to three minutes late
// are caught by reconciliation and flagged, nothing is missed, claudit's own
// polling is recognised, and the request rate stays far below the shared
// budget.
func TestTailCatchesLateEventsWithinBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 7, Events: 2000, Span: 24 * time.Hour, LiveRate: 30, RateLimit: -1,
			Faults: sim.Faults{LateFraction: 0.3, LateBy: 3 * time.Minute}})
		st := openCache(t)
		var reports []feed.Progress
		sy := feed.NewSyncer(memoryClient(t, s), st, feed.WithProgress(func(p feed.Progress) { reports = append(reports, p) }))
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- sy.Tail(ctx, feed.Query{}) }()
		const runFor = 40 * time.Minute
		time.Sleep(runFor)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		stop := time.Now()

		// Every event created from a quarter hour before the tail started
		// to 16 minutes before it stopped (the reconciliation horizon) is
		// cached, however late it was indexed.
		assertTruth(t, st, s, start.Add(-15*time.Minute), stop.Add(-16*time.Minute))

		late, err := countQuery(st, "is:late", stop)
		if err != nil {
			t.Fatal(err)
		}
		if late == 0 {
			t.Fatal("no late arrival was flagged although 30% of events were indexed late")
		}
		self, err := countQuery(st, "is:self", stop)
		if err != nil {
			t.Fatal(err)
		}
		if self == 0 {
			t.Fatal("claudit's own compliance_api_accessed events were not recognised")
		}
		perMinute := float64(s.Requests()) / runFor.Minutes()
		if perMinute > 60 {
			t.Fatalf("live tail averaged %.1f requests/min, budget 60", perMinute)
		}
		t.Logf("40 min of live tail: %d requests (%.1f/min), %d late, %d self", s.Requests(), perMinute, late, self)
		var polls int
		for _, p := range reports {
			if p.Phase == "tail" {
				polls++
				if p.PollInterval < 10*time.Second || p.PollInterval > 60*time.Second {
					t.Fatalf("poll interval %v outside [10s, 60s]", p.PollInterval)
				}
			}
		}
		if polls == 0 {
			t.Fatal("no tail progress was reported")
		}
		st.Close()
	})
}

func countQuery(st interface {
	Count(context.Context, feed.Query, time.Time, int) (int, bool, error)
}, text string, now time.Time) (int, error) {
	q, err := feed.Parse(text)
	if err != nil {
		return 0, err
	}
	n, _, err := st.Count(context.Background(), q, now, 1_000_000)
	return n, err
}

// The poll interval backs off while nothing arrives and slows down when the
// shared rate budget runs low.
func TestTailAdaptsToQuietFeedAndLowBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// No live events: only claudit's own polling, which must not count
		// as activity.
		s := sim.New(sim.Config{Seed: 17, Events: 100, Span: time.Hour, RateLimit: 40})
		st := openCache(t)
		var intervals []time.Duration
		sy := feed.NewSyncer(memoryClient(t, s), st, feed.WithProgress(func(p feed.Progress) {
			if p.Phase == "tail" && p.Err == nil {
				intervals = append(intervals, p.PollInterval)
			}
		}))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- sy.Tail(ctx, feed.Query{}) }()
		time.Sleep(20 * time.Minute)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if len(intervals) < 3 {
			t.Fatalf("only %d polls in 20 minutes", len(intervals))
		}
		if last := intervals[len(intervals)-1]; last != 60*time.Second {
			t.Fatalf("a quiet feed on a 40/min budget should poll at the slowest interval, got %v (all: %v)", last, intervals)
		}
		st.Close()
	})
}

// An authentication failure ends the tail with a typed error instead of
// retrying forever.
func TestTailStopsOnRevokedKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 18, Events: 100, Span: time.Hour, LiveRate: 5, RateLimit: -1})
		st := openCache(t)
		sy := feed.NewSyncer(memoryClient(t, s), st)
		done := make(chan error)
		go func() { done <- sy.Tail(context.Background(), feed.Query{}) }()
		time.Sleep(2 * time.Minute)
		s.Revoke(sim.AdminKey)
		err := <-done
		if !feed.IsAuth(err) {
			t.Fatalf("tail ended with %v, want an authentication error", err)
		}
		var apiErr *feed.APIError
		if !errors.As(err, &apiErr) || apiErr.RequestID == "" {
			t.Fatalf("error %v carries no request id", err)
		}
		st.Close()
	})
}
