package feed

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

func TestSplitGapsNewestFirstAtWholeSeconds(t *testing.T) {
	gaps := []Range{{From: t0.Add(10 * time.Hour), To: t0.Add(18 * time.Hour)}, {From: t0, To: t0.Add(2*time.Hour + 500*time.Millisecond)}}
	ws := splitGaps(gaps, 5)
	// 10 h in all, 2 h a window: the first gap in four, the second in two.
	if len(ws) != 6 {
		t.Fatalf("%d windows, want 6: %v", len(ws), ws)
	}
	next := gaps[0].To
	for i, w := range ws {
		if i == 4 {
			next = gaps[1].To
		}
		if !w.r.To.Equal(next) || !w.r.From.Before(w.r.To) || !w.stop.Equal(w.r.From) || !w.reached.Equal(w.r.To) {
			t.Fatalf("window %d = %+v, want one ending at %v", i, w, next)
		}
		if i != 3 && i != 5 && w.r.From.Truncate(time.Second) != w.r.From {
			t.Fatalf("window %d starts at %v, not a whole second", i, w.r.From)
		}
		next = w.r.From
	}
	if !ws[5].r.From.Equal(t0) {
		t.Fatalf("last window starts at %v, want the gap's start", ws[5].r.From)
	}
	// A gap without a start cannot be cut.
	if ws := splitGaps([]Range{{To: t0}}, 8); len(ws) != 1 || !ws[0].r.From.IsZero() {
		t.Fatalf("unbounded gap split into %v", ws)
	}
}

func TestPopMergesSparseAdjacentWindows(t *testing.T) {
	b := &backfill{s: &Syncer{cfg: syncConfig{pageLimit: 100}}, changed: make(chan struct{})}
	b.queue = splitGaps([]Range{{From: t0, To: t0.Add(8 * time.Hour)}}, 8)
	b.total = len(b.queue)
	if w := b.pop(); w.r.From != t0.Add(7*time.Hour) {
		t.Fatalf("without a density estimate the first window is not merged: %+v", w.r)
	}
	// 10 rows an hour: half a page (50) is five hours; four more windows fit.
	b.rows, b.walked = 10, time.Hour
	w := b.pop()
	if w.r.To != t0.Add(7*time.Hour) || w.r.From != t0.Add(3*time.Hour) || w.stop != w.r.From {
		t.Fatalf("merged window %+v, want 03:00–07:00", w.r)
	}
	if b.total != 5 || len(b.queue) != 3 {
		t.Fatalf("total %d queue %d after merging four windows, want 5 and 3", b.total, len(b.queue))
	}
	// Dense: nothing is merged.
	b.rows = 1000
	if w := b.pop(); w.r.From != t0.Add(2*time.Hour) {
		t.Fatalf("dense windows were merged: %+v", w.r)
	}
}

func TestStealSplitsTheDensestWindow(t *testing.T) {
	b := &backfill{s: &Syncer{cfg: syncConfig{pageLimit: 100}}, changed: make(chan struct{})}
	sparse := &window{r: Range{From: t0, To: t0.Add(10 * time.Hour)}, stop: t0, reached: t0.Add(5 * time.Hour), rows: 150}
	dense := &window{r: Range{From: t0.Add(10 * time.Hour), To: t0.Add(20 * time.Hour)}, stop: t0.Add(10 * time.Hour), reached: t0.Add(18 * time.Hour), rows: 200}
	b.active, b.total = []*window{sparse, dense}, 2
	// sparse: 150 rows in 5 h, 150 expected in the 5 h left (1.5 pages);
	// dense: 200 rows in 2 h, 800 expected in the 8 h left.
	w := b.steal()
	if w == nil || w.r != (Range{From: t0.Add(10 * time.Hour), To: t0.Add(14 * time.Hour)}) {
		t.Fatalf("stolen %+v, want the older half of the dense window", w)
	}
	if dense.stop != t0.Add(14*time.Hour) || b.total != 3 {
		t.Fatalf("dense window now stops at %v (total %d), want 14:00 and 3", dense.stop, b.total)
	}
	// The walker ends once its rows reach below the new stop.
	b.active = append(b.active, w)
	rows := []Activity{{CreatedAt: t0.Add(14*time.Hour - time.Second)}}
	if !b.advance(dense, rows, true) {
		t.Fatal("the walker did not stop where the stealer begins")
	}
	if len(b.active) != 2 {
		t.Fatalf("%d active after the walker ended, want 2", len(b.active))
	}
	// A window expected to need at most two more pages is left alone.
	b.active = []*window{sparse}
	if w := b.steal(); w != nil {
		t.Fatalf("stole %+v from a window with 1.5 pages left", w.r)
	}
}
