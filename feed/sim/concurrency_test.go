package sim

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Concurrent clients (issue 13): the injected latency delays each request
// on its own, so n concurrent requests take one latency, not n; and the
// budget is one count shared by all of them: of 30 requests sent at once
// against a budget of 20, exactly 20 are served and 10 get the 429 of §10,
// with a retry-after reaching the window's reset.
func TestLatencyAndBudgetUnderConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Seed: 12, Events: 300, RateLimit: 20, SelfEventDelay: -1, Faults: Faults{Latency: 300 * time.Millisecond}})
		c := &http.Client{Transport: roundTripper{s}}
		start := time.Now()
		const n = 30
		statuses := make([]int, n)
		headers := make([]http.Header, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, "http://sim.invalid"+ActivitiesPath+"?limit=10", nil)
				req.Header.Set("x-api-key", ComplianceKey)
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				statuses[i], headers[i] = resp.StatusCode, resp.Header
			})
		}
		wg.Wait()
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Fatalf("30 concurrent requests took %v, want one latency (300ms)", d)
		}
		ok, limited := 0, 0
		remaining := map[int]bool{}
		for i, st := range statuses {
			r, _ := strconv.Atoi(headers[i].Get("anthropic-ratelimit-requests-remaining"))
			switch st {
			case http.StatusOK:
				ok++
				if remaining[r] {
					t.Errorf("two served requests both saw remaining %d", r)
				}
				remaining[r] = true
			case http.StatusTooManyRequests:
				limited++
				if r != 0 || headers[i].Get("retry-after") != "60" {
					t.Errorf("429 with remaining %d, retry-after %q; want 0 and 60", r, headers[i].Get("retry-after"))
				}
			default:
				t.Errorf("status %d", st)
			}
		}
		if ok != 20 || limited != 10 {
			t.Fatalf("%d served, %d rate-limited; want 20 and 10", ok, limited)
		}
		// Served requests counted down 19 … 0.
		for r := range 20 {
			if !remaining[r] {
				t.Fatalf("no served request saw remaining %d", r)
			}
		}
	})
}
