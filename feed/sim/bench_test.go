package sim

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkGenerate measures building a 1,000,000-event dataset.
func BenchmarkGenerate(b *testing.B) {
	if testing.Short() {
		b.Skip("builds 1,000,000 events")
	}
	const n = 1_000_000
	for b.Loop() {
		s := New(Config{Seed: 1, Events: n, End: testEnd()})
		if len(s.evs) != n {
			b.Fatalf("%d events", len(s.evs))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPage5000 measures serving a full 5000-row page deep inside a
// 200,000-event dataset.
func BenchmarkPage5000(b *testing.B) {
	if testing.Short() {
		b.Skip("builds 200,000 events")
	}
	clk := newClock(testEnd().Add(time.Hour))
	s := New(Config{Seed: 1, Events: 200_000, End: testEnd(), Now: clk.Now, RateLimit: -1})
	var bytes int
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, ActivitiesPath+"?limit=5000&created_at.lt=2026-11-20T00:00:00Z", nil)
		r.Header.Set("x-api-key", ComplianceKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
		bytes = w.Body.Len()
	}
	b.SetBytes(int64(bytes))
	b.ReportMetric(5000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
