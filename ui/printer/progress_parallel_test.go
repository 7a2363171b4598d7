package printer

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"
)

// A parallel sync's line shows its rate and windows done of total, and the
// retry hook may call the bar from other goroutines than the reports.
func TestProgressBarParallel(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := now
	tick := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	}
	window := feed.Range{From: now.Add(-10 * time.Hour), To: now}
	b := NewProgressBar(io.Discard, ProgressOptions{Width: 160, Window: window, Now: tick})
	older := feed.Range{From: now.Add(-10 * time.Hour), To: now.Add(-5 * time.Hour)}
	newer := feed.Range{From: now.Add(-5 * time.Hour), To: now}
	b.Update(feed.Progress{Phase: "window", Window: newer, Reached: newer.From, Events: 5000, Pages: 1, Windows: 2, WindowsDone: 1, Parallel: 8})
	mu.Lock()
	clock = clock.Add(2 * time.Second)
	mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { b.Retry(feed.RetryEvent{Attempt: 1, Wait: time.Second, Status: 429}) })
	b.Update(feed.Progress{Phase: "window", Window: older, Reached: older.To.Add(-time.Hour), Events: 90000, Pages: 18, Windows: 3, WindowsDone: 1, Parallel: 4,
		RateLimit: feed.RateLimit{Limit: 600, Remaining: 560, Known: true}})
	wg.Wait()
	line := b.Line()
	for _, want := range []string{" 60%", "90,000 events", "18 pages", "45,000 events/s", "windows 1/3", "budget 560/600"} {
		if !strings.Contains(line, want) {
			t.Fatalf("line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "reached") {
		t.Fatalf("line %q shows one window's reach for a parallel sync", line)
	}
}
