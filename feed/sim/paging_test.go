package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// walk pages through query in its result order with after_id, starting
// without a cursor, and returns the ids received.
func walk(t *testing.T, h http.Handler, query, _ string, limit int) []string {
	t.Helper()
	var got []string
	base := query + "&limit=" + strconv.Itoa(limit)
	p := mustPage(t, h, base)
	for pages := 1; ; pages++ {
		got = append(got, ids(t, p.Data)...)
		if len(p.Data) > limit {
			t.Fatalf("page of %d rows with limit %d", len(p.Data), limit)
		}
		if !p.HasMore {
			return got
		}
		if p.LastID == nil || pages > 100000 {
			t.Fatalf("has_more with last_id %v after %d pages", p.LastID, pages)
		}
		p = mustPage(t, h, base+"&after_id="+*p.LastID)
	}
}

// walkBefore pages through query backwards with before_id, starting at
// the last row in result order, and returns the ids in result order.
func walkBefore(t *testing.T, h http.Handler, query string, asc bool, limit int) []string {
	t.Helper()
	opposite, order := "asc", "desc"
	if asc {
		opposite, order = "desc", "asc"
	}
	start := mustPage(t, h, query+"&order="+opposite+"&limit=1")
	if len(start.Data) == 0 {
		return nil
	}
	var pages [][]string
	cursor := *start.FirstID
	base := query + "&order=" + order + "&limit=" + strconv.Itoa(limit)
	for n := 0; ; n++ {
		p := mustPage(t, h, base+"&before_id="+cursor)
		pages = append(pages, ids(t, p.Data))
		if !p.HasMore {
			break
		}
		if p.FirstID == nil || n > 100000 {
			t.Fatalf("has_more with first_id %v", p.FirstID)
		}
		cursor = *p.FirstID
	}
	var got []string
	for i := len(pages) - 1; i >= 0; i-- {
		got = append(got, pages[i]...)
	}
	return append(got, ids(t, start.Data)...)
}

// tieCount counts events that share created_at with their predecessor.
func tieCount(s *Server) int {
	n := 0
	for i := 1; i < len(s.evs); i++ {
		if s.evs[i].at == s.evs[i-1].at {
			n++
		}
	}
	return n
}

func TestCursorWalksReproduceTruth(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 1500 })
	if n := tieCount(s); n < 20 {
		t.Fatalf("only %d ties in the dataset; the walks would not test tie-breaking", n)
	}
	desc := activityIDs(s.Truth(time.Time{}, time.Time{}))
	asc := slices.Clone(desc)
	slices.Reverse(asc)
	window := q("created_at.gte", testEnd().Add(-10*24*time.Hour).Format(time.RFC3339), "created_at.lt", testEnd().Add(-2*time.Hour).Format(time.RFC3339))
	wdesc := activityIDs(s.Truth(testEnd().Add(-10*24*time.Hour), testEnd().Add(-2*time.Hour)))
	wasc := slices.Clone(wdesc)
	slices.Reverse(wasc)
	if len(wdesc) < 100 || len(wdesc) > 1000 {
		t.Fatalf("%d events in the window", len(wdesc))
	}
	lo, hi := testEnd().Add(-10*24*time.Hour).UnixNano(), testEnd().Add(-2*time.Hour).UnixNano()
	wTies := 0
	for i := 1; i < len(s.evs); i++ {
		if e := s.evs[i]; e.at >= lo && e.at < hi && e.at == s.evs[i-1].at {
			wTies++
		}
	}
	if wTies < 5 {
		t.Fatalf("only %d ties in the window", wTies)
	}
	for _, limit := range []int{1, 7, 100, 5000} {
		for _, tc := range []struct {
			name  string
			query string
			asc   bool
			want  []string
		}{
			{"desc", "", false, desc},
			{"asc", "order=asc", true, asc},
			{"window desc", window, false, wdesc},
			{"window asc", window + "&order=asc", true, wasc},
		} {
			if limit == 1 && !strings.HasPrefix(tc.name, "window") {
				continue // one row per page over everything is slow under -race and adds nothing
			}
			t.Run(tc.name+"/after/"+strconv.Itoa(limit), func(t *testing.T) {
				if got := walk(t, s, tc.query, "after_id", limit); !slices.Equal(got, tc.want) {
					t.Errorf("after_id walk: %d ids, want %d (first diff at %d)", len(got), len(tc.want), firstDiff(got, tc.want))
				}
			})
			t.Run(tc.name+"/before/"+strconv.Itoa(limit), func(t *testing.T) {
				query := strings.ReplaceAll(strings.ReplaceAll(tc.query, "&order=asc", ""), "order=asc", "")
				if got := walkBefore(t, s, query, tc.asc, limit); !slices.Equal(got, tc.want) {
					t.Errorf("before_id walk: %d ids, want %d (first diff at %d)", len(got), len(tc.want), firstDiff(got, tc.want))
				}
			})
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestTiesAreOrderedByID(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 2000 })
	p := mustPage(t, s, "limit=5000")
	acts := decodeAll(t, p)
	ties := 0
	for i := 1; i < len(acts); i++ {
		a, b := acts[i-1], acts[i]
		switch {
		case a.CreatedAt.Before(b.CreatedAt):
			t.Fatalf("row %d is newer than row %d", i, i-1)
		case a.CreatedAt.Equal(b.CreatedAt):
			ties++
			if a.ID <= b.ID {
				t.Fatalf("tie at %s: %s before %s, want id descending", a.CreatedAt, a.ID, b.ID)
			}
		}
	}
	if ties == 0 {
		t.Fatal("no ties in the dataset")
	}
}

