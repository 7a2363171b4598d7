package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"claudit/feed"
)

// testEnd is the End of every test dataset: a fixed instant, so datasets
// are identical from run to run.
func testEnd() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestServer returns a server over a 5000-event dataset whose clock
// stands an hour after End (everything historical is indexed).
func newTestServer(t *testing.T, mod func(*Config)) (*Server, *fakeClock) {
	t.Helper()
	clk := newClock(testEnd().Add(time.Hour))
	cfg := Config{Seed: 42, End: testEnd(), Now: clk.Now, RateLimit: -1}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg), clk
}

// page is a decoded 200 body.
type page struct {
	Data    []json.RawMessage `json:"data"`
	HasMore bool              `json:"has_more"`
	FirstID *string           `json:"first_id"`
	LastID  *string           `json:"last_id"`
}

// errBody is a decoded error body.
type errBody struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

// get sends GET /v1/compliance/activities?query to h with key and returns
// the recorded response.
func get(t *testing.T, h http.Handler, key, query string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, ActivitiesPath+"?"+query, nil)
	if key != "" {
		r.Header.Set("x-api-key", key)
	}
	r.Header.Set("anthropic-version", "2023-06-01")
	r.Header.Set("User-Agent", "sim-test/1.0")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// mustPage sends a request that must succeed and decodes the page.
func mustPage(t *testing.T, h http.Handler, query string) page {
	t.Helper()
	w := get(t, h, ComplianceKey, query)
	if w.Code != http.StatusOK {
		t.Fatalf("GET ?%s: status %d: %s", query, w.Code, w.Body.String())
	}
	var p page
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("GET ?%s: body does not decode: %v", query, err)
	}
	return p
}

// mustError sends a request that must fail with status and decodes the body.
func mustError(t *testing.T, h http.Handler, key, query string, status int) errBody {
	t.Helper()
	w := get(t, h, key, query)
	if w.Code != status {
		t.Fatalf("GET ?%s: status %d, want %d: %s", query, w.Code, status, w.Body.String())
	}
	var e errBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("GET ?%s: error body does not decode: %v", query, err)
	}
	if e.Type != "error" || e.RequestID == "" || e.RequestID != w.Header().Get("request-id") {
		t.Fatalf("GET ?%s: bad error envelope %+v (request-id header %q)", query, e, w.Header().Get("request-id"))
	}
	return e
}

// ids returns the ids of raw activities. The simulator writes "id" first,
// so the fast path avoids decoding every row (tests under -race walk many
// pages); anything else is decoded properly.
func ids(t *testing.T, raws []json.RawMessage) []string {
	t.Helper()
	out := make([]string, len(raws))
	for i, r := range raws {
		if rest, ok := bytes.CutPrefix(r, []byte(`{"id":"activity_`)); ok {
			if end := bytes.IndexByte(rest, '"'); end > 0 {
				out[i] = "activity_" + string(rest[:end])
				continue
			}
		}
		var a feed.Activity
		if err := json.Unmarshal(r, &a); err != nil {
			t.Fatalf("activity %d does not decode: %v", i, err)
		}
		out[i] = a.ID
	}
	return out
}

func activityIDs(as []feed.Activity) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// q builds a query string from name/value pairs.
func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}
