package feed_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
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
	// childParallel is the child's WithParallel ("" = sequential).
	childParallel = "CLAUDIT_TEST_SYNC_CHILD_PARALLEL"
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
	parallel, _ := strconv.Atoi(os.Getenv(childParallel))
	sy := feed.NewSyncer(c, st, feed.WithPageLimit(500), feed.WithParallel(parallel))
	if _, err := sy.Sync(context.Background(), absWindow(killWindow.From, killWindow.To), 0); err != nil {
		t.Fatal(err)
	}
}

// holdingHandler serves the simulator but holds the hold-th request after
// each arm, signalling held, until that request's connection goes away:
// the syncing child can then neither finish nor get further, so the kill
// lands at a known point without any timing.
type holdingHandler struct {
	s    *sim.Server
	mu   sync.Mutex
	n    int // requests since arm
	hold int
	held chan struct{}
}

func (h *holdingHandler) arm(hold int) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n, h.hold, h.held = 0, hold, make(chan struct{})
	return h.held
}

func (h *holdingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.n++
	hold := h.n == h.hold
	held := h.held
	h.mu.Unlock()
	if hold {
		close(held)
		<-r.Context().Done() // until the killed child's connection closes
		return
	}
	h.s.ServeHTTP(w, r)
}

// Row 6: a syncing process is killed with SIGKILL twice at different points
// (while its next request is in flight, the previous page committed or
// being committed); after each kill the cache holds only whole pages and
// honest coverage, and a rerun completes the window without re-reading
// any committed page. The kill is ordered by the server holding the
// child's Nth request, not by a delay.
func TestSyncSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	t.Run("sequential", func(t *testing.T) { testSyncSurvivesSIGKILL(t, 1) })
	t.Run("parallel", func(t *testing.T) { testSyncSurvivesSIGKILL(t, 4) })
}

// testSyncSurvivesSIGKILL kills children syncing with the given
// parallelism. A parallel child has other requests in flight and pages
// queued for the writer when it is killed; its rerun may split the gaps
// into windows, each costing at most one request more.
func testSyncSurvivesSIGKILL(t *testing.T, parallel int) {
	now := simEnd.Add(time.Hour)
	s := sim.New(sim.Config{Seed: 6, Events: 10000, RateLimit: -1, End: simEnd, Now: func() time.Time { return now }})
	h := &holdingHandler{s: s}
	srv := httptest.NewServer(h)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "cache.db")
	total := len(s.Truth(killWindow.From, killWindow.To))

	for _, holdAt := range []int{3, 9} {
		held := h.arm(holdAt)
		cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), childURL+"="+srv.URL, childCache+"="+path, childParallel+"="+strconv.Itoa(parallel))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-held:
		case err := <-done:
			t.Fatalf("the child exited (%v) before its request %d", err, holdAt)
		case <-time.After(2 * time.Minute):
			t.Fatalf("the child never sent request %d", holdAt)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-done

		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		stats, err := st.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if stats.Events >= total {
			t.Fatalf("the cache holds all %d events although the child was killed", stats.Events)
		}
		assertCoverageHonest(t, st, s, "", killWindow)
		assertNothingUncovered(t, st, killWindow)
		st.Close()
	}
	h.arm(0)

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
	windows := 0
	sy := feed.NewSyncer(loopbackClient(t, srv, sim.AdminKey), st, feed.WithPageLimit(500), feed.WithParallel(parallel),
		feed.WithProgress(func(p feed.Progress) { windows = max(windows, p.Windows) }))
	if _, err := sy.Sync(context.Background(), absWindow(killWindow.From, killWindow.To), 0); err != nil {
		t.Fatal(err)
	}
	assertTruth(t, st, s, killWindow.From, killWindow.To)
	got := s.Requests() - before
	if parallel == 1 && got != want {
		t.Fatalf("resume after kill made %d requests for gaps %v, want %d", got, gaps, want)
	}
	if parallel > 1 && got > want+windows {
		t.Fatalf("parallel resume after kill made %d requests for gaps %v, want at most %d + %d windows", got, gaps, want, windows)
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
