package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"
)

// The fake's find: its Search and Count over the rows that also hold the
// text, matched as the store matches free text.

func (f *fakeSource) FindSearch(ctx context.Context, q feed.Query, now time.Time, text string, from store.Cursor, dir store.Direction, n int) ([]store.Row, error) {
	f.count("FindSearch")
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := newMatcher(q, now)
	if err != nil {
		return nil, err
	}
	hit := func(r store.Row) bool { return m.match(r) && store.TextMatches(r.Raw, text) }
	var out []store.Row
	if dir == store.Older {
		for i := f.firstOlder(from); i < f.n && len(out) < n; i++ {
			if r := f.row(i); hit(r) {
				out = append(out, r)
			}
		}
		return out, nil
	}
	for i := f.firstNotNewer(from) - 1; i >= 0 && len(out) < n; i-- {
		if r := f.row(i); hit(r) {
			out = append([]store.Row{r}, out...)
		}
	}
	return out, nil
}

func (f *fakeSource) FindCount(ctx context.Context, q feed.Query, now time.Time, text string, after store.Cursor, limit int) (int, bool, error) {
	f.count("FindCount")
	m, err := newMatcher(q, now)
	if err != nil {
		return 0, false, err
	}
	end := f.n
	if !after.IsZero() {
		end = f.firstNotNewer(after)
	}
	n := 0
	for i := range end {
		if r := f.row(i); m.match(r) && store.TextMatches(r.Raw, text) {
			n++
			if limit > 0 && n > limit {
				return limit, true, nil
			}
		}
	}
	return n, false, nil
}

// mustContainRe is mustContain for regular expressions.
func (h *harness) mustContainRe(res ...string) {
	h.t.Helper()
	s := h.screen()
	for _, re := range res {
		if !regexp.MustCompile(re).MatchString(s) {
			h.t.Fatalf("screen lacks %s:\n%s", re, s)
		}
	}
}

// findRows are n synthetic rows and the indices of those that hold text.
func findRows(n int, text string) (*fakeSource, []int) {
	var want []int
	for i := range n {
		if store.TextMatches(synthRow(i, n).Raw, text) {
			want = append(want, i)
		}
	}
	return newFakeFunc(n, func(i int) store.Row { return synthRow(i, n) }), want
}

// find opens the prompt, types text and applies it.
func (h *harness) find(text string) {
	h.t.Helper()
	h.key("ctrl+f")
	if h.overlayName() != "find" {
		h.t.Fatalf("ctrl+f opened %q", h.overlayName())
	}
	h.typeText(text)
	h.key("enter")
	if h.overlayName() != "none" {
		h.t.Fatalf("enter left %q open", h.overlayName())
	}
}

// wantMatch checks the cursor is on match k (1-based) of want, at its
// position in the result.
func (h *harness) wantMatch(n int, want []int, k int) {
	h.t.Helper()
	if got, id := h.selectedID(), synthRow(want[k-1], n).ID; got != id {
		h.t.Fatalf("match %d: cursor on %s, want %s\n%s", k, got, id, h.screen())
	}
	h.mustContain(fmt.Sprintf("match %d of %d", k, len(want)))
	if got := h.m.table.position(); got != want[k-1] {
		h.t.Fatalf("match %d: position %d, want %d", k, got, want[k-1])
	}
}

// walkMatches starts on the first match and goes down through every
// match with n, wraps to the first, then up with N to wrap to the last;
// the window never grows past windowMax.
func (h *harness) walkMatches(n int, want []int) {
	h.t.Helper()
	h.wantMatch(n, want, 1)
	for k := 2; k <= len(want); k++ {
		h.key("n")
		h.wantMatch(n, want, k)
		if got := len(h.m.table.rows); got > windowMax {
			h.t.Fatalf("window of %d rows", got)
		}
	}
	h.key("n")
	h.wantMatch(n, want, 1)
	h.mustContain("search hit BOTTOM, continuing at TOP")
	h.key("N")
	h.wantMatch(n, want, len(want))
	h.mustContain("search hit TOP, continuing at BOTTOM")
}

