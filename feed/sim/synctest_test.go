package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// roundTripper serves requests in memory by calling the handler directly.
type roundTripper struct{ h http.Handler }

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	rt.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// TestInMemoryInSynctest runs the server through an in-memory transport
// inside a synctest bubble, on the bubble's fake clock (Config.Now nil).
// synctest.Test would fail if the server left a goroutine or timer behind.
func TestInMemoryInSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Seed: 11, Events: 300, LiveRate: 6, Faults: Faults{Latency: 40 * time.Millisecond}})
		c := &http.Client{Transport: roundTripper{s}}
		getPage := func(query string) (page, http.Header) {
			req, _ := http.NewRequest(http.MethodGet, "http://sim.invalid"+ActivitiesPath+"?"+query, nil)
			req.Header.Set("x-api-key", ComplianceKey)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var p page
			if resp.StatusCode != 200 || json.Unmarshal(body, &p) != nil {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			return p, resp.Header
		}
		start := time.Now()
		p, h := getPage("limit=1")
		if time.Since(start) != 40*time.Millisecond {
			t.Errorf("latency %v", time.Since(start))
		}
		if h.Get("Date") != time.Now().UTC().Format(http.TimeFormat) {
			t.Errorf("Date %q", h.Get("Date"))
		}
		newest := *p.FirstID
		// Ten minutes later the live stream has produced events, and the
		// first request's self event is visible.
		time.Sleep(10 * time.Minute)
		var got []string
		for cursor := newest; ; {
			p, _ := getPage("limit=5&before_id=" + cursor)
			got = append(got, ids(t, p.Data)...)
			if !p.HasMore {
				break
			}
			cursor = *p.FirstID
		}
		if len(got) < 30 {
			t.Errorf("%d new events after 10 minutes at 6/min plus a self event", len(got))
		}
		if truth := s.Truth(start, time.Time{}); len(truth) < len(got) {
			t.Errorf("truth %d < received %d", len(truth), len(got))
		}
	})
}

func TestConcurrentRequests(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 2000 })
	ts := httptest.NewServer(s)
	defer ts.Close()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 15 {
				req, _ := http.NewRequest(http.MethodGet, ts.URL+ActivitiesPath+"?limit=50", nil)
				if (g+i)%5 != 0 {
					req.Header.Set("x-api-key", ComplianceKey)
				}
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				seen[resp.Header.Get("request-id")] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if s.Requests() != 120 || len(seen) != 120 {
		t.Errorf("Requests() = %d, unique request ids %d, want 120", s.Requests(), len(seen))
	}
	if n := len(s.Activities()); n != 2000+96 {
		t.Errorf("%d activities, want 2000 + 96 self events", n)
	}
}
