package feed_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// Parallel window sync (issue 13): the same invariants as the sequential
// sync (the cache equals the ground truth, no id twice, coverage honest),
// requests ≤ ceil(N/limit) + windows, and the budget is respected.

// windowStats follows the progress reports of a parallel sync.
type windowStats struct {
	windows, done int
	minWidth      int
	maxWidth      int
}

func (w *windowStats) observe(p feed.Progress) {
	if p.Phase != "window" {
		return
	}
	w.windows, w.done = max(w.windows, p.Windows), max(w.done, p.WindowsDone)
	if w.minWidth == 0 || p.Parallel < w.minWidth {
		w.minWidth = p.Parallel
	}
	w.maxWidth = max(w.maxWidth, p.Parallel)
}

func TestParallelSyncMatchesTruth(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 31, Events: 12000, RateLimit: -1})
	st := openCache(t)
	var ws windowStats
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(500), feed.WithParallel(4),
		feed.WithProgress(ws.observe))
	from, to := simEnd.Add(-31*24*time.Hour), simEnd.Add(time.Minute)
	sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
	if err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st, s, from, to)
	assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
	assertNothingUncovered(t, st, feed.Range{From: from, To: to})
	total := len(s.Truth(from, to))
	if sum.Inserted != total {
		t.Fatalf("inserted %d, want %d", sum.Inserted, total)
	}
	if ws.windows < 4 || ws.done != ws.windows {
		t.Fatalf("windows %d done of %d, want at least 4, all done", ws.done, ws.windows)
	}
	if limit := (total+499)/500 + ws.windows; s.Requests() > limit {
		t.Fatalf("%d requests for %d events in %d windows, want ≤ %d", s.Requests(), total, ws.windows, limit)
	}
	cov, err := st.Coverage(context.Background(), "", feed.Range{From: from, To: to})
	if err != nil || cov.Fraction != 1 {
		t.Fatalf("coverage after the sync = %+v, %v; want complete", cov, err)
	}
	before := s.Requests()
	if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
		t.Fatal(err)
	}
	if s.Requests() != before {
		t.Fatalf("re-sync of a covered window made %d requests, want 0", s.Requests()-before)
	}
}

// With a fixed latency per request, the simulator serves concurrent
// requests concurrently (the latency is not served under its lock), so a
// parallel sync takes a fraction of the sequential time; and all but the
// dense windows' walkers end early, so their older halves are stolen.
func TestParallelSyncLatencyAndWorkStealing(t *testing.T) {
	for _, parallel := range []int{1, 4} {
		synctest.Test(t, func(t *testing.T) {
			s := sim.New(sim.Config{Seed: 32, Events: 4000, Span: 4 * 24 * time.Hour, RateLimit: -1, SelfEventDelay: -1,
				Faults: sim.Faults{Latency: time.Second}})
			st := openCache(t)
			var ws windowStats
			sy := feed.NewSyncer(memoryClient(t, s), st, feed.WithPageLimit(200), feed.WithParallel(parallel),
				feed.WithProgress(ws.observe))
			start := time.Now()
			// All 4000 events lie in the newest two of the eight initial windows.
			from, to := start.Add(-16*24*time.Hour), start.Add(-time.Minute)
			if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			assertTruth(t, st, s, from, to)
			assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
			pages := (len(s.Truth(from, to)) + 199) / 200
			if parallel == 1 {
				if elapsed < time.Duration(pages)*time.Second {
					t.Fatalf("sequential: %v for %d pages at 1 s each", elapsed, pages)
				}
				return
			}
			// The cache is a Leaser: it starts with two windows a worker.
			if ws.windows <= 2*parallel {
				t.Fatalf("%d windows: the dense ones were never split", ws.windows)
			}
			if elapsed > time.Duration(pages)*time.Second/2 {
				t.Fatalf("parallel: %v for %d pages at 1 s each, want at most half the sequential time", elapsed, pages)
			}
			if limit := pages + ws.windows; s.Requests() > limit {
				t.Fatalf("%d requests, want ≤ %d pages + %d windows", s.Requests(), pages, ws.windows)
			}
		})
	}
}

// The sync stays within the budget minus the reserve: against a budget of
// 20 a minute it waits for the window to reset instead of causing a 429.
func TestParallelSyncKeepsTheReserve(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 33, Events: 6000, Span: 2 * 24 * time.Hour, RateLimit: 20, SelfEventDelay: -1})
		st := openCache(t)
		// The retry hook is called from the goroutine whose request waits.
		var mu sync.Mutex
		var retries []feed.RetryEvent
		c := memoryClient(t, s, feed.WithRetryHook(func(e feed.RetryEvent) {
			mu.Lock()
			retries = append(retries, e)
			mu.Unlock()
		}))
		var last feed.RateLimit
		sy := feed.NewSyncer(c, st, feed.WithPageLimit(200), feed.WithParallel(8), feed.WithBudgetReserve(0.25),
			feed.WithProgress(func(p feed.Progress) {
				if p.RateLimit.Known {
					last = p.RateLimit
				}
			}))
		start := time.Now()
		from, to := start.Add(-3*24*time.Hour), start.Add(-time.Minute)
		if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
			t.Fatal(err)
		}
		if len(retries) != 0 {
			t.Fatalf("%d retries (first %+v): the sync ran into the budget", len(retries), retries[0])
		}
		assertTruth(t, st, s, from, to)
		pages := (len(s.Truth(from, to)) + 199) / 200
		// 15 of every 20 requests a minute are the sync's.
		if minutes := time.Duration((pages - 1) / 15); time.Since(start) < minutes*time.Minute {
			t.Fatalf("%d requests in %v: faster than 15 a minute", s.Requests(), time.Since(start))
		}
		if !last.Known {
			t.Fatal("no rate budget reported")
		}
	})
}

