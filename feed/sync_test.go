package feed_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// The Syncer fault matrix (issue 4): each test runs the Syncer against the
// simulator and a real cache, then checks the three sync invariants:
// the cache holds exactly the ground truth of the window, no id twice, and
// every range the cache calls complete really is complete.

func openCache(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// cachedIDs returns every cached activity id in [from, to), newest first,
// by keyset paging through the store.
func cachedIDs(t testing.TB, st *store.Store, from, to time.Time) []string {
	t.Helper()
	// Every cached event, claudit's own calls included.
	q := feed.Query{Window: feed.Window{From: from, To: to}, ShowSelf: true}
	var out []string
	var cur store.Cursor
	for {
		rows, err := st.Search(context.Background(), q, to, cur, store.Older, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, r.ID)
		}
		if len(rows) < 1000 {
			return out
		}
		cur = rows[len(rows)-1].Cursor()
	}
}

// assertTruth checks the cache against the simulator's ground truth for
// [from, to): the same ids, no duplicates.
func assertTruth(t testing.TB, st *store.Store, s *sim.Server, from, to time.Time) {
	t.Helper()
	got := cachedIDs(t, st, from, to)
	want := ids(s.Truth(from, to))
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("cache holds %s twice", id)
		}
		seen[id] = true
	}
	if len(got) != len(want) {
		missing := 0
		for _, id := range want {
			if !seen[id] {
				missing++
			}
		}
		t.Fatalf("cache has %d events in the window, ground truth %d (%d missing)", len(got), len(want), missing)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("cache differs from ground truth: first got %v, want %v", got[:min(3, len(got))], want[:min(3, len(want))])
	}
}

// assertCoverageHonest checks that every range the cache calls complete
// holds every ground-truth event: a progress marker never runs ahead of
// the stored data.
func assertCoverageHonest(t testing.TB, st *store.Store, s *sim.Server, filter string, w feed.Range) {
	t.Helper()
	cov, err := st.Coverage(context.Background(), filter, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cov.Covered {
		got := cachedIDs(t, st, c.From, c.To)
		have := map[string]bool{}
		for _, id := range got {
			have[id] = true
		}
		for _, a := range s.Truth(c.From, c.To) {
			if !have[a.ID] {
				t.Fatalf("range %v–%v is marked complete but misses %s (%s)", c.From, c.To, a.ID, a.CreatedAt)
			}
		}
	}
}

func absWindow(from, to time.Time) feed.Query {
	return feed.Query{Window: feed.Window{From: from, To: to}}
}

func TestSyncWindowMatchesTruthWithPagination(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 1, Events: 3000, RateLimit: -1})
	st := openCache(t)
	c := loopbackClient(t, srv, sim.AdminKey)
	var reports []feed.Progress
	sy := feed.NewSyncer(c, st, feed.WithPageLimit(500), feed.WithProgress(func(p feed.Progress) { reports = append(reports, p) }))
	from, to := simEnd.Add(-20*24*time.Hour), simEnd.Add(time.Minute)
	sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
	if err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st, s, from, to)
	assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
	want := len(s.Truth(from, to))
	if sum.Events != want || sum.Inserted != want {
		t.Fatalf("summary events %d inserted %d, want %d", sum.Events, sum.Inserted, want)
	}
	if wantPages := (want + 499) / 500; sum.Pages != wantPages {
		t.Fatalf("pages = %d, want ceil(%d/500) = %d", sum.Pages, want, wantPages)
	}
	if last := reports[len(reports)-1]; last.Phase != "done" || last.Err != nil {
		t.Fatalf("last progress = %+v, want done without error", last)
	}
	// A second sync of the same window finds nothing missing: no request.
	before := s.Requests()
	if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
		t.Fatal(err)
	}
	if s.Requests() != before {
		t.Fatalf("re-sync of a covered window made %d requests, want 0", s.Requests()-before)
	}
	// A filtered query inside the window is covered by the unfiltered sync.
	q, err := feed.Parse("type:@keys")
	if err != nil {
		t.Fatal(err)
	}
	q.Window = feed.Window{From: from.Add(time.Hour), To: to}
	if _, err := sy.Sync(context.Background(), q, 0); err != nil {
		t.Fatal(err)
	}
	if s.Requests() != before {
		t.Fatal("a filtered query inside an unfiltered covered window was fetched again")
	}
}

