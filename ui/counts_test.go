package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// countStub is a Source whose counts answer at once: every event of the
// source but claudit's own calls, of which there are none, stopping at
// the limit. It keeps what the context of every exact (uncapped) count
// said when the count ran.
type countStub struct {
	*fakeSource
	exact  []error
	capped int
}

func (c *countStub) Count(ctx context.Context, q feed.Query, now time.Time, limit int) (int, bool, error) {
	if slices.Contains(q.Is.Include, feed.IsSelf) {
		return 0, false, nil
	}
	if limit <= 0 {
		c.exact = append(c.exact, ctx.Err())
		return c.n, false, nil
	}
	c.capped++
	return min(c.n, limit), c.n > limit, nil
}

// holdExactCount delivers a capped count to h without running the exact
// count it starts, which it returns.
func holdExactCount(h *harness) func() {
	r := h.m.flight.start(reqCount)
	next, exact := h.m.Update(countMsg{req: r, n: countCap, capped: true})
	h.m = next.(Model)
	return func() { h.run(exact) }
}

// Past the cap the total says "counting…" while the exact count runs in
// the background; the position after G is unknown until it ends, then
// exact.
func TestCountExactInBackground(t *testing.T) {
	src := &countStub{fakeSource: synthSource(150_000)}
	h := newHarness(t, src.fakeSource, 100, 30, withQuery(""), withDeps(func(d *Deps) { d.Source = src }))
	finish := holdExactCount(h)
	h.mustContain("≥ 100,000 events · counting…", "1/≥ 100,000")
	h.key("G")
	h.mustContain("?/≥ 100,000")
	finish()
	h.mustContain("150,000 events", "150,000/150,000")
	if strings.Contains(h.screen(), "counting…") {
		t.Fatalf("still counting:\n%s", h.screen())
	}
	h.key("k")
	h.mustContain("149,999/150,000")
}

// A new query cancels the exact count of the previous one, whose answer
// is then dropped.
func TestCountExactCancelled(t *testing.T) {
	rec := &countStub{fakeSource: synthSource(150_000)}
	h := newHarness(t, rec.fakeSource, 100, 30, withQuery(""), withDeps(func(d *Deps) { d.Source = rec }))
	finish := holdExactCount(h)
	h.key("2") // since:1h
	before := len(rec.exact)
	want := h.m.totalText(true)
	finish()
	if len(rec.exact) != before+1 || rec.exact[before] == nil {
		t.Fatal("the previous query's exact count ran under a live context")
	}
	if got := h.m.totalText(true); got != want {
		t.Fatalf("the previous query's count was applied: %q, want %q", got, want)
	}

	// Within one query, a newer count cancels the exact count running.
	first := holdExactCount(h)
	second := holdExactCount(h)
	n := len(rec.exact)
	first()
	if len(rec.exact) != n+1 || rec.exact[n] == nil || !h.m.counting {
		t.Fatal("a superseded exact count ran under a live context, or ended the newer one")
	}
	second()
	if len(rec.exact) != n+2 || rec.exact[n+1] != nil || h.m.counting {
		t.Fatal("the newer exact count did not run to its end")
	}
}

// After the cache changes, a total that needed the exact count is counted
// exactly again at once, the old total shown meanwhile.
func TestCountExactRecount(t *testing.T) {
	rec := &countStub{fakeSource: synthSource(150_000)}
	h := newHarness(t, rec.fakeSource, 100, 30, withQuery(""), withDeps(func(d *Deps) { d.Source = rec }))
	h.mustContain("150,000 events")
	capped := rec.capped
	m := h.m
	cmd := m.refresh()
	h.m = m
	h.mustContain("150,000 events · counting…")
	exact := len(rec.exact)
	h.run(cmd)
	h.mustContain("150,000 events")
	if len(rec.exact) != exact+1 || rec.capped != capped {
		t.Fatalf("recount: %d exact and %d capped counts, want the exact count alone", len(rec.exact)-exact, rec.capped-capped)
	}
}

// A count under the cap is exact from the start: no second count.
func TestCountUnderCapOnce(t *testing.T) {
	rec := &countStub{fakeSource: newFakeRows(exampleRows(t))}
	h := newHarness(t, rec.fakeSource, 100, 30, withDeps(func(d *Deps) { d.Source = rec }))
	if len(rec.exact) != 0 || h.m.counting || !h.m.totalKnown {
		t.Fatalf("exact counts %d, counting %v", len(rec.exact), h.m.counting)
	}
}