func TestCursorsAreOpaque(t *testing.T) {
	s, _ := newTestServer(t, nil)
	p := mustPage(t, s, "limit=3")
	first := ids(t, p.Data)[0]
	if *p.FirstID == first || strings.Contains(*p.FirstID, first) {
		t.Fatalf("first_id %q reveals the activity id %q", *p.FirstID, first)
	}
	// A client that builds a cursor from an activity id fails loudly.
	e := mustError(t, s, ComplianceKey, "after_id="+first, http.StatusBadRequest)
	if want := "Invalid `after_id`. No activity found for `after_id` \"" + first + "\""; e.Error.Message != want {
		t.Errorf("message %q, want %q", e.Error.Message, want)
	}
	// So does one that edits a cursor, or brings one from another dataset.
	c := []byte(*p.LastID)
	c[len(c)-3] ^= 1
	mustError(t, s, ComplianceKey, "after_id="+string(c), http.StatusBadRequest)
	other, _ := newTestServer(t, func(c *Config) { c.Seed = 7; c.Events = 10 })
	op := mustPage(t, other, "limit=1")
	mustError(t, s, ComplianceKey, "before_id="+*op.FirstID, http.StatusBadRequest)
	// A cursor is reusable: the same request gives the same page.
	again := mustPage(t, s, "limit=3&after_id="+*p.LastID)
	if again2 := mustPage(t, s, "limit=3&after_id="+*p.LastID); !slices.Equal(ids(t, again.Data), ids(t, again2.Data)) {
		t.Error("the same cursor gave different pages")
	}
}

func TestCursorOfFilteredOutActivity(t *testing.T) {
	s, _ := newTestServer(t, nil)
	all := s.Truth(time.Time{}, time.Time{})
	// A cursor of a claude_chat_viewed row, used with a filter that
	// excludes it: the position still works.
	p := mustPage(t, s, q("activity_types[]", "claude_chat_viewed", "limit", "50"))
	cur := *p.LastID
	pos := decodeAll(t, p)[len(p.Data)-1]
	got := walk(t, s, q("activity_types[]", "sso_login_succeeded", "after_id", cur), "after_id", 5000)
	want := filterTruth(all, func(a feed.Activity) bool {
		return a.Type == "sso_login_succeeded" && (a.CreatedAt.Before(pos.CreatedAt) || a.CreatedAt.Equal(pos.CreatedAt) && a.ID < pos.ID)
	})
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("got %d rows, want %d", len(got), len(want))
	}
}

func TestBeforeIDIsAdjacent(t *testing.T) {
	s, _ := newTestServer(t, nil)
	all := activityIDs(s.Truth(time.Time{}, time.Time{}))
	p1 := mustPage(t, s, "limit=100")
	p2 := mustPage(t, s, "limit=100&after_id="+*p1.LastID)
	p3 := mustPage(t, s, "limit=100&after_id="+*p2.LastID)
	// Newer than p3 are 200 rows; before_id gives the 10 adjacent ones,
	// in result order (newest first), with has_more: more newer rows exist.
	b := mustPage(t, s, "limit=10&before_id="+*p3.FirstID)
	if got := ids(t, b.Data); !slices.Equal(got, all[190:200]) {
		t.Errorf("before_id page %v, want %v", got, all[190:200])
	}
	if !b.HasMore {
		t.Error("before_id page: has_more false although newer rows exist")
	}
	// At the newest row there is nothing newer: empty page, null cursors.
	e := mustPage(t, s, "before_id="+*p1.FirstID)
	if len(e.Data) != 0 || e.HasMore || e.FirstID != nil || e.LastID != nil {
		t.Errorf("before the newest: %+v", e)
	}
	// The same in asc order at the far end.
	last := mustPage(t, s, "limit=1&order=asc")
	e = mustPage(t, s, "order=desc&after_id="+*last.FirstID)
	if len(e.Data) != 0 || e.HasMore || e.FirstID != nil || e.LastID != nil {
		t.Errorf("after the oldest: %+v", e)
	}
}

func TestLoopbackWalk(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 3000 })
	ts := httptest.NewServer(s)
	defer ts.Close()
	want := activityIDs(s.Truth(time.Time{}, time.Time{}))
	var got []string
	cursor := ""
	for {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+ActivitiesPath+"?limit=1000"+cursor, nil)
		req.Header.Set("x-api-key", ComplianceKey)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, err %v", resp.StatusCode, err)
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, len(body))
		}
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(t, p.Data)...)
		if !p.HasMore {
			break
		}
		cursor = "&after_id=" + *p.LastID
	}
	if !slices.Equal(got, want) {
		t.Errorf("loopback walk: %d ids, want %d", len(got), len(want))
	}
}
