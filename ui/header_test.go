package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"

	"github.com/charmbracelet/x/ansi"
)

// parallelHeader is the header during a parallel window sync 4 s in,
// 21,000 events fetched.
func parallelHeader(width int, styles Styles) headerModel {
	return headerModel{
		profile: "prod", keyLabel: "admin key …x9Qa", window: "last 30d", covFraction: 0.42,
		syncing:     true,
		syncStarted: testNow, progressAt: testNow.Add(4 * time.Second),
		progress: feed.Progress{Phase: "window", Events: 21_000, Inserted: 20_500,
			Windows: 16, WindowsDone: 3, Parallel: 8},
		rate:  feed.RateLimit{Known: true, Limit: 600, Remaining: 540},
		width: width, styles: &styles,
	}
}

// A parallel sync's header shows windows done, events/s and the budget;
// at 80 columns it drops the new-row count, the key label and the profile
// and turns compact, and it is exactly width cells in colour or not.
func TestHeaderParallelSync(t *testing.T) {
	for _, tt := range []struct {
		width int
		want  string
	}{
		{160, " claudit · prod · admin key …x9Qa · cache 42% of last 30d · budget 540/600 · fetching 3/16 windows · 20,500 new · 5,250 events/s"},
		{80, " claudit · cache 42% of last 30d · budget 540/600 · fetching 3/16 · 5.2k ev/s"},
		{60, " claudit · cache 42% of last 30d · fetching 3/16"},
		{30, " claudit · cache 42% of last …"},
	} {
		for _, styles := range []Styles{plainStyles(), NewStyles(true)} {
			got := parallelHeader(tt.width, styles).View()
			if w := ansi.StringWidth(got); w != tt.width {
				t.Errorf("width %d: header is %d cells: %q", tt.width, w, got)
			}
			if plain := strings.TrimRight(ansi.Strip(got), " "); plain != tt.want {
				t.Errorf("width %d:\n got %q\nwant %q", tt.width, plain, tt.want)
			}
		}
	}
}

// A sequential sync's header is unchanged: a percentage and the new rows,
// cut at the width rather than dropping parts.
func TestHeaderSequentialSyncUnchanged(t *testing.T) {
	h := parallelHeader(80, plainStyles())
	h.progress = feed.Progress{Phase: "window", Window: feed.Range{From: testNow.Add(-10 * time.Hour), To: testNow},
		Reached: testNow.Add(-5 * time.Hour), Inserted: 12}
	got := h.View()
	want := " claudit · prod · admin key …x9Qa · cache 42% of last 30d · budget 540/600 · fe…"
	if ansi.StringWidth(got) != 80 || ansi.Strip(got) != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	h.width = 160
	if got := strings.TrimRight(ansi.Strip(h.View()), " "); !strings.HasSuffix(got, " · fetching 50% · 12 new") {
		t.Fatalf("160 columns: %q", got)
	}
}

func TestCompactRate(t *testing.T) {
	for n, want := range map[int]string{0: "0", 950: "950", 5250: "5.2k", 9999: "9.9k", 52_400: "52k"} {
		if got := compactRate(n); got != want {
			t.Errorf("compactRate(%d) = %q, want %q", n, got, want)
		}
	}
}

// The model times the sync: events/s is the events reported over the time
// since the sync started, by the injected clock.
func TestHeaderParallelSyncInModel(t *testing.T) {
	var mu sync.Mutex
	clock := testNow
	// syncFn reports what the test sends on emit until emit is closed.
	syncFn := func(emit <-chan feed.Progress) func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
		return func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
			for {
				select {
				case p, ok := <-emit:
					if !ok {
						return nil
					}
					report(p)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	}
	for _, tt := range []struct {
		width int
		want  string
	}{
		{160, " claudit · prod · admin key …x9Qa · cache 50% of last 24h · budget 540/600 · fetching 3/16 windows · 20,500 new · 5,250 events/s"},
		{80, " claudit · cache 50% of last 24h · budget 540/600 · fetching 3/16 · 5.2k ev/s"},
	} {
		mu.Lock()
		clock = testNow
		mu.Unlock()
		emit := make(chan feed.Progress)
		h := newHarness(t, &fakeSource{coverage: 0.5}, tt.width, 24, withSync(syncFn(emit)), parkWaits(), withDeps(func(d *Deps) {
			d.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		}))
		mu.Lock()
		clock = testNow.Add(4 * time.Second)
		mu.Unlock()
		emit <- feed.Progress{Phase: "window", Events: 21_000, Inserted: 20_500, Windows: 16, WindowsDone: 3, Parallel: 8,
			RateLimit: feed.RateLimit{Known: true, Limit: 600, Remaining: 540}}
		h.releaseWaits()
		first, _, _ := strings.Cut(h.screen(), "\n")
		if ansi.StringWidth(first) != tt.width || strings.TrimRight(first, " ") != tt.want {
			t.Errorf("width %d: header\n got %q\nwant %q", tt.width, first, tt.want)
		}
		close(emit)
	}
}
