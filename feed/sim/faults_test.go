package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
)

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults(" 429every=5,retryafter=2,5xxevery=7,noretry,truncate=11,reset=13,latency=50ms,late=0.01,lateby=3m,dup=4,dupchanged,emptymore=9,5xxcodes=500/503 ")
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{RateLimitEvery: 5, RetryAfter: "2", ServerErrorEvery: 7, NoRetry: true, TruncateEvery: 11, ResetEvery: 13,
		Latency: 50 * time.Millisecond, LateFraction: 0.01, LateBy: 3 * time.Minute, DuplicateEvery: 4, ChangedDuplicate: true,
		EmptyHasMore: 9, ServerErrorCodes: []int{500, 503}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got %+v\nwant %+v", f, want)
	}
	if f, err := ParseFaults(""); err != nil || !reflect.DeepEqual(f, Faults{}) {
		t.Errorf("empty spec: %+v, %v", f, err)
	}
	for _, bad := range []string{"429every=x", "429every=-1", "bogus", "late=2", "late=abc", "latency=fast", "noretry=1",
		"truncate", "dup=", "5xxcodes=404", "5xxcodes=/", "lateby=-1s"} {
		_, err := ParseFaults("dup=2," + bad)
		if err == nil {
			t.Errorf("%q: no error", bad)
			continue
		}
		if !strings.Contains(err.Error(), strings.SplitN(bad, "=", 2)[0]) {
			t.Errorf("%q: error %q does not name the item", bad, err)
		}
	}
}

func TestInjectedRateLimit(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 20; c.RateLimit = 0 })
	for _, tc := range []struct{ set, want string }{{"", "1"}, {"2", "2"}, {"-", ""}, {"Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 GMT"}} {
		s.SetFaults(Faults{RateLimitEvery: 3, RetryAfter: tc.set})
		codes := []int{}
		for range 6 {
			w := get(t, s, ComplianceKey, "")
			codes = append(codes, w.Code)
			if w.Code == 429 {
				if got := w.Header().Get("retry-after"); got != tc.want {
					t.Errorf("retry-after %q, want %q", got, tc.want)
				}
				if _, ok := w.Header()["Retry-After"]; tc.want == "" && ok {
					t.Error("retry-after present although omitted")
				}
				if w.Header().Get("anthropic-ratelimit-requests-remaining") == "" {
					t.Error("injected 429 without rate-limit headers")
				}
			}
		}
		if !slices.Equal(codes, []int{200, 200, 429, 200, 200, 429}) {
			t.Errorf("codes %v", codes)
		}
	}
}

func TestInjectedServerErrors(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 20 })
	s.SetFaults(Faults{ServerErrorEvery: 2, NoRetry: true})
	var got []int
	for i := range 10 {
		w := get(t, s, ComplianceKey, "")
		if i%2 == 0 {
			if w.Code != 200 {
				t.Fatalf("request %d: %d", i+1, w.Code)
			}
			continue
		}
		got = append(got, w.Code)
		var e errBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Type != "error" || e.Error.Type == "" {
			t.Errorf("%d body %s", w.Code, w.Body.String())
		}
		if want := map[int]string{500: "api_error", 502: "api_error", 503: "overloaded_error", 529: "overloaded_error"}[w.Code]; e.Error.Type != want {
			t.Errorf("%d: error type %q, want %q", w.Code, e.Error.Type, want)
		}
		if noRetry := w.Header().Get("x-should-retry") == "false"; noRetry != (w.Code == 500) {
			t.Errorf("%d: x-should-retry %q", w.Code, w.Header().Get("x-should-retry"))
		}
	}
	if !slices.Equal(got, []int{500, 502, 503, 529, 500}) {
		t.Errorf("codes %v", got)
	}
	s.SetFaults(Faults{ServerErrorEvery: 1, ServerErrorCodes: []int{504}})
	if w := get(t, s, ComplianceKey, ""); w.Code != 504 || w.Header().Get("x-should-retry") != "" {
		t.Errorf("custom code: %d", w.Code)
	}
}

