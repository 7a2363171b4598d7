package feed_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"claudit/feed"
)

// These tests run against small hand-written servers, not the simulator:
// the client must follow the contract, whatever a server does.

// hostileServer serves fn's answer to every request on loopback and counts
// the requests.
func hostileServer(t *testing.T, fn func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn(w, r, int(n.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// activityJSON is one minimal, valid activity.
func activityJSON(id string, at time.Time) string {
	return fmt.Sprintf(`{"id":%q,"created_at":%q,"type":"claude_chat_viewed","organization_id":"org_1","actor":{"type":"user_actor","email_address":"a@example.com","user_id":"user_1"}}`,
		id, at.UTC().Format(time.RFC3339Nano))
}

// pageJSON is a page envelope around rows.
func pageJSON(hasMore bool, first, last string, rows ...string) string {
	cursor := func(s string) string {
		if s == "" {
			return "null"
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`{"data":[%s],"has_more":%v,"first_id":%s,"last_id":%s}`,
		strings.Join(rows, ","), hasMore, cursor(first), cursor(last))
}

// cyclingServer answers has_more:true for ever with cursors that go
// A → B → A: from the start (no cursor) to A, from A to B, from B back to A.
// Rows are one per page, each older than the last, inside the window.
func cyclingServer(t *testing.T, end time.Time) (*httptest.Server, *atomic.Int64) {
	next := map[string]string{"": "A", "A": "B", "B": "A"}
	return hostileServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		cur := r.URL.Query().Get("after_id") + r.URL.Query().Get("before_id")
		to := next[cur]
		w.Header().Set("content-type", "application/json")
		w.Header().Set("request-id", fmt.Sprintf("req_%d", n))
		row := activityJSON(fmt.Sprintf("activity_%03d", n), end.Add(-time.Duration(n)*time.Minute))
		fmt.Fprint(w, pageJSON(true, to, to, row))
	})
}

func hostileClient(t *testing.T, srv *httptest.Server, opts ...feed.Option) *feed.Client {
	t.Helper()
	return loopbackClient(t, srv, "sk-ant-api01-test", opts...)
}

func TestOlderAndNewerStopOnCursorCycle(t *testing.T) {
	for _, dir := range []string{"older", "newer"} {
		t.Run(dir, func(t *testing.T) {
			srv, n := cyclingServer(t, simEnd)
			c := hostileClient(t, srv)
			seq := c.Older(context.Background(), feed.PageParams{Limit: 10})
			if dir == "newer" {
				seq = c.Newer(context.Background(), feed.PageParams{Limit: 10, BeforeID: "B"})
			}
			_, _, err := drain(t, seq)
			var cycle *feed.CursorCycleError
			if !errors.As(err, &cycle) || cycle.Cursor != "A" && cycle.Cursor != "B" {
				t.Fatalf("err = %v, want a *CursorCycleError naming A or B", err)
			}
			if got := n.Load(); got > 3 {
				t.Fatalf("%d requests before the cycle was caught, want at most 3", got)
			}
			if !strings.Contains(err.Error(), "circle") || !strings.Contains(err.Error(), "request-id req_") {
				t.Fatalf("message %q does not name the cycle and the request", err)
			}
		})
	}
}

func TestSyncStopsOnCursorCycle(t *testing.T) {
	srv, n := cyclingServer(t, simEnd)
	st := openCache(t)
	sy := feed.NewSyncer(hostileClient(t, srv), st, feed.WithPageLimit(10))
	sum, err := sy.Sync(context.Background(), absWindow(simEnd.Add(-24*time.Hour), simEnd), 0)
	var cycle *feed.CursorCycleError
	if !errors.As(err, &cycle) {
		t.Fatalf("err = %v, want a *CursorCycleError", err)
	}
	if cycle.Cursor != "A" || cycle.Distance != 2 {
		t.Fatalf("cycle %+v, want A after 2 pages", cycle)
	}
	// The third answer repeats A; the prefetch may have asked for one more.
	if got := n.Load(); got > 4 {
		t.Fatalf("%d requests before the cycle was caught, want at most 4", got)
	}
	if sum.Err == "" {
		t.Fatal("the run record does not say it failed")
	}
}

func TestTailStopsOnCursorCycle(t *testing.T) {
	srv, n := cyclingServer(t, time.Now())
	st := openCache(t)
	sy := feed.NewSyncer(hostileClient(t, srv), st, feed.WithPageLimit(10),
		feed.WithPollInterval(time.Millisecond, time.Millisecond), feed.WithOverlap(time.Minute, time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := sy.Tail(ctx, feed.Query{})
	var cycle *feed.CursorCycleError
	if !errors.As(err, &cycle) {
		t.Fatalf("Tail returned %v, want it to stop with a *CursorCycleError", err)
	}
	if got := n.Load(); got > 10 {
		t.Fatalf("%d requests before the tail stopped", got)
	}
}

// A server answering has_more:true with no rows, moving the cursor each
// time, for ever: bounded.
func TestSyncEndlessEmptyPagesAreBounded(t *testing.T) {
	srv, n := hostileServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("content-type", "application/json")
		c := fmt.Sprintf("pos%d", n)
		fmt.Fprint(w, pageJSON(true, c, c))
	})
	st := openCache(t)
	sy := feed.NewSyncer(hostileClient(t, srv), st, feed.WithPageLimit(10))
	_, err := sy.Sync(context.Background(), absWindow(simEnd.Add(-24*time.Hour), simEnd), 0)
	if !errors.Is(err, feed.ErrNoProgress) {
		t.Fatalf("err = %v, want ErrNoProgress", err)
	}
	if got := n.Load(); got > 6 {
		t.Fatalf("%d requests, want a handful", got)
	}
	// The same through the iterator.
	n.Store(0)
	_, _, err = drain(t, hostileClient(t, srv).Older(context.Background(), feed.PageParams{Limit: 10}))
	if !errors.Is(err, feed.ErrNoProgress) || n.Load() > 6 {
		t.Fatalf("iterator: %v after %d requests", err, n.Load())
	}
}

// A server that returns the cursor it was sent, with rows, for ever.
func TestSyncSameCursorForeverIsBounded(t *testing.T) {
	srv, n := hostileServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("content-type", "application/json")
		fmt.Fprint(w, pageJSON(true, "X", "X", activityJSON(fmt.Sprintf("activity_%d", n), simEnd.Add(-time.Hour))))
	})
	sy := feed.NewSyncer(hostileClient(t, srv), openCache(t), feed.WithPageLimit(10))
	_, err := sy.Sync(context.Background(), absWindow(simEnd.Add(-24*time.Hour), simEnd), 0)
	if !errors.Is(err, feed.ErrNoProgress) || n.Load() > 6 {
		t.Fatalf("err = %v after %d requests, want ErrNoProgress within a handful", err, n.Load())
	}
}

