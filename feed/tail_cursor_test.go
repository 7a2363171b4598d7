package feed_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// beforeIDLog records the before_id of every request that carries one, in
// order, and passes the request on to the simulator.
type beforeIDLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	ids  []string
}

func (l *beforeIDLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if id := r.URL.Query().Get("before_id"); id != "" {
		l.mu.Lock()
		l.ids = append(l.ids, id)
		l.mu.Unlock()
	}
	return l.next.RoundTrip(r)
}

// take returns the before_ids logged since the last call.
func (l *beforeIDLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.ids
	l.ids = nil
	return out
}

// A regression another integration of this feed shipped: a multi-page
// before_id catch-up that persists the FIRST page's cursor instead of the
// newest one, so each run advances a single page and re-reads the rest.
// Here the tail stops, many pages of events arrive, a tail run catches up
// over all of them, and the next run must start from the newest page.
func TestTailPersistsTheNewestCursorOfAMultiPageCatchUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 21, Events: 200, Span: time.Hour, LiveRate: 120, RateLimit: -1})
		st := openCache(t)
		log := &beforeIDLog{next: handlerTransport{s}}
		client := memoryClient(t, s, feed.WithHTTPClient(&http.Client{Transport: log}))
		const pageLimit = 20
		// onePoll runs the tail until its first poll has ended.
		onePoll := func() {
			t.Helper()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sy := feed.NewSyncer(client, st, feed.WithPageLimit(pageLimit), feed.WithProgress(func(p feed.Progress) {
				if p.Phase == "tail" {
					if p.Err != nil {
						t.Errorf("tail poll failed: %v", p.Err)
					}
					cancel()
				}
			}))
			if err := sy.Tail(ctx, feed.Query{}); err != nil {
				t.Fatal(err)
			}
		}
		onePoll() // no cursor yet: reads the newest page and persists its cursor
		if got := log.take(); len(got) != 0 {
			t.Fatalf("the first poll sent before_id %v without a cursor", got)
		}
		// 120 events a minute for 3 minutes: 18 pages of 20 newer than the
		// cursor. The sleep is on the synctest bubble's clock: instant and exact.
		time.Sleep(3 * time.Minute)
		onePoll()
		walked := log.take()
		if len(walked) < 10 {
			t.Fatalf("the catch-up walked %d pages, want a multi-page catch-up (>= 10)", len(walked))
		}
		// The next run starts where the catch-up ended: from a cursor newer
		// than every one the catch-up sent, and reaches the present in a
		// page or two (claudit's own requests of the catch-up are all that
		// is new).
		onePoll()
		again := log.take()
		if len(again) == 0 || len(again) > 2 {
			t.Fatalf("the run after a %d-page catch-up walked %d pages; want 1 or 2", len(walked), len(again))
		}
		for i, id := range walked {
			if again[0] == id {
				t.Fatalf("the next run started from page %d of %d of the catch-up (cursor %q), not after the newest", i+1, len(walked), id)
			}
		}
		st.Close()
	})
}

// exactServer serves the feed from a fixed list of activities (ids in time
// order) and reports has_more whenever a page is full, as a server may: a
// before_id catch-up then ends on an empty page with no first_id. The
// cursor to keep is the previous page's first_id, not the one the poll
// started from. Requests other than before_id ones get an empty page.
type exactServer struct {
	mu      sync.Mutex
	visible int // how many of the activities exist yet
	walks   []string
}

func (s *exactServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var lo, hi int // [lo, hi) of the activities on the page
	switch before := q.Get("before_id"); {
	case before != "":
		s.walks = append(s.walks, before)
		n, _ := strconv.Atoi(strings.TrimPrefix(before, "activity_"))
		lo, hi = n+1, min(n+1+limit, s.visible)
	case q.Get("after_id") == "" && q.Get("created_at.gte") == "":
		lo, hi = max(0, s.visible-limit), s.visible
	}
	var data []string
	for i := hi - 1; i >= lo; i-- {
		data = append(data, fmt.Sprintf(`{"id":"activity_%03d","created_at":%q,"type":"claude_chat_viewed",`+
			`"actor":{"type":"user_actor","email_address":"a@example.com","user_id":"user_01"},"organization_id":"org_01","organization_uuid":null}`,
			i, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano)))
	}
	first, last := "null", "null"
	if len(data) > 0 {
		first, last = fmt.Sprintf(`"activity_%03d"`, hi-1), fmt.Sprintf(`"activity_%03d"`, lo)
	}
	w.Header().Set("content-type", "application/json")
	fmt.Fprintf(w, `{"data":[%s],"has_more":%t,"first_id":%s,"last_id":%s}`, strings.Join(data, ","), len(data) == limit && limit > 0, first, last)
}

func TestTailCatchUpEndingOnAnEmptyPageKeepsItsProgress(t *testing.T) {
	srv := &exactServer{visible: 5}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client, err := feed.New(feed.WithBaseURL(hs.URL), feed.WithKey(feed.NewSecret(sim.AdminKey)))
	if err != nil {
		t.Fatal(err)
	}
	st := openCache(t)
	onePoll := func() []string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sy := feed.NewSyncer(client, st, feed.WithPageLimit(20),
			feed.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }),
			feed.WithProgress(func(p feed.Progress) {
				if p.Phase == "tail" {
					if p.Err != nil {
						t.Errorf("tail poll failed: %v", p.Err)
					}
					cancel()
				}
			}))
		if err := sy.Tail(ctx, feed.Query{}); err != nil {
			t.Fatal(err)
		}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		out := srv.walks
		srv.walks = nil
		return out
	}
	onePoll() // the newest page: activity_004 is the cursor
	srv.mu.Lock()
	srv.visible = 45 // two full pages newer than the cursor, then nothing
	srv.mu.Unlock()
	if got := onePoll(); !slices.Equal(got, []string{"activity_004", "activity_024", "activity_044"}) {
		t.Fatalf("catch-up sent before_id %v", got)
	}
	if got := onePoll(); !slices.Equal(got, []string{"activity_044"}) {
		t.Fatalf("the next poll sent before_id %v, want [activity_044]", got)
	}
}