// ctrl+f finds text without changing the query; n and N walk its matches
// within the loaded window and wrap at both ends, saying so; the count and
// rank are exact; the rows holding it are marked and the text highlighted.
func TestFindWithinWindow(t *testing.T) {
	const n, text = 90, "198.51.100.7" // .7 and .70–.79 of the API and admin actors
	src, want := findRows(n, text)
	if len(want) < 3 {
		t.Fatalf("%d matches: the data does not test a find", len(want))
	}
	h := newHarness(t, src, 160, 40)
	q, total := h.m.query.String(), h.m.total
	h.key("j") // n from the cursor's row on: the first match at or below it
	h.key("ctrl+f")
	h.typeText(text)
	h.mustContain("find: " + text)
	h.key("enter")
	if h.m.query.String() != q || h.m.total != total || len(h.m.table.rows) != n {
		t.Fatalf("the find changed the query: %q %d rows %d", h.m.query.String(), h.m.total, len(h.m.table.rows))
	}
	h.mustContain(`find "` + text + `": match 1 of `)
	h.walkMatches(n, want)
	h.key("N")
	h.wantMatch(n, want, len(want)-1)
	if got := src.callCount("FindSearch"); got != 0 {
		t.Fatalf("the whole result is loaded, yet the store was asked %d times", got)
	}

	// Marks: exactly the matching rows; the text as a cell shows it is
	// highlighted, the selected row aside.
	for i, r := range h.m.table.rows {
		if r.match != store.TextMatches(r.Raw, text) {
			t.Fatalf("row %d: match %v", i, r.match)
		}
	}
	h.key("g") // off the matches: the count alone
	h.mustContain(fmt.Sprintf(`find "%s": %d matches`, text, len(want)))
	if hl := h.m.table.paint.matchText.paint(text); !strings.Contains(h.m.View().Content, hl) {
		t.Fatalf("no highlighted %s in the frame:\n%s", text, h.screen())
	}

	// esc in the prompt keeps the find; esc in the table clears it.
	h.key("ctrl+f", "x", "esc")
	if h.m.find.term != text {
		t.Fatalf("esc in the prompt changed the find to %q", h.m.find.term)
	}
	h.key("esc")
	h.mustContain("find cleared")
	if h.m.find.term != "" || strings.Contains(h.screen(), "match") {
		t.Fatalf("esc left the find %q\n%s", h.m.find.term, h.screen())
	}
	for _, r := range h.m.table.rows {
		if r.match {
			t.Fatalf("row %s still marked", r.ID)
		}
	}
	cursor := h.m.table.cursor
	h.key("n")
	h.mustContain("nothing to find: ctrl+f sets the text to find")
	if h.m.table.cursor != cursor {
		t.Fatal("n without a find moved")
	}

	// An empty find clears it too.
	h.find(text)
	h.key("ctrl+f", "ctrl+u", "enter")
	if h.m.find.term != "" {
		t.Fatalf("an empty find kept %q", h.m.find.term)
	}
	// A text no row holds says so and stays put.
	cursor = h.m.table.cursor
	h.find("no such text")
	h.mustContain(`no match for "no such text"`, `find "no such text": no matches`)
	if h.m.table.cursor != cursor {
		t.Fatal("a find without matches moved")
	}
}

// n and N find the matches the window has not loaded: the store reads the
// next one past the window's edge and the window moves there; ranks stay
// exact across the moves and the wraps.
func TestFindBeyondWindow(t *testing.T) {
	const n, text = 3000, "claude_chat_01SYNTH000000000042" // i ≡ 0 mod 8, i ≡ 42 mod 97
	src, want := findRows(n, text)
	if len(want) < 3 || want[0] < windowMax {
		t.Fatalf("matches %v: the data does not test a find beyond the window", want)
	}
	h := newHarness(t, src, 160, 40)
	h.find(text)
	h.walkMatches(n, want)
	for k := len(want) - 1; k >= 1; k-- {
		h.key("N")
		h.wantMatch(n, want, k)
	}
	if src.callCount("FindSearch") == 0 {
		t.Fatal("the store was never asked")
	}
	// A second n while the first one's read is in flight waits for it
	// rather than finding the same match again.
	m, first := h.m.Update(keyMsg("n"))
	h.m = m.(Model)
	m, second := h.m.Update(keyMsg("n"))
	h.m = m.(Model)
	if first == nil || second != nil {
		t.Fatalf("n, n with a read in flight: cmds %v, %v", first != nil, second != nil)
	}
	h.run(first)
	h.wantMatch(n, want, 2)
	h.key("N")
	// From a row that is not a match, the rank comes from the store.
	h.key("G")
	h.key("N")
	h.wantMatch(n, want, len(want))
	h.key("g", "j", "j")
	h.key("n")
	h.wantMatch(n, want, 1)
}

// While redacting, the prompt shows what is typed masked and a mask typed
// finds the value it stands for; nothing on screen names the real value.
func TestFindRedacted(t *testing.T) {
	const n, email = 250, "user5@example.com"
	src, want := findRows(n, email)
	h := newHarness(t, src, 160, 40)
	h.key("R")
	mask := h.m.red.String(email)
	if mask == email {
		t.Fatal("the redactor does not mask e-mails")
	}
	h.key("ctrl+f")
	h.typeText(email)
	if strings.Contains(h.screen(), "user5@") {
		t.Fatalf("the prompt shows the e-mail typed:\n%s", h.screen())
	}
	h.key("ctrl+u")
	h.typeText(mask)
	h.key("enter")
	if h.m.find.term != email {
		t.Fatalf("the mask finds %q", h.m.find.term)
	}
	h.wantMatch(n, want, 1)
	h.mustContain(`find "` + mask + `": match 1 of`)
	if strings.Contains(h.screen(), email) {
		t.Fatalf("the screen names %s:\n%s", email, h.screen())
	}
	// The prompt opens again with the mask, and enter keeps the find.
	h.key("ctrl+f")
	h.mustContain("find: " + mask)
	h.key("enter")
	if h.m.find.term != email {
		t.Fatalf("reopened find is %q", h.m.find.term)
	}
}