// After 429s the sync narrows how many requests it keeps in flight, and
// still fetches everything exactly once.
func TestParallelSync429ShrinksConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 34, Events: 5000, Span: 3 * 24 * time.Hour, RateLimit: -1, SelfEventDelay: -1})
		s.SetFaults(sim.Faults{RateLimitEvery: 4, RetryAfter: "2"})
		st := openCache(t)
		var mu sync.Mutex
		var waits int
		c := memoryClient(t, s, feed.WithRetryHook(func(e feed.RetryEvent) {
			if e.Status != http.StatusTooManyRequests || e.Wait != 2*time.Second {
				t.Errorf("retry %+v, want a 429 honoured for 2 s", e)
			}
			mu.Lock()
			waits++
			mu.Unlock()
		}))
		var ws windowStats
		sy := feed.NewSyncer(c, st, feed.WithPageLimit(200), feed.WithParallel(8), feed.WithProgress(ws.observe))
		start := time.Now()
		from, to := start.Add(-4*24*time.Hour), start.Add(-time.Minute)
		sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
		if err != nil {
			t.Fatal(err)
		}
		if waits == 0 || sum.Retries != waits {
			t.Fatalf("%d 429 waits, summary retries %d", waits, sum.Retries)
		}
		if ws.minWidth >= 8 {
			t.Fatalf("concurrency stayed at %d after %d 429s", ws.minWidth, waits)
		}
		assertTruth(t, st, s, from, to)
		assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
	})
}

// Truncated bodies, connection resets and 5xx under concurrency: retried,
// nothing lost, nothing twice.
func TestParallelSyncFaults(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 35, Events: 6000, RateLimit: -1,
		Faults: sim.Faults{TruncateEvery: 5, ResetEvery: 7, ServerErrorEvery: 6, DuplicateEvery: 3}})
	st := openCache(t)
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(300), feed.WithParallel(6))
	from, to := simEnd.Add(-31*24*time.Hour), simEnd.Add(time.Minute)
	if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st, s, from, to)
	assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
}

// Two processes syncing one cache (two store handles, two lease owners)
// share the windows instead of both fetching everything: together they make
// about the requests one would, each makes some, and the cache holds every
// event once.
func TestParallelSyncsShareOneCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 36, Events: 8000, Span: 8 * 24 * time.Hour, RateLimit: -1, SelfEventDelay: -1,
			Faults: sim.Faults{Latency: time.Second}})
		path := filepath.Join(t.TempDir(), "cache.db")
		start := time.Now()
		from, to := start.Add(-9*24*time.Hour), start.Add(-time.Minute)
		var stats [2]windowStats
		var reqs [2]int
		var wg sync.WaitGroup
		for i := range 2 {
			st := openCacheAt(t, path)
			c := memoryClient(t, s)
			sy := feed.NewSyncer(c, st, feed.WithPageLimit(200), feed.WithParallel(3), feed.WithProgress(stats[i].observe),
				feed.WithLeases(fmt.Sprintf("process-%d", i), time.Minute, time.Second))
			wg.Go(func() {
				sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
				if err != nil {
					t.Error(err)
				}
				reqs[i] = sum.Pages
			})
		}
		wg.Wait()
		st := openCacheAt(t, path)
		assertTruth(t, st, s, from, to)
		assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
		pages := (len(s.Truth(from, to)) + 199) / 200
		if reqs[0] == 0 || reqs[1] == 0 {
			t.Fatalf("requests %v: one process did all the work", reqs)
		}
		if limit := pages + stats[0].windows + stats[1].windows; s.Requests() > limit {
			t.Fatalf("%d requests (%v) for %d pages, want ≤ %d: the processes fetched the same windows", s.Requests(), reqs, pages, limit)
		}
	})
}

// A lease left by a killed process holds its window until it expires; then
// the window is taken over and the sync completes.
func TestParallelSyncTakesOverAnExpiredLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 37, Events: 3000, Span: 2 * 24 * time.Hour, RateLimit: -1, SelfEventDelay: -1})
		st := openCache(t)
		start := time.Now()
		from, to := start.Add(-3*24*time.Hour), start.Add(-time.Minute)
		// The dead process held the newest day, for another 90 s.
		held := feed.Range{From: to.Add(-24 * time.Hour), To: to}
		if ok, err := st.TakeLease(context.Background(), "", held, "killed", start.Add(90*time.Second)); err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		sy := feed.NewSyncer(memoryClient(t, s), st, feed.WithPageLimit(200), feed.WithParallel(4),
			feed.WithLeases("survivor", time.Minute, 5*time.Second))
		if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 90*time.Second || d > 100*time.Second {
			t.Fatalf("the sync ended after %v, want just after the dead lease expired (90 s)", d)
		}
		assertTruth(t, st, s, from, to)
		assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
	})
}