// Row 1 and 2: 429s with retry-after in seconds and as an HTTP-date beyond
// the cap; waits are honoured on the fake clock and the result is complete.
func TestSync429RetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter func(now time.Time) string
		wantWait   time.Duration
		clamped    bool
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second, false},
		{"http-date beyond cap", func(now time.Time) string { return now.Add(time.Hour).UTC().Format(http.TimeFormat) }, 120 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := sim.New(sim.Config{Seed: 2, Events: 1500, Span: 3 * 24 * time.Hour, RateLimit: -1, SelfEventDelay: -1})
				s.SetFaults(sim.Faults{RateLimitEvery: 2, RetryAfter: tc.retryAfter(time.Now())})
				st := openCache(t)
				var waits []feed.RetryEvent
				c := memoryClient(t, s, feed.WithRetryHook(func(e feed.RetryEvent) { waits = append(waits, e) }))
				sy := feed.NewSyncer(c, st, feed.WithPageLimit(200))
				// The window ends before the sync starts, so the events the
				// simulator emits for claudit's own requests stay outside it.
				start := time.Now()
				from, to := start.Add(-48*time.Hour), start.Add(-time.Minute)
				sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(waits) == 0 {
					t.Fatal("no 429 was retried")
				}
				for _, w := range waits {
					if w.Status != http.StatusTooManyRequests || w.Wait != tc.wantWait || w.Clamped != tc.clamped {
						t.Fatalf("retry event %+v, want 429 wait %v clamped %v", w, tc.wantWait, tc.clamped)
					}
				}
				if elapsed := time.Since(start); elapsed < time.Duration(len(waits))*tc.wantWait {
					t.Fatalf("sync took %v of fake time, want at least %d × %v", elapsed, len(waits), tc.wantWait)
				}
				if sum.Retries != len(waits) {
					t.Fatalf("summary retries %d, want %d", sum.Retries, len(waits))
				}
				assertTruth(t, st, s, from, to)
				st.Close()
			})
		})
	}
}

// Row 3: a deterministic 500 is tried once; a storm of 5xx is retried a
// bounded number of times with backoff, then fails with a typed error, and
// a later run completes.
func TestSyncServerErrors(t *testing.T) {
	t.Run("x-should-retry false", func(t *testing.T) {
		s, srv := loopbackSim(t, sim.Config{Seed: 3, Events: 2000, RateLimit: -1})
		s.SetFaults(sim.Faults{ServerErrorEvery: 1, ServerErrorCodes: []int{500}, NoRetry: true})
		st := openCache(t)
		sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st)
		_, err := sy.Sync(context.Background(), absWindow(simEnd.Add(-24*time.Hour), simEnd), 0)
		var apiErr *feed.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 500 {
			t.Fatalf("err = %v, want a 500 APIError", err)
		}
		if s.Requests() != 1 {
			t.Fatalf("requests = %d, want exactly 1", s.Requests())
		}
	})
	t.Run("storm", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := sim.New(sim.Config{Seed: 3, Events: 1500, RateLimit: -1, SelfEventDelay: -1})
			s.SetFaults(sim.Faults{ServerErrorEvery: 1, ServerErrorCodes: []int{500, 502, 503, 529}})
			st := openCache(t)
			var waits []time.Duration
			c := memoryClient(t, s, feed.WithRetry(feed.RetryPolicy{MaxAttempts: 6}),
				feed.WithRetryHook(func(e feed.RetryEvent) { waits = append(waits, e.Wait) }))
			sy := feed.NewSyncer(c, st, feed.WithPageLimit(1000))
			from, to := time.Now().Add(-72*time.Hour), time.Now().Add(-time.Minute)
			_, err := sy.Sync(context.Background(), absWindow(from, to), 0)
			var exhausted *feed.RetryExhaustedError
			if !errors.As(err, &exhausted) || exhausted.Attempts != 6 {
				t.Fatalf("err = %v, want RetryExhaustedError after 6 attempts", err)
			}
			if s.Requests() != 6 || len(waits) != 5 {
				t.Fatalf("requests %d waits %d, want 6 and 5", s.Requests(), len(waits))
			}
			for i, w := range waits {
				if ceil := min(time.Second<<i, 60*time.Second); w < 0 || w > ceil {
					t.Fatalf("wait %d = %v, want full jitter within [0, %v]", i, w, ceil)
				}
			}
			// The storm passes; the next run completes the window.
			s.SetFaults(sim.Faults{})
			if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
				t.Fatal(err)
			}
			assertTruth(t, st, s, from, to)
			st.Close()
		})
	})
}

// revokingPager revokes the key (or its scope) after n successful pages.
type revokingPager struct {
	c     *feed.Client
	after int
	pages int
	fault func()
}