// The find's keys are registry rows: they rebind from the config, show in
// help and the palette offers the find.
func TestFindKeysRebindHelpPalette(t *testing.T) {
	const n, text = 250, "user5@example.com"
	src, want := findRows(n, text)
	h := newHarness(t, src, 160, 40, withDeps(func(d *Deps) {
		d.KeyOverrides = map[string][]string{"find": {"ctrl+g"}, "find_next": {"o"}, "find_prev": {"O"}}
	}))
	if h.m.statusErr {
		t.Fatalf("rebind: %s", h.m.statusText)
	}
	h.key("ctrl+f")
	if h.overlayName() != "none" {
		t.Fatal("ctrl+f still opens the find")
	}
	h.key("ctrl+g")
	h.typeText(text)
	h.key("enter")
	h.wantMatch(n, want, 1)
	h.key("n")
	h.wantMatch(n, want, 1)
	h.key("o")
	h.wantMatch(n, want, 2)
	h.key("O")
	h.wantMatch(n, want, 1)
	h.key("?")
	h.mustContainRe(`ctrl\+g +find`, `o +next match`, `O +previous match`)
	h.key("esc")

	d := newHarness(t, src, 160, 40)
	d.key("?")
	d.mustContainRe(`ctrl\+f +find`, `n +next match`, `N +previous match`)
	d.key("esc", ":")
	d.typeText("find: highlight")
	d.mustContain("find: highlight text in the results")
	d.key("enter")
	if d.overlayName() != "find" {
		t.Fatalf("the palette's find opened %q", d.overlayName())
	}
}

// Against the real cache: a find walks every match of a result larger
// than the window, through the store's keyset FindSearch, with the exact
// count and rank the store gives, and a new query keeps the find.
func TestFindWithRealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"), store.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n, text = 900, "198.51.100.7" // .7, .70–.79, .170–.179 of the API and admin actors
	var acts []feed.Activity
	var want []int
	for i := range n {
		r := synthRow(i, n)
		acts = append(acts, r.Activity)
		if store.TextMatches(r.Raw, text) {
			want = append(want, i)
		}
	}
	if _, err := st.Put(ctx, feed.Batch{Activities: acts, Covered: feed.Range{From: testNow.Add(-30 * 24 * time.Hour), To: testNow}}); err != nil {
		t.Fatal(err)
	}
	if want[len(want)-1] < windowMax {
		t.Fatal("no match beyond the window")
	}
	h := newHarnessSource(t, st, 160, 40)
	h.find(text)
	h.walkMatches(n, want)

	// A narrower query keeps the find and counts it anew.
	h.key("/", "ctrl+u")
	h.typeText("type:scoped_api_key_updated")
	h.key("enter")
	var narrow int
	for _, i := range want {
		if synthRow(i, n).Type == "scoped_api_key_updated" {
			narrow++
		}
	}
	if h.m.find.term != text || !h.m.find.totalKnown || h.m.find.total != narrow {
		t.Fatalf("after the new query: find %q, %d matches (known %v), want %d", h.m.find.term, h.m.find.total, h.m.find.totalKnown, narrow)
	}
}

// The status line never shows a wrong number: "counting…" before the
// first count, "≥" while the exact count runs, "…" for a rank not read
// yet.
func TestFindBadgeStates(t *testing.T) {
	const n, text = 90, "198.51.100.7"
	src, want := findRows(n, text)
	h := newHarness(t, src, 160, 40)
	h.find(text)
	m := h.m
	m.find.totalKnown = false
	if got := m.findBadge(); !strings.Contains(got, `find "198.51.100.7": counting…`) {
		t.Fatalf("before the count: %q", got)
	}
	m.find.totalKnown, m.find.capped, m.find.total = true, true, findCountCap
	if got := m.findBadge(); !strings.Contains(got, "match 1 of ≥ 1,000") {
		t.Fatalf("capped: %q", got)
	}
	m.find.rank = 0
	m.flight.start(reqFindRank)
	if got := m.findBadge(); !strings.Contains(got, "match … of ≥ 1,000") {
		t.Fatalf("rank being counted: %q", got)
	}
	m.flight.stop(reqFindRank)
	if got := m.findBadge(); !strings.Contains(got, ": ≥ 1,000 matches") {
		t.Fatalf("a match moved onto, not ranked: %q", got)
	}
	m.find.capped, m.find.total = false, len(want)
	m.table.cursor = 0 // not a match
	if got := m.findBadge(); !strings.Contains(got, fmt.Sprintf("%d matches", len(want))) {
		t.Fatalf("off the matches: %q", got)
	}
}

// BenchmarkTableSetFind marks a full window's rows: what a new find term,
// or a page entering the window, costs in Update.
func BenchmarkTableSetFind(b *testing.B) {
	src, _ := findRows(windowMax, "198.51.100.7")
	h := newHarness(b, src, 160, 40)
	t := h.m.table
	rows := make([]store.Row, windowMax)
	for i := range rows {
		rows[i] = synthRow(i, windowMax)
	}
	t.setWindow(rows, 0, true, true, 0)
	b.ResetTimer()
	for i := range b.N {
		t.setFind([]string{"198.51.100.7", "user5@"}[i%2])
	}
}