func TestTruncate(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 200 })
	s.SetFaults(Faults{TruncateEvery: 2})
	ok := get(t, s, ComplianceKey, "limit=50")
	cut := get(t, s, ComplianceKey, "limit=50")
	if !json.Valid(ok.Body.Bytes()) {
		t.Error("first page invalid")
	}
	if json.Valid(cut.Body.Bytes()) || cut.Code != 200 {
		t.Errorf("second page is valid JSON (status %d)", cut.Code)
	}
	if cl := cut.Header().Get("Content-Length"); cl != strconv.Itoa(cut.Body.Len()) {
		t.Errorf("Content-Length %s, body %d", cl, cut.Body.Len())
	}
	var p page
	err := json.Unmarshal(cut.Body.Bytes(), &p)
	var syn *json.SyntaxError
	if !errors.As(err, &syn) && !strings.Contains(fmtErr(err), "unexpected end") {
		t.Errorf("decode error %v", err)
	}
	// Over loopback the client reads the whole (short) body without error.
	ts := httptest.NewServer(s)
	defer ts.Close()
	s.SetFaults(Faults{TruncateEvery: 1})
	body, err := fetch(ts, "limit=10")
	if err != nil || json.Valid(body) {
		t.Errorf("loopback truncate: err %v, valid %v", err, json.Valid(body))
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func fetch(ts *httptest.Server, query string) ([]byte, error) {
	req, _ := http.NewRequest(http.MethodGet, ts.URL+ActivitiesPath+"?"+query, nil)
	req.Header.Set("x-api-key", ComplianceKey)
	resp, err := ts.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func TestReset(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 20 })
	ts := httptest.NewServer(s)
	defer ts.Close()
	s.SetFaults(Faults{ResetEvery: 2})
	if _, err := fetch(ts, ""); err != nil {
		t.Fatalf("first request: %v", err)
	}
	if _, err := fetch(ts, ""); err == nil {
		t.Error("reset request: no error")
	}
	if _, err := fetch(ts, ""); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	// Without a connection to drop, the body is cut short instead.
	s.SetFaults(Faults{ResetEvery: 1})
	w := get(t, s, ComplianceKey, "")
	if json.Valid(w.Body.Bytes()) {
		t.Error("in-memory reset gave a complete body")
	}
	if cl, _ := strconv.Atoi(w.Header().Get("Content-Length")); cl <= w.Body.Len() {
		t.Errorf("Content-Length %d does not promise more than the %d bytes sent", cl, w.Body.Len())
	}
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Seed: 1, Events: 20, End: testEnd(), Now: func() time.Time { return testEnd().Add(time.Hour) }})
		s.SetFaults(Faults{Latency: 250 * time.Millisecond})
		start := time.Now()
		if w := get(t, s, ComplianceKey, ""); w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		if d := time.Since(start); d != 250*time.Millisecond {
			t.Errorf("took %v, want 250ms", d)
		}
		// A cancelled request returns when its context is done.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, ActivitiesPath, nil)
		r.Header.Set("x-api-key", ComplianceKey)
		w := httptest.NewRecorder()
		start = time.Now()
		s.ServeHTTP(w, r)
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("cancelled request took %v", d)
		}
		if s.Requests() != 1 {
			t.Errorf("Requests() = %d: a request the client abandoned was counted", s.Requests())
		}
	})
}

func TestDuplicates(t *testing.T) {
	for _, changed := range []bool{false, true} {
		s, _ := newTestServer(t, nil)
		s.SetFaults(Faults{DuplicateEvery: 2, ChangedDuplicate: changed})
		p1 := mustPage(t, s, "limit=10")
		p2 := mustPage(t, s, "limit=10&after_id="+*p1.LastID)
		if len(p2.Data) != 11 {
			t.Fatalf("duplicate page has %d rows", len(p2.Data))
		}
		a, b := decodeAll(t, page{Data: p1.Data[9:]})[0], decodeAll(t, page{Data: p2.Data[:1]})[0]
		if a.ID != b.ID {
			t.Errorf("first row %s, want the previous page's last %s", b.ID, a.ID)
		}
		if same := string(p1.Data[9]) == string(p2.Data[0]); same == changed {
			t.Errorf("changed=%v: bytes equal = %v", changed, same)
		}
		// The cursors still describe the real page: the walk goes on.
		p3 := mustPage(t, s, "limit=10&after_id="+*p2.LastID)
		all := activityIDs(s.Truth(time.Time{}, time.Time{}))
		if got := ids(t, p3.Data); !slices.Equal(got, all[20:30]) {
			t.Errorf("page after the duplicate page: %v", got)
		}
	}
}

