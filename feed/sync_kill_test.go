package feed_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// Environment of the child process that TestSyncSurvivesSIGKILL kills.
const (
	childURL   = "CLAUDIT_TEST_SYNC_CHILD_URL"
	childCache = "CLAUDIT_TEST_SYNC_CHILD_CACHE"
)

var killWindow = feed.Range{From: simEnd.Add(-30 * 24 * time.Hour), To: simEnd.Add(time.Minute)}

// TestSyncChildProcess is the child: it syncs the window into the cache and
// is killed part-way. It does nothing in a normal test run.
func TestSyncChildProcess(t *testing.T) {
	url := os.Getenv(childURL)
	if url == "" {
		t.Skip("helper process for TestSyncSurvivesSIGKILL")
	}
	st, err := store.Open(context.Background(), os.Getenv(childCache))
	if err != nil {
		t.Fatal(err)
	}
	c, err := feed.New(feed.WithBaseURL(url), feed.WithKey(feed.NewSecret(sim.AdminKey)))
	if err != nil {
		t.Fatal(err)
	}
	sy := feed.NewSyncer(c, st, feed.WithPageLimit(500))
	if _, err := sy.Sync(context.Background(), absWindow(killWindow.From, killWindow.To), 0); err != nil {
		t.Fatal(err)
	}
}

// Row 6: a syncing process is killed with SIGKILL twice at different points
// (mid-request or mid-commit, whichever it is in); after each kill the
// cache holds only whole pages and honest coverage, and a rerun completes
// the window without re-reading any committed page.
func TestSyncSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	s, srv := loopbackSim(t, sim.Config{Seed: 6, Events: 10000, RateLimit: -1,
		Faults: sim.Faults{Latency: 60 * time.Millisecond}})
	path := filepath.Join(t.TempDir(), "cache.db")
	total := len(s.Truth(killWindow.From, killWindow.To))

	for _, killAfter := range []int{1000, 5000} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), childURL+"="+srv.URL, childCache+"="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		n := waitForEvents(t, path, killAfter, 60*time.Second)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if n >= total {
			t.Fatalf("the child finished (%d events) before it could be killed", n)
		}

		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		assertCoverageHonest(t, st, s, "", killWindow)
		assertNothingUncovered(t, st, killWindow)
		st.Close()
	}

	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The rerun must fetch exactly the gaps: one request per 500 events
	// in each (at least one per gap), nothing already committed.
	gaps, err := st.Missing(context.Background(), "", killWindow)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, g := range gaps {
		want += max(1, (len(s.Truth(g.From, g.To))+499)/500)
	}
	before := s.Requests()
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(500))
	if _, err := sy.Sync(context.Background(), absWindow(killWindow.From, killWindow.To), 0); err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st, s, killWindow.From, killWindow.To)
	if got := s.Requests() - before; got != want {
		t.Fatalf("resume after kill made %d requests for gaps %v, want %d", got, gaps, want)
	}
}

// assertNothingUncovered checks that the page and its progress marker were
// committed together: every cached row lies inside a covered range, except
// rows sharing the timestamp a page ended on (a covered range starts just
// after it, since the next page may hold more rows of that instant).
func assertNothingUncovered(t *testing.T, st *store.Store, w feed.Range) {
	t.Helper()
	cov, err := st.Coverage(context.Background(), "", w)
	if err != nil {
		t.Fatal(err)
	}
	q := absWindow(w.From, w.To)
	var cur store.Cursor
	for {
		rows, err := st.Search(context.Background(), q, w.To, cur, store.Older, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			inside := false
			for _, c := range cov.Covered {
				if !r.CreatedAt.Before(c.From.Add(-time.Microsecond)) && r.CreatedAt.Before(c.To) {
					inside = true
				}
			}
			if !inside {
				t.Fatalf("row %s at %v is cached outside every covered range %v: rows were committed without their progress marker", r.ID, r.CreatedAt, cov.Covered)
			}
		}
		if len(rows) < 1000 {
			return
		}
		cur = rows[len(rows)-1].Cursor()
	}
}

// waitForEvents polls the cache, as a second process would, until it holds
// at least n events or the deadline passes.
func waitForEvents(t *testing.T, path string, n int, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, err := os.Stat(path); err == nil {
			if st, err := store.Open(context.Background(), path); err == nil {
				stats, err := st.Stats(context.Background())
				st.Close()
				if err == nil && stats.Events >= n {
					return stats.Events
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child did not reach %d cached events within %v", n, within)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a wait for a condition
	}
}