// openCacheAt opens one more handle on the cache at path.
func openCacheAt(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A parallel sync asks for the whole newest gap first: an answer that fits
// in one page costs one request, not one per window, and the newest rows
// are in the cache after that first request whatever follows.
func TestParallelSyncProbesTheNewestGapFirst(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 32, Events: 300, RateLimit: -1})
	st := openCache(t)
	var first []feed.Progress
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(5000), feed.WithParallel(8),
		feed.WithProgress(func(p feed.Progress) { first = append(first, p) }))
	from, to := simEnd.Add(-31*24*time.Hour), simEnd.Add(time.Minute)
	sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
	if err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st, s, from, to)
	if total := len(s.Truth(from, to)); total == 0 || total > 5000 || sum.Inserted != total {
		t.Fatalf("inserted %d of %d events", sum.Inserted, total)
	}
	if s.Requests() != 1 {
		t.Fatalf("%d requests for one page of events with 8 workers, want 1", s.Requests())
	}

	// A dense feed: the first request is the newest page, then windows.
	s2, srv2 := loopbackSim(t, sim.Config{Seed: 33, Events: 6000, RateLimit: -1})
	st2 := openCache(t)
	var firstPage time.Time
	var pages int
	sy2 := feed.NewSyncer(loopbackClient(t, srv2, sim.AdminKey), st2, feed.WithPageLimit(500), feed.WithParallel(4),
		feed.WithProgress(func(p feed.Progress) {
			if p.Phase == "window" && p.Pages == 1 && pages == 0 {
				pages, firstPage = 1, p.Reached
			}
		}))
	if _, err := sy2.Sync(context.Background(), absWindow(from, to), 0); err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st2, s2, from, to)
	truth := s2.Truth(from, to)
	if len(truth) < 1000 || pages != 1 {
		t.Fatalf("%d events, first page seen %v", len(truth), pages == 1)
	}
	// The first page committed holds the 500 newest events.
	newest := truth[0].CreatedAt
	for _, a := range truth {
		if a.CreatedAt.After(newest) {
			newest = a.CreatedAt
		}
	}
	if !firstPage.IsZero() && firstPage.Before(newest.Add(-7*24*time.Hour)) {
		t.Fatalf("first page reached %v, the newest event is %v: it was not the newest page", firstPage, newest)
	}
}

// probeStore holds the probe's commit until a window has been requested,
// and counts the pages that came prepared.
type probeStore struct {
	*store.Store
	windowAsked <-chan struct{}
	puts        int
	prepared    int
	waited      bool // the probe's commit gave up waiting
}

func (p *probeStore) Put(ctx context.Context, b feed.Batch) (feed.PutResult, error) {
	p.puts++
	if b.Prepared != nil && b.Prepared.Of(b.Activities) {
		p.prepared++
	}
	if p.puts == 1 {
		t := time.NewTimer(time.Minute)
		select {
		case <-p.windowAsked:
		case <-t.C:
			p.waited = true
		}
		t.Stop()
	}
	return p.Store.Put(ctx, b)
}

// The probe's answer starts the windows at once: the workers fetch while
// the writer commits the probe's page, not after it. And every page
// reaches the writer prepared by the worker that fetched it.
func TestParallelSyncFetchesWhileTheProbeCommits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 35, Events: 4000, Span: 2 * 24 * time.Hour, RateLimit: -1, SelfEventDelay: -1})
		asked := make(chan struct{})
		var requests atomic.Int32
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if requests.Add(1) == 2 {
				close(asked)
			}
			s.ServeHTTP(w, r)
		})
		c, err := feed.New(feed.WithBaseURL("https://api.anthropic.com"), feed.WithKey(feed.NewSecret(sim.AdminKey)),
			feed.WithHTTPClient(&http.Client{Transport: handlerTransport{h}}))
		if err != nil {
			t.Fatal(err)
		}
		st := &probeStore{Store: openCache(t), windowAsked: asked}
		sy := feed.NewSyncer(c, st, feed.WithPageLimit(500), feed.WithParallel(4))
		from, to := time.Now().Add(-3*24*time.Hour), time.Now().Add(-time.Minute)
		if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
			t.Fatal(err)
		}
		if st.waited {
			t.Fatal("no window was requested while the probe's page was being committed")
		}
		assertTruth(t, st.Store, s, from, to)
		assertCoverageHonest(t, st.Store, s, "", feed.Range{From: from, To: to})
		if st.puts < 8 || st.prepared != st.puts {
			t.Fatalf("%d of %d pages reached the writer prepared, want all (and at least 8)", st.prepared, st.puts)
		}
	})
}
