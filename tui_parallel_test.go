package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// The explorer's window sync backfills in parallel, as claudit sync does:
// the first request to reach the server is held until a second one is in
// flight, which a sequential sync never sends.
func TestTUISyncIsParallel(t *testing.T) {
	srv := sim.New(sim.Config{Seed: 7, Events: 12000, End: simEnd, Now: func() time.Time { return testNow }})
	var (
		mu       sync.Mutex
		served   int
		inflight int
		peak     int
	)
	overlap := make(chan struct{}) // closed once two requests are in flight
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served++
		if served == 1 {
			// The first request probes the newest gap alone (one page
			// of it); the windows come after it.
			mu.Unlock()
			srv.ServeHTTP(w, r)
			return
		}
		inflight++
		peak = max(peak, inflight)
		if inflight == 2 {
			select {
			case <-overlap:
			default:
				close(overlap)
			}
		}
		mu.Unlock()
		defer func() {
			mu.Lock()
			inflight--
			mu.Unlock()
		}()
		select {
		case <-overlap:
		case <-r.Context().Done():
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)

	e := newTestEnv(t)
	e.vars[envBaseURL] = hs.URL
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	e.vars[envConfig] = filepath.Join(t.TempDir(), "none.toml")
	a, err := resolve(t, e)
	if err != nil {
		t.Fatal(err)
	}
	// A sequential sync would wait here for ever: the deadline turns that
	// into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := a.tuiDeps(st, feed.Query{}, "", func(context.Context) (feed.Secret, error) { return feed.NewSecret(sim.AdminKey), nil })
	var last feed.Progress
	var reports sync.Mutex
	err = d.Sync(ctx, feed.Query{}, func(p feed.Progress) {
		reports.Lock()
		defer reports.Unlock()
		if p.Phase == "window" {
			last = p
		}
	})
	select {
	case <-overlap:
	default:
		t.Fatalf("no two requests were ever in flight together (sync: %v)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if last.Windows < 2 || last.WindowsDone != last.Windows || last.Parallel < 2 {
		t.Fatalf("last window progress %+v: want a finished parallel backfill of several windows", last)
	}
	if n, _, err := st.Count(ctx, feed.Query{}, testNow, 0); err != nil || n != 12000 {
		t.Fatalf("cache holds %d activities (%v), want 12000", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("peak %d requests in flight, %d windows", peak, last.Windows)
}