func TestSyncDropsOutOfWindowRows(t *testing.T) {
	from, to := simEnd.Add(-24*time.Hour), simEnd
	srv, _ := hostileServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("content-type", "application/json")
		fmt.Fprint(w, pageJSON(false, "", "",
			activityJSON("activity_future", to.Add(time.Hour)),
			activityJSON("activity_inside", to.Add(-time.Hour)),
			activityJSON("activity_at_end", to),
			activityJSON("activity_ancient", from.Add(-time.Nanosecond))))
	})
	st := openCache(t)
	var done feed.Progress
	sy := feed.NewSyncer(hostileClient(t, srv), st, feed.WithPageLimit(10),
		feed.WithProgress(func(p feed.Progress) {
			if p.Phase == "done" {
				done = p
			}
		}))
	sum, err := sy.Sync(context.Background(), absWindow(from, to), 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum.OutOfWindow != 3 || sum.Inserted != 1 || done.OutOfWindow != 3 {
		t.Fatalf("summary %+v, done %+v: want 3 out of window, 1 inserted", sum, done)
	}
	if got := cachedIDs(t, st, from.Add(-48*time.Hour), to.Add(48*time.Hour)); len(got) != 1 || got[0] != "activity_inside" {
		t.Fatalf("cached %v, want only activity_inside", got)
	}
}