func TestEmptyHasMore(t *testing.T) {
	s, _ := newTestServer(t, nil)
	s.SetFaults(Faults{EmptyHasMore: 2})
	p1 := mustPage(t, s, "limit=10")
	p2 := mustPage(t, s, "limit=10&after_id="+*p1.LastID)
	if len(p2.Data) != 0 || !p2.HasMore || p2.FirstID == nil || *p2.FirstID != *p1.LastID || *p2.LastID != *p1.LastID {
		t.Fatalf("empty has_more page: %+v", p2)
	}
	// Without a cursor in the request the page names the start.
	mustPage(t, s, "limit=10")
	e := mustPage(t, s, "limit=10&order=asc")
	if len(e.Data) != 0 || !e.HasMore || e.LastID == nil {
		t.Fatalf("empty page without cursor: %+v", e)
	}
	next := mustPage(t, s, "limit=10&order=asc&after_id="+*e.LastID)
	all := activityIDs(s.Truth(time.Time{}, time.Time{}))
	slices.Reverse(all)
	if !slices.Equal(ids(t, next.Data), all[:10]) {
		t.Errorf("after the empty page: %v", ids(t, next.Data))
	}
	// A client that keeps going while has_more gets everything.
	s.SetFaults(Faults{EmptyHasMore: 3})
	if got, want := walk(t, s, "", "after_id", 300), activityIDs(s.Truth(time.Time{}, time.Time{})); !slices.Equal(got, want) {
		t.Errorf("walk: %d ids, want %d", len(got), len(want))
	}
}

// TestFaultyWalk is what the client must achieve: with every fault on, a
// retrying, deduplicating walk still yields exactly the truth.
func TestFaultyWalk(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 3000 })
	s.SetFaults(Faults{RateLimitEvery: 5, ServerErrorEvery: 7, TruncateEvery: 4, ResetEvery: 11, DuplicateEvery: 3, ChangedDuplicate: true, EmptyHasMore: 6})
	ts := httptest.NewServer(s)
	defer ts.Close()
	want := activityIDs(s.Truth(time.Time{}, time.Time{}))
	seen := map[string]bool{}
	var got []string
	cursor, failures := "", 0
	for tries := 0; tries < 1000; tries++ {
		body, err := fetch(ts, "limit=250"+cursor)
		var p page
		if err == nil {
			err = json.Unmarshal(body, &p)
		}
		if err != nil || p.Data == nil && !p.HasMore && p.FirstID == nil && strings.Contains(string(body), `"error"`) {
			failures++
			continue // retry with the same cursor
		}
		for _, a := range decodeAll(t, p) {
			if !seen[a.ID] {
				seen[a.ID] = true
				got = append(got, a.ID)
			}
		}
		if !p.HasMore {
			break
		}
		cursor = "&after_id=" + *p.LastID
	}
	// A retried page may bring a duplicate of its own last row first, so
	// compare as sets (and count: no id may be missing or extra).
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("faulty walk: %d ids, want %d", len(got), len(want))
	}
	if failures == 0 {
		t.Error("no fault was hit")
	}
}

func TestLateEvents(t *testing.T) {
	clk := newClock(testEnd().Add(30 * time.Second))
	s := New(Config{Seed: 3, End: testEnd(), Now: clk.Now, RateLimit: -1, LiveRate: 120,
		Faults: Faults{LateFraction: 0.5, LateBy: 2 * time.Minute}})
	window := func() []feed.Activity { return s.Truth(testEnd().Add(-10*time.Minute), testEnd().Add(10*time.Minute)) }
	before := len(window())
	// The events that exist now (our own requests will add more later).
	cutoff := clk.Now()
	early := func(as []feed.Activity) int {
		n := 0
		for _, a := range as {
			if !a.CreatedAt.Before(testEnd().Add(-10*time.Minute)) && a.CreatedAt.Before(cutoff) {
				n++
			}
		}
		return n
	}
	exist := early(s.Activities())
	if before >= exist {
		t.Fatalf("all %d events in the window are visible: nothing is late", exist)
	}
	// A walk sees exactly the visible ones.
	query := q("created_at.gte", testEnd().Add(-10*time.Minute).Format(time.RFC3339))
	if got := walk(t, s, query, "after_id", 5); !slices.Equal(got, activityIDs(window())) {
		t.Errorf("walk before indexing differs from Truth")
	}
	clk.Advance(2*time.Minute + time.Second)
	after := window()
	if len(after) <= before {
		t.Errorf("late events did not appear: %d then %d", before, len(after))
	}
	if n := early(after); n != exist {
		t.Errorf("after LateBy %d of the %d early events are visible", n, exist)
	}
}