func (p *revokingPager) ListPage(ctx context.Context, pp feed.PageParams) (*feed.Page, error) {
	if p.pages == p.after {
		p.fault()
	}
	page, err := p.c.ListPage(ctx, pp)
	if err == nil {
		p.pages++
	}
	return page, err
}

// Row 4: 401 and 403 in the middle of a run stop it with a clear error and
// keep what was stored; coverage stays honest and a later run completes.
func TestSyncAuthFailureMidRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(s *sim.Server)
		check func(error) bool
	}{
		{"401 revoked", func(s *sim.Server) { s.Revoke(sim.AdminKey) }, feed.IsAuth},
		{"403 scope", func(s *sim.Server) { s.SetScopes(sim.AdminKey, []string{"read:compliance_user_data"}) }, feed.IsPermission},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := loopbackSim(t, sim.Config{Seed: 4, Events: 3000, RateLimit: -1})
			st := openCache(t)
			pager := &revokingPager{c: loopbackClient(t, srv, sim.AdminKey), after: 2, fault: func() { tc.fault(s) }}
			sy := feed.NewSyncer(pager, st, feed.WithPageLimit(400))
			from, to := simEnd.Add(-20*24*time.Hour), simEnd.Add(time.Minute)
			_, err := sy.Sync(context.Background(), absWindow(from, to), 0)
			if !tc.check(err) {
				t.Fatalf("err = %v, want %s", err, tc.name)
			}
			if err.Error() == "" || containsKey(err.Error()) {
				t.Fatalf("error text %q is empty or leaks the key", err)
			}
			if n := len(cachedIDs(t, st, from, to)); n != 800 {
				t.Fatalf("cache holds %d events after 2 pages, want 800", n)
			}
			assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
			// A valid key finishes the job without re-reading stored pages.
			before := s.Requests()
			sy = feed.NewSyncer(loopbackClient(t, srv, sim.ComplianceKey), st, feed.WithPageLimit(400))
			if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
				t.Fatal(err)
			}
			assertTruth(t, st, s, from, to)
			total := len(s.Truth(from, to))
			if got, want := s.Requests()-before, int(math.Ceil(float64(total-800)/400)); got != want {
				t.Fatalf("resume made %d requests, want %d", got, want)
			}
		})
	}
}

func containsKey(s string) bool {
	for _, k := range []string{sim.AdminKey, sim.ComplianceKey, sim.UserDataOnlyKey} {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// Row 5: truncated bodies and connection resets are retried; no partial
// page is ever stored.
func TestSyncTruncatedAndReset(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 5, Events: 3000, RateLimit: -1})
	s.SetFaults(sim.Faults{TruncateEvery: 2, ResetEvery: 5})
	st := openCache(t)
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(250))
	from, to := simEnd.Add(-30*24*time.Hour), simEnd.Add(time.Minute)
	sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Retries == 0 {
		t.Fatal("no retry happened: the faults did not fire")
	}
	assertTruth(t, st, s, from, to)
	assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
}

// Row 8: the local clock is ten minutes off the server's either way. The
// window ends 60 s before the server's clock, never the local one.
func TestSyncClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := sim.New(sim.Config{Seed: 8, Events: 3000, LiveRate: 20, RateLimit: -1, SelfEventDelay: -1})
				st := openCache(t)
				// Let live events accumulate right up to the server's now.
				time.Sleep(30 * time.Minute)
				sy := feed.NewSyncer(memoryClient(t, s), st, feed.WithClock(func() time.Time { return time.Now().Add(skew) }))
				q, err := feed.Parse("since:2h")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sy.Sync(context.Background(), q, 0); err != nil {
					t.Fatal(err)
				}
				serverNow := time.Now()
				safe := serverNow.Add(-time.Minute)
				cov, err := st.Coverage(context.Background(), "", feed.Range{From: serverNow.Add(-3 * time.Hour), To: serverNow.Add(time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
				if len(cov.Covered) != 1 {
					t.Fatalf("covered = %v, want one range", cov.Covered)
				}
				if got := cov.Covered[0].To; got.After(safe) || got.Before(safe.Add(-time.Second)) {
					t.Fatalf("coverage ends at %v, want the server's now minus 60 s (%v)", got, safe)
				}
				assertTruth(t, st, s, serverNow.Add(-2*time.Hour), safe)
				st.Close()
			})
		})
	}
}

