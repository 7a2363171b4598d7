package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"claudit/feed"
)

// Put uses a page prepared ahead (Store.Prepare, as the parallel
// backfill's fetch workers call it, concurrently) only for the activities
// it was made from, and only once: the cache ends up as a cache filled
// without Prepare.
func TestPutPrepared(t *testing.T) {
	ctx := context.Background()
	acts, _ := simActivities(t, 5, 3000, testNow)
	a, b := acts[:1500], acts[1500:]
	s := openTest(t)
	pages := [][]feed.Activity{a, b}
	preps := make([]feed.Prepared, len(pages))
	errs := make([]error, len(pages))
	var wg sync.WaitGroup
	for i, page := range pages {
		wg.Go(func() { preps[i], errs[i] = s.Prepare(page) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Prepare(page %d): %v", i, err)
		}
	}
	if !preps[0].Of(a) || preps[0].Of(b) || preps[0].Of(a[:len(a)-1]) {
		t.Fatal("Prepared.Of does not tell its own page from others")
	}
	put := func(what string, batch feed.Batch, inserted, duplicate int) {
		t.Helper()
		res, err := s.Put(ctx, batch)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res.Inserted != inserted || res.Duplicate != duplicate {
			t.Fatalf("%s: inserted %d, duplicate %d; want %d, %d", what, res.Inserted, res.Duplicate, inserted, duplicate)
		}
	}
	put("page b with page a's Prepared", feed.Batch{Activities: b, Prepared: preps[0]}, len(b), 0)
	put("page a with its own", feed.Batch{Activities: a, Prepared: preps[0]}, len(a), 0)
	put("page a with its used Prepared", feed.Batch{Activities: a, Prepared: preps[0]}, 0, len(a))
	if got, want := allIDs(t, s), wantOrder(acts); !slices.Equal(got, want) {
		t.Fatalf("cache holds %d ids, want the %d of both pages in order", len(got), len(want))
	}

	plain := openTest(t)
	putPages(t, plain, acts, 1500)
	i := slices.IndexFunc(acts, func(a feed.Activity) bool { return a.Actor.UserAgent != "" && a.Actor.ID() != "" })
	if i < 0 {
		t.Fatal("no activity with an actor and a user agent")
	}
	x := acts[i]
	queries := []string{
		"actor:" + x.Actor.ID(),
		"type:" + x.Type,
		fmt.Sprintf("%q", strings.ToLower(x.Actor.UserAgent)),
		"id:" + x.ID,
	}
	for _, qs := range queries {
		q, err := feed.Parse(qs)
		if err != nil {
			t.Fatal(err)
		}
		want, err := plain.Search(ctx, q, testNow, Cursor{}, Older, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Search(ctx, q, testNow, Cursor{}, Older, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || !slices.Equal(ids(got), ids(want)) {
			t.Fatalf("%s: %d rows from the prepared pages, %d from a cache filled without Prepare", qs, len(got), len(want))
		}
	}
}

// chunks cuts any number of rows into statements of a few sizes.
func TestChunksFewSizes(t *testing.T) {
	sizes := map[int]bool{}
	for n := 0; n <= 5000; n++ {
		sum, prev := 0, 1<<31
		for _, c := range chunks(n, actChunk) {
			if c > prev || (c != actChunk && c&(c-1) != 0) {
				t.Fatalf("chunks(%d) = %v: want %d's then falling powers of two", n, chunks(n, actChunk), actChunk)
			}
			sum, prev = sum+c, c
			sizes[c] = true
		}
		if sum != n {
			t.Fatalf("chunks(%d) = %v sums to %d", n, chunks(n, actChunk), sum)
		}
	}
	if len(sizes) > 11 {
		t.Fatalf("%d statement sizes for pages of up to 5000 rows, want ≤ 11", len(sizes))
	}
}

// The statement cache keeps what recurs: the odd size of a short page is
// not kept (preparing it again for the cache would double its cost), a
// full page's is.
func TestStmtCacheKeepsRecurringStatements(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 6, 27000, testNow)
	start := 0
	for _, n := range []int{4212, 3001, 2999, 1777, 5000, 5000, 5000} {
		if _, err := s.Put(context.Background(), feed.Batch{Activities: acts[start : start+n]}); err != nil {
			t.Fatal(err)
		}
		start += n
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	kept := map[string]bool{}
	for key := range s.stmts.stmts {
		kept[key] = true
	}
	for _, key := range []string{"INSERT INTO fts(rowid, r, tx)|4212|", "INSERT INTO vref(rowid, s)|3001|"} {
		if kept[key] {
			t.Errorf("the statement %q of one short page was kept", key)
		}
	}
	for _, key := range []string{"INSERT INTO fts(rowid, r, tx)|5000|", actInsert + "|1000|ON CONFLICT DO NOTHING", actInsert + "|128|ON CONFLICT DO NOTHING"} {
		if !kept[key] {
			t.Errorf("the recurring statement %q was not kept", key)
		}
	}
}
