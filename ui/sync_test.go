package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"

	tea "charm.land/bubbletea/v2"
)

// A sync that inserts rows refreshes the table without moving the cursor
// off the row the analyst is reading.
func TestSyncRefreshKeepsCursor(t *testing.T) {
	rows := exampleRows(t)
	var mu sync.Mutex
	current := rows
	src := &fakeSource{coverage: 0.5}
	src.n = len(rows)
	src.at = func(i int) store.Row {
		mu.Lock()
		defer mu.Unlock()
		return current[i]
	}
	release := make(chan struct{})
	syncFn := func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		report(feed.Progress{Phase: "window", Inserted: 2, Window: feed.Range{From: testNow.Add(-24 * time.Hour), To: testNow}, Reached: testNow.Add(-12 * time.Hour),
			RateLimit: feed.RateLimit{Limit: 600, Remaining: 587, Known: true}})
		return nil
	}
	h := newHarness(t, src, 160, 48, withSync(syncFn), holdSync())
	before := h.m.total
	if len(h.held) != 1 {
		t.Fatal("the sync must start after the first page")
	}
	// Until a sync has finished, the header must not claim the cache is synced.
	if strings.Contains(h.screen(), "synced") && !strings.Contains(h.screen(), "not synced") {
		t.Fatalf("header says synced before any sync finished:\n%s", h.screen())
	}
	h.key("j", "j", "j")
	want := h.selectedID()
	// Two events arrive, newer than everything on screen.
	fresh := []store.Row{synthRow(0, 1), synthRow(1, 3)}
	fresh[0].CreatedAt, fresh[1].CreatedAt = testNow.Add(-time.Minute), testNow.Add(-2*time.Minute)
	mu.Lock()
	current = append(fresh, rows...)
	mu.Unlock()
	src.n = len(rows) + 2
	close(release)
	held := h.held
	h.held = nil
	for _, msg := range held {
		h.send(msg)
	}
	if got := h.selectedID(); got != want {
		t.Fatalf("cursor moved from %s to %s", want, got)
	}
	if h.m.table.cursor != 5 || h.m.newRows != 2 {
		t.Fatalf("cursor index %d, new rows %d", h.m.table.cursor, h.m.newRows)
	}
	if h.m.total != before+2 {
		t.Fatalf("total %d after refresh", h.m.total)
	}
	h.mustContain("▲ 2 new", "budget 587/600", "synced")
	h.key("g")
	if h.m.newRows != 0 || h.selectedID() != fresh[0].ID {
		t.Fatal("g goes to the newest row and clears the badge")
	}
}

func TestSyncFailureShown(t *testing.T) {
	syncFn := func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
		return errors.New("network unreachable")
	}
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48, withSync(syncFn))
	h.mustContain("sync failed", "network unreachable")
}

func TestSyncCursorCycleShown(t *testing.T) {
	syncFn := func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
		return &feed.CursorCycleError{Cursor: "A\x1b[31m", Pages: 3, Distance: 2, RequestID: "req_3"}
	}
	h := newHarness(t, newFakeRows(exampleRows(t)), 200, 48, withSync(syncFn))
	// The cursor is the server's text: shown escaped, never as an escape.
	h.mustContain("sync failed", "cursors go in a circle", `A\x1b[31m came back`, "req_3")
}

func TestSyncOutOfWindowRowsShownOnce(t *testing.T) {
	syncFn := func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
		report(feed.Progress{Phase: "window", Pages: 1, OutOfWindow: 2})
		report(feed.Progress{Phase: "done", Pages: 1, OutOfWindow: 2})
		return nil
	}
	h := newHarness(t, newFakeRows(exampleRows(t)), 200, 48, withSync(syncFn))
	h.mustContain("the server sent 2 activities dated outside the window", "synced")
}

func TestFollow(t *testing.T) {
	src := synthSource(400)
	h := newHarness(t, src, 100, 30, withQuery(""))
	h.key("j", "j", "f")
	if !h.m.follow || h.m.table.position() != 0 {
		t.Fatal("f follows and jumps to the newest row")
	}
	h.mustContain("FOLLOW")
	h.key("j")
	if h.m.follow {
		t.Fatal("moving toward older rows pauses follow")
	}
}

// A resize renders at once, with data of the old size until new data
// arrives (the histogram of the old width must not overflow the new one).
func TestResizeBeforeNewData(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48)
	h.key("j", "enter")
	for _, size := range [][2]int{{70, 20}, {60, 15}, {200, 60}, {30, 10}, {0, 0}, {160, 48}} {
		m, _ := h.m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		h.m = m.(Model) // the histogram request is not run: old buckets stay
		if got := strings.Count(h.m.View().Content, "\n") + 1; size[0] >= minWidth && got != size[1] {
			t.Fatalf("%v: %d lines", size, got)
		}
	}
}