// Row 9: the same id on two pages, and the same id with different content:
// one row each, the changed one recorded as an anomaly.
func TestSyncDuplicates(t *testing.T) {
	for _, changed := range []bool{false, true} {
		s, srv := loopbackSim(t, sim.Config{Seed: 9, Events: 2000, RateLimit: -1})
		s.SetFaults(sim.Faults{DuplicateEvery: 2, ChangedDuplicate: changed})
		st := openCache(t)
		sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(250))
		from, to := simEnd.Add(-30*24*time.Hour), simEnd.Add(time.Minute)
		sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
		if err != nil {
			t.Fatal(err)
		}
		assertTruth(t, st, s, from, to)
		if sum.Events <= sum.Inserted {
			t.Fatalf("changed=%v: events %d inserted %d: no duplicate was served", changed, sum.Events, sum.Inserted)
		}
		if changed != (sum.Anomalies > 0) {
			t.Fatalf("changed=%v: anomalies = %d", changed, sum.Anomalies)
		}
	}
}

// Row 10: empty pages that claim has_more, and null cursors, terminate
// without corrupting anything.
func TestSyncEmptyHasMorePages(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 10, Events: 2000, RateLimit: -1})
	s.SetFaults(sim.Faults{EmptyHasMore: 3})
	st := openCache(t)
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(200))
	from, to := simEnd.Add(-30*24*time.Hour), simEnd.Add(time.Minute)
	if _, err := sy.Sync(context.Background(), absWindow(from, to), 0); err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st, s, from, to)
	s.SetFaults(sim.Faults{})
	// A window with no events at all: one request, an empty page, covered.
	empty := absWindow(simEnd.Add(-400*24*time.Hour), simEnd.Add(-399*24*time.Hour))
	before := s.Requests()
	if _, err := sy.Sync(context.Background(), empty, 0); err != nil {
		t.Fatal(err)
	}
	if s.Requests()-before != 1 {
		t.Fatalf("empty window took %d requests, want 1", s.Requests()-before)
	}
	cov, err := st.Coverage(context.Background(), "", feed.Range{From: empty.Window.From, To: empty.Window.To})
	if err != nil || cov.Fraction != 1 {
		t.Fatalf("empty window coverage = %+v, %v; want complete", cov, err)
	}
}

// Row 11: a large backfill costs ceil(N/5000) requests and stays within
// the rate budget (no 429).
func TestSyncBackfillRequestCount(t *testing.T) {
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	s, srv := loopbackSim(t, sim.Config{Seed: 11, Events: n})
	st := openCache(t)
	var retries int
	c := loopbackClient(t, srv, sim.AdminKey, feed.WithRetryHook(func(feed.RetryEvent) { retries++ }))
	sy := feed.NewSyncer(c, st)
	from, to := simEnd.Add(-31*24*time.Hour), simEnd.Add(time.Minute)
	sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
	if err != nil {
		t.Fatal(err)
	}
	total := len(s.Truth(from, to))
	if want := (total + 4999) / 5000; s.Requests() != want || sum.Pages != want {
		t.Fatalf("%d events took %d requests (%d pages), want ceil(N/5000) = %d", total, s.Requests(), sum.Pages, want)
	}
	if retries != 0 {
		t.Fatalf("%d retries: the backfill ran into the rate budget", retries)
	}
	if rl := c.LastMeta().RateLimit; !rl.Known || rl.Remaining <= 0 {
		t.Fatalf("rate budget after backfill = %+v", rl)
	}
	if got := len(cachedIDs(t, st, from, to)); got != total {
		t.Fatalf("cache holds %d, want %d", got, total)
	}
}

func TestSyncCancelledLeavesCacheConsistent(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 12, Events: 4000, RateLimit: -1})
	st := openCache(t)
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(300),
		feed.WithProgress(func(p feed.Progress) {
			if p.Phase == "window" {
				if pages++; pages == 3 {
					cancel()
				}
			}
		}))
	from, to := simEnd.Add(-30*24*time.Hour), simEnd.Add(time.Minute)
	_, err := sy.Sync(ctx, absWindow(from, to), 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(cachedIDs(t, st, from, to)); n != 900 {
		t.Fatalf("cache holds %d after 3 pages, want 900", n)
	}
	assertCoverageHonest(t, st, s, "", feed.Range{From: from, To: to})
	runs, err := st.Runs(context.Background(), 1)
	if err != nil || len(runs) != 1 || runs[0].Summary.Err == "" {
		t.Fatalf("the cancelled run was not recorded with its error: %+v, %v", runs, err)
	}
}
